"""`lighter-bot fit`: fit the fair value's coefficients to a recording and write them into a profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lighter_bot.backtest.fit import FIT_HORIZON_S, fit_fair_value, sample_features
from lighter_bot.cli import flags
from lighter_bot.cli.common import fail, user_errors
from lighter_bot.marketdata.stream import first_mid, rows_of
from lighter_bot.ops.profiles import load_profile, render_profile, write_atomic
from lighter_bot.venues.sim import replay
from lighter_bot.venues.sim.rules import TIERS, tier_rules
from lighter_bot.venues.sim.tape_exchange import make_exchange


@user_errors
def fit(
    data: Annotated[list[str], typer.Option("--data", help="recorded market file(s) of one instrument; repeatable")],
    out: Annotated[str | None, flags.profile_out("profile YAML to write the coefficients into "
                                                 "(created from the instrument's derived sizes if absent)")] = None,
    horizon: Annotated[float, typer.Option("--horizon", min=0.05, help="mid move to predict, seconds ahead "
                                           "(the quote's entry delay + how long it must hold)")] = FIT_HORIZON_S,
    train_fraction: Annotated[float, typer.Option("--train-fraction", min=0.1, max=0.9,
                                                  help="share of the recording's time the fit sees; the rest scores it")] = 0.5,
    tier: Annotated[str, typer.Option("--tier", help="account tier whose market-data delays apply")] = "standard",
) -> None:
    """Fit fair-value coefficients (ridge regression of future mid moves on the book and tape features)
    and print them with their out-of-sample R²."""
    if tier.lower() not in TIERS:
        raise fail(f"--tier {tier!r} is not a tier (use one of: {', '.join(TIERS)})")
    rep = replay.load(data)
    rows = list(rows_of(rep.chunks()))
    if not rows:
        raise fail(f"{rep.source}: no market rows in the data")
    rules = tier_rules(tier.lower())
    sample = sample_features(make_exchange(rep.market, rows, rules, 0))
    try:
        result = fit_fair_value(sample, horizon, train_fraction)
    except ValueError as exc:
        raise fail(f"{rep.source}: {exc}") from None
    for line in result.lines():
        typer.echo(line)
    if out is None:
        return
    path = Path(out)
    profile: dict[str, Any]
    if path.exists():
        profile = load_profile(path)
    else:
        profile = {**replay.derive_profile(rep.market, first_mid(rows, rep.market, rep.source)), "symbol": rep.market.symbol}
    maker = dict(profile.get("maker") or {})
    maker["fair_value"] = {**dict(maker.get("fair_value") or {}), "coefficients": result.coefficients}
    profile["maker"] = maker
    header = (f"Profile with fair-value coefficients fitted by `lighter-bot fit` on {rep.source}\n"
              f"(horizon {horizon:g} s; out-of-sample R2 {result.r2_test:.4f}).")
    try:
        write_atomic(path, render_profile(profile, header))
    except OSError as exc:
        raise fail(f"cannot write --profile-out {out}: {exc.strerror}") from None
    typer.echo(f"wrote {path}")
