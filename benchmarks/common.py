"""Helpers shared by benchmark modules: the shared recordings, peak memory, timing."""

from __future__ import annotations

import os
import resource
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    return Path(os.environ.get("LIGHTER_SHARED") or REPO.parent / "shared")


def btc_files() -> list[Path]:
    d = shared_dir() / "data" / "binance_perp"
    files = [d / "usdm_btcusdt_20240718.gz", d / "usdm_btcusdt_20240719.gz"]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"recordings not found: {', '.join(missing)} (set LIGHTER_SHARED)")
    return files


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
