"""benchmarks/run.py: discovers bench_* modules, rejects unknown names (exit 2)."""

from __future__ import annotations

from benchmarks import run


def test_discovers_the_benchmark_modules() -> None:
    names = run.discover()
    assert {"replay", "vs_hftbacktest"} <= set(names)


def test_unknown_benchmark_is_a_usage_error(capsys: object) -> None:
    assert run.main(["no_such_bench"]) == 2
