"""Where a run's records live, and whether they can be written there.

* A live run (`--venue lighter`) writes the ledger the config names (`metrics.ledger_path`): that
  ledger holds live fills only.
* A simulator run writes under `<ledger folder>/sim/<run id>/` (fills.jsonl, positions.jsonl,
  archive/), one folder per run, so simulated fills never enter the live ledger and two runs with
  the same seed never collide (docs/ledger.md).

`check_paths` runs before the bot trades: a ledger path that is a directory, a device, or on a
read-only or missing disk is one clear ConfigError naming the key, not a traceback or, worse, a bot
trading with nowhere to record its fills.
"""

from __future__ import annotations

import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

from lighter_bot.config import MetricsConfig
from lighter_bot.errors import ConfigError

SIM_DIR = "sim"


def new_run_id(scenario: str, seed: int, now: float | None = None) -> str:
    """`YYYYmmdd-HHMMSS-<scenario>-s<seed>-<pid>`: sortable by start time, unique per process."""
    ts = datetime.fromtimestamp(time.time() if now is None else now, UTC).strftime("%Y%m%d-%H%M%S")
    return f"{ts}-{scenario}-s{seed}-{os.getpid()}"


def sim_run_metrics(cfg: MetricsConfig, run_id: str) -> MetricsConfig:
    """The metrics settings of one simulator run: its own folder next to the live ledger."""
    root = Path(cfg.ledger_path).parent / SIM_DIR / run_id
    return cfg.model_copy(update={
        "ledger_path": str(root / "fills.jsonl"),
        "positions_path": str(root / "positions.jsonl"),
        "archive_dir": str(root / "archive"),
    })


def _problem(key: str, path: Path, why: str) -> ConfigError:
    return ConfigError([f"metrics.{key} ({path}) {why}"], "config")


def _check_file(key: str, raw: str) -> None:
    path = Path(raw)
    if raw.endswith(os.sep) or path.name in ("", ".", "..") or path.is_dir():
        raise _problem(key, path, "is a directory: point it to a file, e.g. data/metrics/fills.jsonl")
    if path.exists() and not stat.S_ISREG(path.stat().st_mode):
        raise _problem(key, path, "is not a regular file (a device or pipe cannot hold a ledger): point it to a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _problem(key, path, f"cannot create its folder {path.parent}: {exc.strerror}") from None
    # Open for append exactly as the writer will (creating nothing new but the file itself).
    existed = path.exists()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.close(fd)
        lock = path.with_name(path.name + ".lock")
        os.close(os.open(lock, os.O_RDWR | os.O_CREAT, 0o644))
    except OSError as exc:
        raise _problem(key, path, f"cannot be written: {exc.strerror} (check the disk and its permissions)") from None
    finally:
        if not existed and path.exists() and path.stat().st_size == 0:
            path.unlink()  # leave no empty file behind a check


def _check_dir(key: str, raw: str) -> None:
    path = Path(raw)
    if path.exists() and not path.is_dir():
        raise _problem(key, path, "is a file: point it to a folder, e.g. data/metrics/archive")
    if path.exists() and not os.access(path, os.W_OK | os.X_OK):
        raise _problem(key, path, "is not writable (check its permissions)")


def check_paths(cfg: MetricsConfig) -> None:
    """Raise ConfigError unless the ledger, its archive folder and the positions file are usable."""
    if not cfg.enabled:
        return
    _check_file("ledger_path", cfg.ledger_path)
    _check_file("positions_path", cfg.positions_path)
    _check_dir("archive_dir", cfg.archive_dir)
