"""`lighter-bot backtest`: run the bot in fast-forward on a synthetic scenario or recorded data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from lighter_bot.backtest.matrix import VARIANTS, regime_labeler, variant_config
from lighter_bot.backtest.report_html import RunInfo
from lighter_bot.backtest.runner import BacktestResult, run_backtest
from lighter_bot.backtest.session import ProgressBar, RecordedRun, run_recorded, write_reports
from lighter_bot.cli import flags
from lighter_bot.cli.common import fail, user_errors
from lighter_bot.config import BotConfig, load_config, load_config_data, merge_profile, parse_config
from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.errors import ConfigError
from lighter_bot.marketdata.formats import LoadOptions
from lighter_bot.marketdata.stream import first_mid, rows_of
from lighter_bot.venues.sim import replay
from lighter_bot.venues.sim.rules import TIERS, VenueRules, tier_rules
from lighter_bot.venues.sim.scenarios import make_scenario, scenario_names
from lighter_bot.venues.sim.source import Row
from lighter_bot.venues.sim.tape import Chunks
from lighter_bot.venues.sim.tape_exchange import make_exchange

DATA_HELP = ("recorded market file(s) or directories of one recording: Binance raw .gz, hftbacktest .npz, "
             "`lighter-bot record` .jsonl.zst, Lighter collector prices+trades CSV, Hyperliquid collector "
             "orderbooks+prices+trades CSV, StandX orderbook+trades .parquet, Tardis.dev CSV (incremental_book_L2, "
             "book_snapshot_25, quotes, trades), Bybit v5 capture .jsonl.zst, LOBSTER message+orderbook CSV; "
             "a file's missing parts (e.g. a Lighter prices file's trades file) are found beside it")
TZ_HELP = "Lighter collector CSV: UTC offset in hours of the collector's clock (default: +2 for the 2025-09-15 files, else 0)"
SYMBOL_HELP = "symbol to replay from a multi-symbol file (Bybit capture: default SOLUSDT; Tardis)"


def _with_tier(cfg: BotConfig, tier: str) -> BotConfig:
    return cfg.model_copy(update={"api": cfg.api.model_copy(update={"tier": tier})})


def _rules(cfg: BotConfig, tier: str) -> VenueRules:
    rules = tier_rules(tier)
    return rules.with_(tx_per_minute=cfg.api.tx_per_minute) if cfg.api.tx_per_minute else rules


def _config_for_data(config: str | None, profile: str | None, spec: MarketSpec, price: float) -> BotConfig:
    if profile is not None:
        return load_config(config, profile)
    data, source = load_config_data(config)
    return parse_config(merge_profile(data, replay.derive_profile(spec, price)), f"{source} + profile derived for {spec.symbol}")


def run_one(cfg: BotConfig, market: MarketSpec, rows: Any, rules: VenueRules, seed: int, duration: float | None,
            tick_s: float = 0.1) -> BacktestResult:
    """`rows`: a row iterator (scenarios), or recorded rows / chunks (the fast tape path, tape_exchange.py)."""
    clock = SimClock()
    ex = make_exchange(market, rows, rules, seed)
    core = EngineCore(cfg, market, clock)
    return run_backtest(ex, core, clock, duration_s=duration, tick_s=tick_s)


@user_errors
def backtest(
    paths: Annotated[list[str] | None, typer.Argument(help="more data files (same as repeating --data)")] = None,
    scenario: Annotated[str | None, typer.Option("--scenario", help=f"synthetic market: {', '.join(scenario_names())}")] = None,
    data: Annotated[list[str] | None, typer.Option("--data", help=DATA_HELP)] = None,
    seed: Annotated[int, typer.Option("--seed", help="random seed (scenario and latency jitter)")] = 7,
    duration: Annotated[float | None, typer.Option("--duration", min=1.0, help="simulated seconds (scenario default 3600; data: all of it)")] = None,
    tier: Annotated[str, typer.Option("--tier", help="account tier: standard or premium")] = "standard",
    as_json: Annotated[bool, flags.json_switch("print the result as JSON on stdout instead of the summary")] = False,
    json_path: Annotated[str | None, flags.json_out("also write the result as JSON to this file")] = None,
    report: Annotated[str | None, flags.report("write an HTML report here (summary with units and a baseline column, PnL split, drawdown, plan steps, fills, config)")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="market profile YAML (default for --data: derived from the market spec)")] = None,
    variant: Annotated[str, typer.Option("--variant", help=f"strategy variant of the matrix: {', '.join(VARIANTS)}")] = "full",
    config: Annotated[str | None, typer.Option("--config", help="config file (default: $LIGHTER_CONFIG or config.yaml)")] = None,
    tz: Annotated[float | None, typer.Option("--tz", help=TZ_HELP)] = None,
    symbol: Annotated[str | None, typer.Option("--symbol", help=SYMBOL_HELP)] = None,
) -> None:
    """Run the bot in fast-forward and print a summary (PnL, fills, volume, exposure, speed)."""
    if as_json:
        flags.refuse_json_path([p for p in paths or [] if p.endswith(".json")])  # the old `--json out.json`
    files = [*(data or []), *(paths or [])]
    if tier.lower() not in TIERS:
        raise fail(f"--tier {tier!r} is not a tier (use one of: {', '.join(TIERS)})")
    if variant not in VARIANTS:
        raise fail(f"unknown --variant {variant!r} (known: {', '.join(VARIANTS)})")
    if bool(scenario) == bool(files):
        raise fail("give either --scenario NAME or --data PATH... (not both, not neither)")
    source: str
    rows: Any
    if scenario:
        if scenario not in scenario_names():
            raise fail(f"unknown scenario {scenario!r} (known: {', '.join(scenario_names())})")
        cfg = _with_tier(load_config(config, profile), tier.lower())
        market = SOL_PERP
        start_price = cfg.sim.start_price
        rows = make_scenario(scenario, seed, duration or 3600.0, market, start_price)
        source = f"scenario {scenario}"
    else:
        rec = replay.load(files, LoadOptions(tz_hours=tz, symbol=symbol))
        market = rec.market
        if next(iter(rec.chunks()), None) is None:
            raise fail(f"{rec.source}: no market rows in the data")
        mid = first_mid(rows_of(rec.chunks()), market, rec.source)  # reads only the first rows
        cfg = _with_tier(_config_for_data(config, profile, market, mid), tier.lower())
        rows = Chunks(rec.chunks())  # streamed through the tape, chunk by chunk: a day replays like minutes
        source = f"data {rec.source}"
    cfg = variant_config(cfg, variant)
    rules = _rules(cfg, tier.lower())
    recorded: RecordedRun | None = None
    try:
        if report or json_path or as_json:  # recorded run: the report's metrics (backtest/report.py)
            bar = ProgressBar((duration or 3600.0) if scenario else duration)  # a stream's length is not known ahead
            recorded = run_recorded(cfg, market, rows, rules, seed, duration,
                                    regime_labeler(scenario) if scenario else None, bar)
            bar.close()
            res = recorded.result
        else:
            res = run_one(cfg, market, rows, rules, seed, duration)
    except ValueError as exc:
        raise ConfigError([str(exc)]) from None
    out = {**res.to_dict(), "source": source, "tier": tier.lower(), "market": market.symbol,
           "config_hash": cfg.config_hash(), **(recorded.metrics if recorded is not None else {})}
    if recorded is not None and report:
        # The baseline column: the `baseline` variant (backtest/matrix.py) on the same market events.
        again = make_scenario(scenario, seed, duration or 3600.0, market, start_price) if scenario else \
            Chunks(rec.chunks())  # a fresh pass: a recording's stream is read once per replay
        baseline = run_recorded(variant_config(cfg, "baseline"), market, again, rules, seed, duration,
                                regime_labeler(scenario) if scenario else None)
        out["baseline"] = baseline.metrics
        title = source if variant == "full" else f"{source}, variant {variant}"
        info = RunInfo(title, market.symbol, tier.lower(), seed, cfg, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
        write_reports(recorded, info, report, None, baseline)
    if json_path:
        try:
            Path(json_path).write_text(json.dumps(out, indent=2, sort_keys=True, default=str) + "\n")
        except OSError as exc:
            raise fail(f"cannot write --json-out {json_path}: {exc.strerror}") from None
    if as_json:
        typer.echo(json.dumps(out, indent=2, sort_keys=True, default=str))
        return
    typer.echo(
        f"{source} | {market.symbol} | tier {tier.lower()} | seed {seed}\n"
        f"fills={res.fills} volume_base={res.volume_base:.6g} volume_quote={res.volume_quote:.2f}\n"
        f"realized_pnl={res.realized_pnl:.4f} unrealized_pnl={res.unrealized_pnl:.4f} fees={res.fees:.4f}\n"
        f"max_abs_position={res.max_abs_position:.6g} max_abs_notional={res.max_abs_notional:.2f} "
        f"final_position={res.final_position:.6g}\n"
        f"events={res.events} ({res.events_per_second:,.0f}/s) sim_seconds={res.sim_seconds:.0f} "
        f"wall_seconds={res.wall_seconds:.2f} tx_sent={res.tx_sent} tx_rejected={res.tx_rejected}\n"
        f"requests={res.requests} (+{res.background_requests} of the live adapter's own) "
        f"requests_per_minute={(res.requests + res.background_requests) / max(res.sim_seconds / 60.0, 1e-9):.1f} "
        f"rate_limited={res.requests_refused}"
    )


__all__ = ["Row", "backtest", "run_one"]
