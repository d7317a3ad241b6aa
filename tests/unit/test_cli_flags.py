"""One vocabulary for the CLI's flags (cli/flags.py), checked on the whole command tree: one spelling
per meaning, the older and the packet's spellings kept as aliases, `--json` a switch everywhere (files
via `--json-out`), and the old `--json PATH` answered with what to type instead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from lighter_bot.cli.app import app

ALIASES = {"--account": "--account-index", "--market": "--market-id", "--out": ("--output", "--profile-out"),
           "--html": "--report"}


def commands(group: Any, path: str = "lighter-bot") -> Iterator[tuple[str, Any]]:
    """Every command of the tree (typer's own click objects: typer vendors click)."""
    yield path, group
    for name, cmd in getattr(group, "commands", {}).items():
        yield from commands(cmd, f"{path} {name}")


TREE = list(commands(typer.main.get_command(app)))


def options() -> Iterator[tuple[str, Any]]:
    for path, cmd in TREE:
        for p in cmd.params:
            if p.param_type_name == "option":
                yield path, p


def test_old_spellings_are_aliases_never_the_name() -> None:
    seen: set[str] = set()
    for path, opt in options():
        primary, *aliases = opt.opts
        assert primary not in ALIASES, f"{path}: {primary} is an alias of {ALIASES[primary]}, not a name"
        for a in aliases:
            want = ALIASES.get(a)
            assert want is not None and primary in (want if isinstance(want, tuple) else (want,)), (path, opt.opts)
            seen.add(a)
    assert seen == set(ALIASES)  # the packet's --account (fetch_trades) and --market/--out (record) still work


def test_json_is_a_switch_on_every_command() -> None:
    jsons = [(path, o) for path, o in options() if "--json" in o.opts]
    assert len(jsons) >= 8
    assert all(o.is_flag for _, o in jsons), [path for path, o in jsons if not o.is_flag]
    files = {path for path, o in options() if "--json-out" in o.opts}
    assert {"lighter-bot backtest", "lighter-bot matrix", "lighter-bot sweep", "lighter-bot reality"} <= files


def test_ledger_is_the_name_metrics_the_hidden_alias() -> None:
    names = {path: cmd for path, cmd in TREE}
    assert "lighter-bot ledger dump" in names and "lighter-bot metrics dump" in names
    assert names["lighter-bot metrics"].hidden and not names["lighter-bot ledger"].hidden
    assert "lighter-bot dump-metrics" in names  # the running bot's /metrics, as dump_metrics.py


@pytest.mark.parametrize("argv", [
    ["backtest", "--scenario", "calm", "--json", "out.json"],
    ["matrix", "--json", "m.json"],
    ["sweep", "--json", "s.json"],
    ["reality", "--json", "r.json"],
])
def test_the_old_json_path_spelling_says_what_to_type(argv: list[str]) -> None:
    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 2, res.output
    assert f"to write a file use `--json-out {argv[-1]}`" in res.output and "Traceback" not in res.output
