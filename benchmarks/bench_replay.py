"""Full-engine fast-forward replay of the shared 8-minute BTCUSDT recording: rows/s and peak memory.

Runs in a fresh child process so peak memory belongs to this benchmark alone. The replay goes
through the path `lighter-bot backtest --data` uses (MarketTape + TapeExchange). Parsing the raw
files and preparing the tape (once per recording) are timed separately from the replay (the replay
is what a sweep repeats); `rows_per_second_first_run` counts preparation + one replay. The replay is
repeated REPEATS times (fresh exchange and engine each time) and the median is reported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from benchmarks.common import REPO, btc_files, peak_rss_mb

REPEATS = 3


def child() -> dict[str, Any]:
    from lighter_bot.backtest.runner import run_backtest
    from lighter_bot.config import BotConfig, merge_profile
    from lighter_bot.engine.clock import SimClock
    from lighter_bot.engine.core import EngineCore
    from lighter_bot.marketdata.stream import first_mid, rows_of
    from lighter_bot.venues.sim import replay
    from lighter_bot.venues.sim.rules import STANDARD
    from lighter_bot.venues.sim.tape import MarketTape
    from lighter_bot.venues.sim.tape_exchange import TapeExchange

    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    rep = replay.load(btc_files())
    rows = list(rows_of(rep.chunks()))
    parse_s = time.perf_counter() - t0
    cfg = BotConfig.model_validate(merge_profile({}, replay.derive_profile(rep.market, first_mid(rows, rep.market, rep.source))))
    t0 = time.perf_counter()
    tape = MarketTape.build(rows, STANDARD.book_interval_s, STANDARD.book_depth)
    prepare_s = time.perf_counter() - t0
    runs = []
    for _ in range(REPEATS):
        clock = SimClock()
        ex = TapeExchange(rep.market, tape, STANDARD, 7)
        runs.append(run_backtest(ex, EngineCore(cfg, rep.market, clock), clock))
    runs.sort(key=lambda r: r.wall_seconds)
    res = runs[len(runs) // 2]
    return {
        "rows": res.events,
        "parse_seconds": round(parse_s, 3),
        "prepare_seconds": round(prepare_s, 3),
        "replay_seconds": round(res.wall_seconds, 3),
        "replay_seconds_all": [round(r.wall_seconds, 3) for r in runs],
        "rows_per_second": round(res.events_per_second),
        "rows_per_second_first_run": round(res.events / (prepare_s + res.wall_seconds)),
        "bot_events": res.bot_events,
        "fills": res.fills,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_load_mb": round(rss0, 1),
        "target_rows_per_second": 1_000_000,
        "target_met": res.events_per_second >= 1_000_000,
    }


def run() -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_replay", "--child"], cwd=REPO,
                         capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    print(json.dumps(child()))
