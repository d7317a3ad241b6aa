"""`lighter-bot calibrate`: fit a synthetic market to a recording and save it as a scenario profile."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from lighter_bot.backtest import calibration as cal
from lighter_bot.backtest.reality import format_table
from lighter_bot.cli import flags
from lighter_bot.cli.common import fail, user_errors
from lighter_bot.config.bot import SimConfig
from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.marketdata.stream import first_mid, rows_of
from lighter_bot.venues.sim import replay
from lighter_bot.venues.sim.rules import TIERS, tier_rules
from lighter_bot.venues.sim.scenarios import PROFILE_DIR, RESERVED, profile_text
from lighter_bot.venues.sim.source import Row

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def load_recording(files: list[str]) -> tuple[list[Row], MarketSpec, float, str]:
    """(rows, spec, a representative price, a name) of one instrument's recording (files of any format
    `replay.load` reads, with its defects handled as `lighter-bot data info` reports)."""
    rec = replay.load(files)
    rows = list(rows_of(rec.chunks()))
    if not rows:
        raise DataError(f"{rec.source}: no market rows in the data")
    return rows, rec.market, first_mid(rows, rec.market, rec.source), f"{rec.market.symbol} ({rec.summary.format})"


@user_errors
def calibrate(
    data: Annotated[str, typer.Option("--data", help="the recording: files of one instrument joined with '+'")],
    name: Annotated[str, typer.Option("--name", help="scenario name to save the fit as (e.g. calm)")],
    out: Annotated[str | None, flags.output(f"profile to write (default {PROFILE_DIR}/NAME.yaml)")] = None,
    trials: Annotated[int, typer.Option("--trials", min=1, help="fit evaluations (each one synthetic market run through "
                                                               "the probe at every distance)")] = 60,
    duration: Annotated[float | None, typer.Option("--duration", min=60.0, help="synthetic seconds per evaluation "
                                                    "(default: the recording's length with a book, 10-60 min)")] = None,
    seed: Annotated[int, typer.Option("--seed", help="seed of the sampler, the synthetic market and the latency jitter")] = 1,
    tier: Annotated[str, typer.Option("--tier", help="account tier whose delays and budget the probe meets")] = "standard",
) -> None:
    """Fit a synthetic market (spread, depth, trades, volatility and adverse selection) to a recording,
    judged by the reality check's probe quoter, and write it as a scenario profile that backtest, matrix,
    reality and run --venue sim accept by name."""
    if not NAME.match(name) or name in RESERVED:
        raise fail(f"--name {name!r}: use lower-case letters, digits and '_' (not one of the stresses or "
                   f"composites: {', '.join(sorted(RESERVED))})")
    if tier.lower() not in TIERS:
        raise fail(f"--tier {tier!r} is not a tier (use one of: {', '.join(TIERS)})")
    path = Path(out) if out else PROFILE_DIR / f"{name}.yaml"
    if path.suffix not in (".yaml", ".yml"):
        raise fail(f"--output {path}: a scenario profile is a .yaml file named after the scenario")
    files = data.split("+")
    rules = tier_rules(tier.lower()).with_(maker_fee_rate=0.0, taker_fee_rate=0.0)
    rows, market, price, source = load_recording(files)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    say(f"measuring the recording {source} ({len(rows):,} rows) with the probe ...")
    target = cal.measure_market(source, rows, market, price, rules, seed)
    live = target.reality.market.seconds
    dur = duration if duration is not None else min(3600.0, max(600.0, live))
    base = cal.measured_model(name, target, market, price)
    # the synthetic market is fitted where scenarios run: SOL_PERP at the simulator's start price
    sim_price = SimConfig().start_price
    say(f"fitting {trials} trials of {dur / 60:.0f} synthetic minutes on {SOL_PERP.symbol} at {sim_price:g} ...")
    res = cal.fit(target, base, SOL_PERP, sim_price, rules, trials=trials, duration_s=dur, seed=seed, progress=say)
    check = cal.measure_market(f"{name} (seed {seed + 1})", cal.synthetic_rows(res.model, SOL_PERP, sim_price, dur, seed + 1),
                               SOL_PERP, sim_price, rules, seed + 1, [c.distance_bps for c in target.reality.curves])
    say("scoring the fit with each ingredient switched off ...")
    without = cal.ablation(target, res.model, SOL_PERP, sim_price, rules, dur, seed)
    record = cal.fit_record(res, target, files, market, price, rules, dur, seed)
    record["check_seed"] = seed + 1
    record["check_score"] = round(cal.score(cal.terms(target, check)), 2)
    record["score_without"] = {k: round(v, 2) for k, v in without.items()}
    header = (f"Scenario profile {name!r}: a synthetic market fitted to a recording by `lighter-bot calibrate`\n"
              f"(docs/simulator.md). Recreate: lighter-bot calibrate --data {data} --name {name} --trials {trials}"
              f" --seed {seed}{'' if duration is None else f' --duration {duration:g}'}\n"
              "model: bps, USD and seconds (runs at any price and tick); fit: what it was fitted to and how close.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(profile_text(res.model, record, header))
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror}") from None
    typer.echo(format_table([target.reality, res.fitted.reality, check.reality]))
    typer.echo("")
    typer.echo(f"{'compared':28}{'recording':>12}{'fitted':>12}{'z':>8}")
    for t in res.terms:
        typer.echo(f"{t.name:28}{t.target:12.3f}{t.fitted:12.3f}{t.z:+8.2f}")
    typer.echo("score with one ingredient off: " + ", ".join(f"{k} {v:.1f}" for k, v in without.items()))
    typer.echo(f"score {res.score:.2f} (held-out seed {seed + 1}: {record['check_score']}) after {res.trials} trials in "
               f"{res.seconds / 60:.1f} min; markouts not fitted (< {cal.MIN_FILLS} recording fills): "
               f"{', '.join(record['markouts_not_fitted']) or 'none'}")
    typer.echo(f"wrote {path} (scenario {name!r})")
