"""Shared test fixtures. `../shared` (recorded data, Lighter fixtures) is optional: tests that need
it skip with a reason when it is absent, so `make test` passes on any fresh clone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_path() -> Path:
    return Path(os.environ.get("LIGHTER_SHARED") or REPO.parent / "shared")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    p = shared_path()
    if not p.is_dir():
        pytest.skip(f"../shared not found at {p} (set LIGHTER_SHARED to run the tests on recorded data)")
    return p


@pytest.fixture(scope="session")
def lighter_fixtures(shared_dir: Path) -> Path:
    p = shared_dir / "lighter-fixtures"
    if not p.is_dir():
        pytest.skip(f"{p} not found")
    return p
