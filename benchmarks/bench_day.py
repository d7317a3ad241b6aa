"""A whole day through the full engine: the shared StandX BTC-USD day (24 hourly parquet files) streamed
from disk (loader -> chunks -> tape -> TapeExchange -> EngineCore), in a fresh child process.

Reports the wall time of the whole run (reading and converting the files included: the loader streams
them as the replay goes), rows and rows/s, the engine's bot events, and the peak RSS of the process.
Targets (issue 15): <= 60 s and <= 1 GB.

`python -m benchmarks.bench_day --child` runs it in this process and prints the JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, peak_rss_mb, shared_dir

TARGET_SECONDS = 60.0
TARGET_RSS_MB = 1024.0


def standx_day() -> list[Path]:
    files = sorted((shared_dir() / "data" / "standx_perp").glob("*.parquet"))
    if len(files) != 48:
        raise FileNotFoundError(f"expected 24 orderbook + 24 trades parquet files in {shared_dir()}/data/standx_perp")
    return files


def child() -> dict[str, Any]:
    from lighter_bot.backtest.runner import run_backtest
    from lighter_bot.config import BotConfig, merge_profile
    from lighter_bot.engine.clock import SimClock
    from lighter_bot.engine.core import EngineCore
    from lighter_bot.marketdata.stream import first_mid, rows_of
    from lighter_bot.venues.sim import replay
    from lighter_bot.venues.sim.rules import STANDARD
    from lighter_bot.venues.sim.tape import chunks_of
    from lighter_bot.venues.sim.tape_exchange import TapeExchange

    files = standx_day()
    rss0 = peak_rss_mb()
    # Load the compiled kernels once (numba's on-disk cache), as hftbacktest is warmed up before it is timed.
    TapeExchange(replay.spec_for("BTC-USD"), chunks_of([(0.0, 0, 1, 100, 1), (0.0, 0, 0, 101, 1)]), STANDARD, 0).book()
    wall0 = time.perf_counter()
    rec = replay.load(files)
    cfg = BotConfig.model_validate(merge_profile({}, replay.derive_profile(
        rec.market, first_mid(rows_of(rec.chunks()), rec.market, rec.source))))  # reads only the first rows
    clock = SimClock()
    res = run_backtest(TapeExchange(rec.market, rec.chunks(), STANDARD, 7), EngineCore(cfg, rec.market, clock), clock)
    wall = time.perf_counter() - wall0
    peak = peak_rss_mb()
    return {
        "files": len(files),
        "rows": res.events,
        "sim_hours": round(res.sim_seconds / 3600.0, 2),
        "wall_seconds": round(wall, 2),
        "rows_per_second": round(res.events / wall),
        "bot_events": res.bot_events,
        "fills": res.fills,
        "tx_sent": res.tx_sent,
        "realized_pnl": round(res.realized_pnl, 4),
        "peak_rss_mb": round(peak, 1),
        "rss_before_mb": round(rss0, 1),
        "targets": {"wall_seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_RSS_MB},
        "pass": {"wall_seconds": wall <= TARGET_SECONDS, "peak_rss_mb": peak <= TARGET_RSS_MB},
    }


def run() -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_day", "--child"], cwd=REPO,
                         capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    print(json.dumps(child()))
