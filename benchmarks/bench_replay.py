"""Full-engine fast-forward replay of the shared 8-minute BTCUSDT recording: rows/s and peak memory.

Runs in a fresh child process so peak memory belongs to this benchmark alone. The replay goes
through the path `lighter-bot backtest --data` uses (chunks -> MarketTape -> TapeExchange -> EngineCore).
Parsing the raw files is timed apart (as hftbacktest's conversion is). Two figures:

* `rows_per_second_first_run`: one streaming replay of the parsed chunks, the tape prepared chunk by
  chunk as it goes (what a single `backtest --data` does);
* `rows_per_second`: the replay of a recording prepared once (`PreparedMarket`, what a sweep or a
  matrix repeats for every trial, seed and variant), median of REPEATS (fresh exchange and engine each).

The compiled kernels are loaded (numba's on-disk cache) before timing, as hftbacktest is warmed up.
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
    from lighter_bot.venues.sim.tape import PreparedMarket
    from lighter_bot.venues.sim.tape_exchange import TapeExchange

    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    rep = replay.load(btc_files())
    chunks = list(rep.chunks())
    parse_s = time.perf_counter() - t0
    m = rep.market
    cfg = BotConfig.model_validate(merge_profile({}, replay.derive_profile(m, first_mid(rows_of(chunks), m, rep.source))))
    t0 = time.perf_counter()
    TapeExchange(m, chunks[:1], STANDARD, 7).book()  # warm-up: loads the compiled kernels
    kernels_s = time.perf_counter() - t0

    def replay_once(source: Any) -> Any:
        clock = SimClock()
        return run_backtest(TapeExchange(m, source, STANDARD, 7), EngineCore(cfg, m, clock), clock)

    first = replay_once(chunks)  # streaming: the wall time includes preparing every chunk
    t0 = time.perf_counter()
    prepared = PreparedMarket(chunks, STANDARD.book_interval_s, STANDARD.book_depth)
    prepare_s = time.perf_counter() - t0
    runs = sorted((replay_once(prepared) for _ in range(REPEATS)), key=lambda r: r.wall_seconds)
    res = runs[len(runs) // 2]
    assert (first.fills, first.bot_events) == (res.fills, res.bot_events)  # same replay either way
    return {
        "rows": res.events,
        "parse_seconds": round(parse_s, 3),
        "kernel_load_seconds": round(kernels_s, 3),
        "first_run_seconds": round(first.wall_seconds, 3),
        "rows_per_second_first_run": round(first.events_per_second),
        "prepare_seconds": round(prepare_s, 3),
        "replay_seconds": round(res.wall_seconds, 3),
        "replay_seconds_all": [round(r.wall_seconds, 3) for r in runs],
        "rows_per_second": round(res.events_per_second),
        "bot_events": res.bot_events,
        "fills": res.fills,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_load_mb": round(rss0, 1),
    }


def run() -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_replay", "--child"], cwd=REPO,
                         capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    print(json.dumps(child()))
