"""`lighter-bot ledger dump|window|reset|export|import-json` (= scripts/metrics_tool.py; `lighter-bot
metrics ...` is the same, its old name) and `lighter-bot dump-metrics` (= scripts/dump_metrics.py, the
running bot's Prometheus metrics)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from lighter_bot.cli import flags
from lighter_bot.cli.common import fail, user_errors
from lighter_bot.config import BotConfig, load_config, load_secrets
from lighter_bot.domain.fills import AccountFill
from lighter_bot.records.accounting import suspicious_rows
from lighter_bot.records.backfill import FillsOf
from lighter_bot.records.report import LedgerReport, import_file, reset
from lighter_bot.venues.lighter import parse_trades

app = typer.Typer(
    help="The fills ledger (data/metrics/fills.jsonl): PnL snapshots, windows, reset, CSV export, backfill import.",
    no_args_is_help=True,
    add_completion=False,
)

ConfigOpt = Annotated[str | None, typer.Option("--config", help="config file (default: $LIGHTER_CONFIG or config.yaml)")]


@app.callback()
def _group(ctx: typer.Context, config: ConfigOpt = None) -> None:
    ctx.obj = {"config": config}


def _cfg(ctx: typer.Context, config: str | None) -> BotConfig:
    explicit = config or (ctx.obj or {}).get("config")
    return load_config(explicit)


def _print(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True))


def _warn_bad(rep: LedgerReport) -> None:
    if rep.bad_rows or rep.ledger.bad_lines:
        print(f"warning: skipped {rep.bad_rows + rep.ledger.bad_lines} unreadable ledger line(s)", file=sys.stderr)
    odd = suspicious_rows(rep.rows, time.time())
    if odd:
        print("warning: counted, but check them: " + ", ".join(f"{n} row(s) with {k}" for k, n in odd.items())
              + f" in {rep.cfg.ledger_path}", file=sys.stderr)


@app.command("dump")
@user_errors
def dump(ctx: typer.Context, config: ConfigOpt = None) -> None:
    """Print {"total": ..., "last_6h": ..., "last_5m": ...} as JSON."""
    rep = LedgerReport(_cfg(ctx, config).metrics)
    _warn_bad(rep)
    _print(rep.dump())


@app.command("window")
@user_errors
def window(
    ctx: typer.Context,
    hours: Annotated[float | None, typer.Option("--hours", min=0.0, help="trailing window in hours")] = None,
    seconds: Annotated[float | None, typer.Option("--seconds", min=0.0, help="trailing window in seconds (wins over --hours)")] = None,
    config: ConfigOpt = None,
) -> None:
    """Snapshot over the last --seconds S (or --hours H); all time with neither."""
    span = seconds if seconds is not None else (hours * 3600 if hours is not None else None)
    rep = LedgerReport(_cfg(ctx, config).metrics)
    _warn_bad(rep)
    _print(rep.snapshot(span))


@app.command("reset")
@user_errors
def reset_cmd(
    ctx: typer.Context,
    confirm: Annotated[bool, typer.Option("--confirm", help="really start a new ledger")] = False,
    config: ConfigOpt = None,
) -> None:
    """Move the ledger and its archives to archive/reset-<UTC time>/ so totals start from zero."""
    cfg = _cfg(ctx, config)
    if not confirm:
        raise fail("reset moves the whole ledger aside; run again with --confirm to do it")
    dest = reset(cfg.metrics)
    typer.echo(f"ledger reset: previous files moved to {dest}" if dest else "ledger reset: nothing to move (empty)")


@app.command("export")
@user_errors
def export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", help="CSV file to write")],
    hours: Annotated[float | None, typer.Option("--hours", min=0.0, help="only the last H hours")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write the fills (oldest first) as CSV, timestamps in seconds."""
    rep = LedgerReport(_cfg(ctx, config).metrics)
    n = rep.export_csv(output, None if hours is None else hours * 3600)
    typer.echo(f"wrote {n} fills to {output}")


@app.command("import-json")
@user_errors
def import_json(
    ctx: typer.Context,
    input_: Annotated[Path, typer.Option("--input", help="JSON: a list of trades or {\"trades\": [...]}")],
    account_index: Annotated[int | None, flags.account_index()] = None,
    config: ConfigOpt = None,
) -> None:
    """Add Lighter trades (REST or WS format) or ledger rows to the ledger, skipping known trade ids."""
    cfg = _cfg(ctx, config)
    acct = account_index if account_index is not None else load_secrets().account_index
    res, written = import_file(cfg.metrics, input_, None if acct is None else _fills_of(acct))
    for m in res.malformed[:20]:
        print(f"warning: skipped {m}", file=sys.stderr)
    dupes = len(res.rows) - written
    typer.echo(f"imported {written} new fill(s) into {cfg.metrics.ledger_path} "
               f"({dupes} already present, {res.not_ours} not this account's, {len(res.malformed)} malformed, "
               f"{res.simulated} simulated and left out)")


def _fills_of(account_index: int) -> FillsOf:
    def fills_of(row: dict[str, Any]) -> list[AccountFill]:
        return parse_trades.account_fills(row, account_index)

    return fills_of


def dump_metrics(ctx: typer.Context) -> None:
    """Print `name value` lines from a running bot's /metrics (see --help for the flags)."""
    from lighter_bot.telemetry.dump import main

    raise typer.Exit(main(list(ctx.args), prog="lighter-bot dump-metrics"))


def register(root: typer.Typer) -> None:
    # `ledger` is the name (the fills ledger); `metrics`, its first name, stays as an alias so nothing typed
    # before breaks, hidden because `dump-metrics` is what reads the bot's Prometheus /metrics.
    root.add_typer(app, name="ledger")
    root.add_typer(app, name="metrics", hidden=True)
    root.command("dump-metrics", context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                                                    "help_option_names": []},
                 add_help_option=False)(dump_metrics)
