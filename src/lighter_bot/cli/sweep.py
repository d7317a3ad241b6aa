"""`lighter-bot sweep`: Optuna search of strategy parameters over scenarios and recordings."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from lighter_bot.backtest.sweep import SPACE, run_sweep
from lighter_bot.cli import flags
from lighter_bot.cli.common import fail, user_errors
from lighter_bot.cli.matrix import run_names
from lighter_bot.config import load_config


@user_errors
def sweep(
    scenarios: Annotated[str, typer.Option("--scenarios", help="comma-separated scenario names")] = "trend_up,trend_down,vol_spike,flash_crash,toxic",
    data: Annotated[list[str] | None, typer.Option("--data", help="a recording (files joined with '+'); repeatable")] = None,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="seeds per scenario")] = 1,
    seed_base: Annotated[int, typer.Option("--seed-base", help="first seed")] = 1,
    duration: Annotated[float, typer.Option("--duration", min=1.0, help="simulated seconds per run")] = 1200.0,
    trials: Annotated[int, typer.Option("--trials", min=1, help="Optuna trials")] = 20,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="trials evaluated in parallel")] = 2,
    sampler_seed: Annotated[int, typer.Option("--sampler-seed", help="seed of the TPE sampler")] = 0,
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="run trials on this Ray cluster (HOST:PORT of the head; needs the ray extra)")] = None,
    as_json: Annotated[bool, flags.json_switch("print the trials and the best parameters as JSON on stdout")] = False,
    json_path: Annotated[str | None, flags.json_out("also write the trials and the best parameters to this file")] = None,
    config: Annotated[str | None, typer.Option("--config", help="config file (default: $LIGHTER_CONFIG or config.yaml)")] = None,
    extra: Annotated[list[str] | None, typer.Argument(hidden=True)] = None,
) -> None:
    """Search the parameters in backtest.sweep.SPACE for the best total PnL (caps never exceeded)."""
    flags.refuse_json_path(extra)
    names = run_names(scenarios, data)
    if not names:
        raise fail("nothing to run: pass --scenarios or --data")
    cfg = load_config(config)

    def show(n: int, value: float, params: dict[str, float]) -> None:
        v = f"{value:+.4f}" if math.isfinite(value) else "caps exceeded"
        print(f"trial {n}/{trials}: {v}", file=sys.stderr, flush=True)

    res = run_sweep(cfg, names, seeds, seed_base, duration, trials, jobs, sampler_seed, ray_address, show)
    doc = {"best_value": res.best_value, "best_params": res.best_params, "trials": res.trials}
    if as_json:
        typer.echo(json.dumps(doc, indent=1))
    else:
        typer.echo(f"best total PnL {res.best_value:+.4f} USD over {len(names)} scenario(s) x {seeds} seed(s)")
        for p, _lo, _hi in SPACE:
            typer.echo(f"  {p} = {res.best_params.get(p, float('nan')):.4g}")
    if json_path:
        try:
            Path(json_path).write_text(json.dumps(doc, indent=1) + "\n")
        except OSError as exc:
            raise fail(f"cannot write --json-out {json_path}: {exc.strerror}") from None
