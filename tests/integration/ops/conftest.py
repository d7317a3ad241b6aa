"""Fixtures for the operator-tool tests: the real-payload Lighter server and a scratch repo layout."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.ops.lighter_fixture_server import FixtureLighter, ServerThread

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def fake_lighter(lighter_fixtures: Path) -> Iterator[tuple[FixtureLighter, str]]:
    state = FixtureLighter(lighter_fixtures).load()
    with ServerThread(state.app()) as srv:
        yield state, srv.base_url


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch directory holding copies of config.yaml and profiles/, used as the cwd."""
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(REPO / "profiles", tmp_path / "profiles")
    monkeypatch.chdir(tmp_path)
    for name in ("LIGHTER_CONFIG", "LIGHTER_API_BEARER", "WS_AUTH_TOKEN", "LIGHTER_ACCOUNT_INDEX", "ACCOUNT_INDEX",
                 "LIGHTER_API_PRIVATE_KEY", "API_KEY_PRIVATE_KEY", "LIGHTER_API_KEY_INDEX", "API_KEY_INDEX"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
