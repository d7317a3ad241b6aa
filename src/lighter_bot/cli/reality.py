"""`lighter-bot reality`: the probe quoter's adverse-selection curves on recordings and scenarios, side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lighter_bot.backtest.reality import Reality, format_table, html, measure
from lighter_bot.cli import flags
from lighter_bot.cli.common import fail, user_errors
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.errors import DataError
from lighter_bot.marketdata.stream import first_mid, rows_of
from lighter_bot.venues.sim import replay
from lighter_bot.venues.sim.exchange import SimExchange
from lighter_bot.venues.sim.rules import TIERS, VenueRules, tier_rules
from lighter_bot.venues.sim.scenarios import make_scenario, scenario_names
from lighter_bot.venues.sim.tape_exchange import TapeExchange


def measure_recording(files: list[str], rules: VenueRules, seed: int, name: str | None = None) -> Reality:
    """The probe on one recording (files of one instrument), its market prepared once for every distance."""
    rep = replay.load(files)
    chunks = list(rep.chunks())  # read once, replayed for every distance
    if not chunks:
        raise DataError(f"{rep.source}: no market rows in the data")
    return measure(name or f"{rep.market.symbol} ({rep.summary.format})", rep.market,
                   lambda: TapeExchange(rep.market, chunks, rules, seed), rules, first_mid(rows_of(chunks), rep.market, rep.source))


def measure_scenario(name: str, seed: int, duration: float, rules: VenueRules, start_price: float = 170.0) -> Reality:
    return measure(f"{name} (seed {seed})", SOL_PERP,
                   lambda: SimExchange(SOL_PERP, make_scenario(name, seed, duration, SOL_PERP, start_price), rules, seed),
                   rules, start_price)


@user_errors
def reality(
    data: Annotated[list[str] | None, typer.Option(
        "--data", help="a recording (files of one instrument joined with '+'); repeatable")] = None,
    scenario: Annotated[list[str] | None, typer.Option("--scenario", help="a synthetic market; repeatable")] = None,
    seed: Annotated[int, typer.Option("--seed", help="seed of scenarios and latency jitter")] = 1,
    duration: Annotated[float, typer.Option("--duration", min=60.0, help="simulated seconds per scenario")] = 1800.0,
    tier: Annotated[str, typer.Option("--tier", help="account tier whose delays and budget apply")] = "standard",
    html_path: Annotated[str | None, flags.report("write the table and charts as an HTML report here")] = None,
    as_json: Annotated[bool, flags.json_switch("print the measurements as JSON on stdout instead of the table")] = False,
    json_path: Annotated[str | None, flags.json_out("also write the measurements as JSON to this file")] = None,
    extra: Annotated[list[str] | None, typer.Argument(hidden=True)] = None,
) -> None:
    """Measure fills and markouts of a fixed probe quoter (touch, 1, 2, 3.5, 6.5, 10 bps from the mid) and
    the market's statistics, for real recordings and synthetic scenarios, in one table."""
    flags.refuse_json_path(extra)
    if tier.lower() not in TIERS:
        raise fail(f"--tier {tier!r} is not a tier (use one of: {', '.join(TIERS)})")
    unknown = [s for s in scenario or [] if s not in scenario_names()]
    if unknown:
        raise fail(f"unknown scenario(s) {', '.join(unknown)} (known: {', '.join(scenario_names())})")
    if not data and not scenario:
        raise fail("nothing to measure: pass --data FILE[+FILE] and/or --scenario NAME")
    rules = tier_rules(tier.lower()).with_(maker_fee_rate=0.0, taker_fee_rate=0.0)
    out = [measure_recording(d.split("+"), rules, seed) for d in data or []]
    out += [measure_scenario(s, seed, duration, rules) for s in scenario or []]
    doc = [r.to_dict() for r in out]
    typer.echo(json.dumps(doc, indent=1, default=str) if as_json else format_table(out))
    try:
        if html_path:
            Path(html_path).write_text(html(f"lighter-bot reality ({tier.lower()} tier)", out))
        if json_path:
            Path(json_path).write_text(json.dumps(doc, indent=1, default=str) + "\n")
    except OSError as exc:
        raise fail(f"cannot write the output: {exc.strerror}") from None
