"""One backtest run with recording, progress and the report files (what `backtest --report/--json` calls)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lighter_bot.backtest.recorder import RecordingCore, Series
from lighter_bot.backtest.report import FillPoint, compute_metrics, fill_points, write_json
from lighter_bot.backtest.report_html import RunInfo, html_report
from lighter_bot.backtest.runner import BacktestResult, run_backtest
from lighter_bot.config import BotConfig
from lighter_bot.domain.market import MarketSpec
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.engine.plan_view import plan_view
from lighter_bot.errors import DataError
from lighter_bot.venues.sim.rules import VenueRules
from lighter_bot.venues.sim.source import Row
from lighter_bot.venues.sim.tape import Chunks
from lighter_bot.venues.sim.tape_exchange import make_exchange


@dataclass
class RecordedRun:
    result: BacktestResult
    series: Series
    fills: list[FillPoint]
    metrics: dict[str, Any]


class ProgressBar:
    """A one-line progress bar on stderr over simulated time (only when the run is long enough to care)."""

    def __init__(self, total_s: float | None, label: str = "backtest", min_total_s: float = 600.0) -> None:
        self.total = total_s
        self.label = label
        self.enabled = total_s is not None and total_s >= min_total_s and sys.stderr.isatty()
        self._last = -1

    def __call__(self, done_s: float) -> None:
        if not self.enabled or self.total is None:
            return
        pct = min(100, int(done_s / self.total * 100))
        if pct != self._last:
            self._last = pct
            bar = "#" * (pct // 4)
            print(f"\r{self.label} [{bar:<25}] {pct:3d}%", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled and self._last >= 0:
            print(file=sys.stderr)


def run_recorded(cfg: BotConfig, market: MarketSpec, rows: Iterator[Row] | list[Row] | Chunks, rules: VenueRules, seed: int,
                 duration_s: float | None, regime_at: Callable[[float], str] | None = None,
                 progress: Callable[[float], None] | None = None, tick_s: float = 0.1) -> RecordedRun:
    clock = SimClock()
    ex = make_exchange(market, rows, rules, seed)
    core = EngineCore(cfg, market, clock)
    rec = RecordingCore(core, ex, regime_at=regime_at, progress=progress, plan=lambda: plan_view(core))
    res = run_backtest(ex, rec, clock, duration_s=duration_s, tick_s=tick_s)
    fills = fill_points(ex.fills, market, rec.series.purpose, rec.series.race)
    return RecordedRun(res, rec.series, fills, compute_metrics(res, rec.series, fills, cfg))


def write_reports(run: RecordedRun, info: RunInfo, html_path: str | None, json_path: str | None,
                  baseline: RecordedRun | None = None, extra: dict[str, Any] | None = None) -> None:
    try:
        if json_path:
            doc = {**(extra or {}), **run.metrics}
            if baseline is not None:
                doc["baseline"] = baseline.metrics
            write_json(Path(json_path), doc)
        if html_path:
            Path(html_path).write_text(html_report(info, run, baseline))
    except OSError as exc:
        raise DataError(f"cannot write the report: {exc}") from None
