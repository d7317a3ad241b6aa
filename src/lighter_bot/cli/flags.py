"""One spelling per meaning for the options every command shares; older spellings (and the
operator packet's) stay as aliases, so nothing typed before breaks (docs/operations.md, "Flags"):

    --account-index N    our Lighter account index                   alias --account
    --market-id N        a Lighter market index                      alias --market
    --output PATH        the file a command writes                   alias --out
    --profile-out PATH   the market profile a command writes         alias --out (fit)
    --json               print the result as JSON on stdout (a switch, on every command that has it)
    --json-out PATH      also write the result as JSON to PATH       (was --json PATH)
    --report PATH        write an HTML report to PATH                alias --html
    --config PATH        the config file ($LIGHTER_CONFIG, config.yaml)
"""

from __future__ import annotations

from typing import Any

import typer

from lighter_bot.cli.common import fail


def account_index(help: str = "our Lighter account index (default: LIGHTER_ACCOUNT_INDEX)") -> Any:
    return typer.Option("--account-index", "--account", help=help)


def market_id(help: str = "Lighter market index, e.g. 2 = SOL", **kw: Any) -> Any:
    return typer.Option("--market-id", "--market", help=help, **kw)


def output(help: str) -> Any:
    return typer.Option("--output", "--out", help=help)


def profile_out(help: str) -> Any:
    return typer.Option("--profile-out", "--out", help=help)


def json_switch(help: str = "print the result as JSON on stdout") -> Any:
    return typer.Option("--json", help=help)


def json_out(help: str = "also write the result as JSON to this file") -> Any:
    return typer.Option("--json-out", help=help)


def report(help: str) -> Any:
    return typer.Option("--report", "--html", help=help)


def refuse_json_path(extra: list[str] | None) -> None:
    """`--json PATH` (the old spelling on backtest, matrix, sweep, reality) leaves PATH as a stray
    argument now that `--json` is a switch: say what to type instead of a generic usage error."""
    stray = [a for a in extra or [] if a.endswith(".json")]
    if stray:
        raise fail(f"unexpected argument {stray[0]!r}: `--json` is a switch that prints JSON on stdout; "
                   f"to write a file use `--json-out {stray[0]}`")
    if extra:
        raise fail(f"unexpected argument(s): {' '.join(extra)}")
