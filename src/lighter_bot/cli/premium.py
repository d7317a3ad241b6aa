"""`lighter-bot premium-check`: does the live ledger justify Premium? Reports; never switches anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lighter_bot.cli.common import fail, user_errors
from lighter_bot.config import load_config
from lighter_bot.ops.premium_check import PremiumCriteria, load_and_evaluate


@user_errors
def premium_check(
    ledger: Annotated[str | None, typer.Option("--ledger", help="fills ledger (default: metrics.ledger_path)")] = None,
    positions: Annotated[str | None, typer.Option("--positions", help="position snapshots (default: metrics.positions_path)")] = None,
    horizon_hours: Annotated[float, typer.Option("--horizon-hours", min=0.01, help="evidence window (h)")] = 24.0,
    neutral_usd: Annotated[float, typer.Option("--neutral-usd", min=0.0, help="realized PnL may be this far below 0 and count as neutral (USD)")] = 0.0,
    min_fills: Annotated[int, typer.Option("--min-fills", min=1, help="maker fills needed in the window (count)")] = 20,
    min_fills_per_hour: Annotated[float, typer.Option("--min-fills-per-hour", min=0.0, help="maker fill rate needed (fills/h)")] = 1.0,
    markout_seconds: Annotated[float, typer.Option("--markout-seconds", min=0.1, help="markout horizon (s)")] = 30.0,
    min_markout_bps: Annotated[float, typer.Option("--min-markout-bps", help="maker markout needed (bps)")] = 0.0,
    no_guard_check: Annotated[bool, typer.Option("--no-guard-check", help="do not require the PnL guard and one config")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print the verdict as JSON")] = False,
    config: Annotated[str | None, typer.Option("--config", help="config file (default: $LIGHTER_CONFIG or config.yaml)")] = None,
) -> None:
    """Say whether the recorded evidence justifies Premium, and what Premium would have cost on those fills."""
    cfg = load_config(config)
    m = cfg.metrics
    led = Path(ledger or m.ledger_path)
    pos = Path(positions) if positions else (Path(m.positions_path) if ledger is None else led.parent / "positions.jsonl")
    archive = Path(m.archive_dir) if ledger is None else led.parent / "archive"
    crit = PremiumCriteria(horizon_hours, neutral_usd, min_fills, min_fills_per_hour, markout_seconds, min_markout_bps,
                           not no_guard_check)
    if not led.is_file():
        raise fail(f"--ledger {led}: file not found (pass --ledger PATH to the bot's fills.jsonl)")
    v = load_and_evaluate(led, archive if archive.is_dir() else None, pos, cfg, crit)
    if json_out:
        typer.echo(json.dumps(v.to_dict(), indent=2, sort_keys=True))
        return
    typer.echo(f"Premium switch justified: {'YES' if v.justified else 'NO'} (this command never switches anything)")
    if v.numbers.get("ignored_simulated_fills"):
        typer.echo(f"  ignored {v.numbers['ignored_simulated_fills']} simulated fill(s): only live fills are evidence")
    for c in v.checks:
        typer.echo(f"  [{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}")
    n = v.numbers
    if "premium_fees" in n:
        typer.echo(
            f"On the {n['fills']} fills of the last {n['horizon_hours']:g} h: Premium fees would have been "
            f"{n['premium_fees']:.4f} USD (maker {n['premium_maker_bps']:.2f} bps on {n['maker_notional']:.2f}, "
            f"taker {n['premium_taker_bps']:.2f} bps on {n['taker_notional']:.2f}); paid {n['actual_fees']:.4f}; "
            f"realized {n['realized_pnl']:+.4f} -> {n['realized_pnl_at_premium_fees']:+.4f} at Premium fees."
        )
