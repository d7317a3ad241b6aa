"""`lighter-bot matrix`: scenarios x seeds x {baseline, full} (+ ablations) on the simulator, one table."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lighter_bot.backtest.matrix import ABLATIONS, DATA_PREFIX, build_cases, format_table, run_matrix
from lighter_bot.cli import flags
from lighter_bot.cli.common import fail, user_errors
from lighter_bot.config import load_config
from lighter_bot.venues.sim.rules import TIERS
from lighter_bot.venues.sim.scenarios import scenario_names

DEFAULT_SCENARIOS = "calm,trend_up,trend_down,chop,vol_spike,flash_crash,toxic,thin_book"


def run_names(scenarios: str, data: list[str] | None) -> list[str]:
    """The runs named by `--scenarios a,b` and `--data FILE[+FILE]` (matrix and sweep), checked."""
    names = [s.strip() for s in scenarios.split(",") if s.strip()]
    unknown = [s for s in names if s not in scenario_names()]
    if unknown:
        raise fail(f"unknown scenario(s) {', '.join(unknown)} (known: {', '.join(scenario_names())})")
    for d in data or []:
        missing = [p for p in d.split("+") if not Path(p).is_file()]
        if missing:
            raise fail(f"--data: file not found: {', '.join(missing)}")
    return names + [DATA_PREFIX + d for d in data or []]


@user_errors
def matrix(
    scenarios: Annotated[str, typer.Option("--scenarios", help=f"comma-separated: {', '.join(scenario_names())}")] = DEFAULT_SCENARIOS,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="seeds per scenario (S, S+1, ...)")] = 3,
    seed_base: Annotated[int, typer.Option("--seed-base", help="first seed S")] = 1,
    duration: Annotated[float, typer.Option("--duration", min=1.0, help="simulated seconds per run")] = 3600.0,
    as_json: Annotated[bool, flags.json_switch("print every row as a JSON list on stdout instead of the table")] = False,
    json_path: Annotated[str | None, flags.json_out("also write every row as a JSON list to this file")] = None,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="parallel processes")] = 2,
    ablation: Annotated[bool, typer.Option("--ablation", help="add full-minus-one-step variants")] = False,
    data: Annotated[list[str] | None, typer.Option(
        "--data", help="a recording to add as a scenario (files of one instrument joined with '+'); repeatable")] = None,
    tier: Annotated[str, typer.Option("--tier", help="account tier: standard or premium")] = "standard",
    with_fees: Annotated[bool, typer.Option("--with-fees", help="charge the tier's fees (default: zero fees)")] = False,
    walk_forward: Annotated[bool, typer.Option(
        "--walk-forward", help="judge each recording on each half, with the fair value fitted on the other half")] = False,
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="run the cases on this Ray cluster (HOST:PORT of the head; needs the ray extra)")] = None,
    config: Annotated[str | None, typer.Option("--config", help="config file (default: $LIGHTER_CONFIG or config.yaml)")] = None,
    extra: Annotated[list[str] | None, typer.Argument(hidden=True)] = None,
) -> None:
    """Run the scenario matrix and print one table of mean PnL per scenario and variant."""
    flags.refuse_json_path(extra)
    if tier.lower() not in TIERS:
        raise fail(f"--tier {tier!r} is not a tier (use one of: {', '.join(TIERS)})")
    names = run_names(scenarios, data)
    if not names:
        raise fail("no scenarios: pass --scenarios a,b or --data FILE")
    variants = ["baseline", "full", "glft", *(ABLATIONS if ablation else ())]
    cfg = load_config(config)
    cases = build_cases(names, seeds, seed_base, duration, variants, tier.lower(), not with_fees, walk_forward)
    done = 0

    def progress(_row: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        print(f"\r{done}/{len(cases)} runs", end="", file=sys.stderr, flush=True)

    rows = run_matrix(cases, cfg, jobs, progress, ray_address)
    print(file=sys.stderr)
    typer.echo(json.dumps(rows, indent=1) if as_json else format_table(rows))
    if json_path:
        try:
            Path(json_path).write_text(json.dumps(rows, indent=1) + "\n")
        except OSError as exc:
            raise fail(f"cannot write --json-out {json_path}: {exc.strerror}") from None
