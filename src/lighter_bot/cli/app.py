"""The `lighter-bot` command: one typer app; each command group lives in its own module."""

from __future__ import annotations

import typer

from lighter_bot.cli import (
    backtest,
    config_cmd,
    data_cmd,
    fit,
    matrix,
    metrics_cmd,
    ops_cmds,
    premium,
    reality,
    record,
    run_cmd,
    sweep,
)
from lighter_bot.cli import emulator as emulator_cmd

app = typer.Typer(
    name="lighter-bot",
    help="Market maker for the Lighter perpetual DEX, with a built-in exchange simulator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(config_cmd.app, name="config")
app.command("run")(run_cmd.run)
app.command("backtest")(backtest.backtest)
app.command("matrix")(matrix.matrix)
app.command("sweep")(sweep.sweep)
app.command("reality")(reality.reality)
app.command("fit")(fit.fit)
app.command("premium-check")(premium.premium_check)
app.command("record")(record.record)
app.command("emulator")(emulator_cmd.serve)
app.add_typer(ops_cmds.app, name="ops")
app.add_typer(data_cmd.app, name="data")
metrics_cmd.register(app)


def main() -> None:
    app()
