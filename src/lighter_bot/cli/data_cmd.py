"""`lighter-bot data info FILE...`: what a recording holds (format, window, gaps, spread, volatility, trades)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from lighter_bot.cli.backtest import SYMBOL_HELP, TZ_HELP
from lighter_bot.cli.common import user_errors
from lighter_bot.marketdata.formats import LoadOptions, recordings
from lighter_bot.marketdata.info import format_info, recording_info

app = typer.Typer(help="Look at recorded market data.", no_args_is_help=True)


@app.command("info")
@user_errors
def info(
    paths: Annotated[list[str], typer.Argument(help="recording files or directories (several recordings are shown one by one)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (one object per recording) instead of text")] = False,
    tz: Annotated[float | None, typer.Option("--tz", help=TZ_HELP)] = None,
    symbol: Annotated[str | None, typer.Option("--symbol", help=SYMBOL_HELP)] = None,
) -> None:
    """Read each recording once and print its format, instrument, window, gaps, rows by kind, median
    spread, volatility, trades per minute, median trade size and what the loader did with its defects."""
    recs = recordings(list(paths), LoadOptions(tz_hours=tz, symbol=symbol))
    infos = [recording_info(r) for r in recs]
    if as_json:
        typer.echo(json.dumps(infos, indent=2))
    else:
        typer.echo("\n\n".join(format_info(d) for d in infos))
