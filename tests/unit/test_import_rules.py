"""The architecture's import rules, enforced on the source tree (docs/architecture.md, "Rules")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "lighter_bot"
IO_LIBS = ("asyncio", "aiohttp", "lighter", "prometheus_client", "websockets", "structlog", "requests", "time", "random")
PURE = ("domain", "strategy", "risk")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("package", PURE)
def test_pure_layers_do_no_io(package: str) -> None:
    bad = {
        f"{p.relative_to(SRC)} imports {m}"
        for p in modules(package)
        for m in imports_of(p)
        if _top(m) in IO_LIBS or m.startswith("lighter_bot.venues") or m.startswith("lighter_bot.engine.runner")
    }
    assert not bad, sorted(bad)


def test_domain_is_stdlib_only() -> None:
    bad = {
        f"{p.relative_to(SRC)} imports {m}"
        for p in modules("domain")
        for m in imports_of(p)
        if (m.startswith("lighter_bot.") and not m.startswith("lighter_bot.domain"))
        or _top(m) in ("pydantic", "numpy", "yaml")
    }
    assert not bad, sorted(bad)


def test_pure_layers_import_only_domain_config_and_each_other() -> None:
    allowed = ("lighter_bot.domain", "lighter_bot.strategy", "lighter_bot.risk", "lighter_bot.config", "lighter_bot.errors")
    bad = {
        f"{p.relative_to(SRC)} imports {m}"
        for pkg in ("strategy", "risk")
        for p in modules(pkg)
        for m in imports_of(p)
        if m.startswith("lighter_bot.") and not m.startswith(allowed)
    }
    assert not bad, sorted(bad)


def test_core_is_synchronous() -> None:
    core_mods = [SRC / "engine" / n for n in ("core.py", "state.py", "txbudget.py")]
    bad = {f"{p.name} imports {m}" for p in core_mods if p.exists() for m in imports_of(p) if _top(m) in IO_LIBS}
    assert not bad, sorted(bad)


def test_venues_import_domain_only() -> None:
    allowed_internal = ("lighter_bot.domain", "lighter_bot.venues", "lighter_bot.engine.clock", "lighter_bot.errors",
                        "lighter_bot.config", "lighter_bot.marketdata")
    bad = {
        f"{p.relative_to(SRC)} imports {m}"
        for p in modules("venues")
        for m in imports_of(p)
        if m.startswith("lighter_bot.") and not m.startswith(allowed_internal)
    }
    assert not bad, sorted(bad)


def test_only_wiring_names_concrete_venues() -> None:
    bad = set()
    for p in SRC.rglob("*.py"):
        rel = p.relative_to(SRC)
        if rel.parts[0] == "venues" or rel == Path("cli/wiring.py"):
            continue
        for m in imports_of(p):
            if m.startswith(("lighter_bot.venues.sim", "lighter_bot.venues.lighter", "lighter_bot.venues.emulator")):
                if rel.parts[0] in ("cli", "backtest", "ops"):
                    continue  # composition-level commands may build a venue for their own job
                if rel.parts[0] == "marketdata" and m == "lighter_bot.venues.sim.source":
                    continue  # the simulator's row format is the loaders' output format, not a venue
                bad.add(f"{rel} imports {m}")
    assert not bad, sorted(bad)


def test_records_sit_below_the_engine() -> None:
    allowed = ("lighter_bot.domain", "lighter_bot.config", "lighter_bot.errors", "lighter_bot.records")
    bad = {
        f"{p.relative_to(SRC)} imports {m}"
        for p in modules("records")
        for m in imports_of(p)
        if m.startswith("lighter_bot.") and not m.startswith(allowed)
    }
    assert not bad, sorted(bad)


def test_marketdata_reads_files_into_rows_only() -> None:
    """Loaders know the domain, the errors and the row format; nothing of the engine, strategy or venues."""
    allowed = ("lighter_bot.domain", "lighter_bot.errors", "lighter_bot.marketdata", "lighter_bot.venues.sim.source")
    bad = {
        f"{p.relative_to(SRC)} imports {m}"
        for p in modules("marketdata")
        for m in imports_of(p)
        if m.startswith("lighter_bot.") and not m.startswith(allowed)
    }
    assert not bad, sorted(bad)
