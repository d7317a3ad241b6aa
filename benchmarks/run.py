"""`make bench` entry: run every `benchmarks/bench_*.py` module's `run() -> dict`, write JSON results.

Add a benchmark by creating `benchmarks/bench_<name>.py` with a `run() -> dict` (JSON-serialisable);
it is discovered automatically. Results go to `benchmarks/results/<name>.json` plus `summary.json`.
`python -m benchmarks.run [name ...]` runs only the named ones.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def discover() -> list[str]:
    return sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))


def run_one(name: str) -> dict[str, Any]:
    mod = importlib.import_module(f"benchmarks.bench_{name}")
    load_before = [round(x, 2) for x in os.getloadavg()]  # the machine may be shared: say how busy it was
    t0 = time.perf_counter()
    try:
        out: dict[str, Any] = {"ok": True, **mod.run()}
    except Exception as exc:  # a broken benchmark must not hide the others' results
        out = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    out["bench_wall_seconds"] = round(time.perf_counter() - t0, 3)
    out["load_average_1_5_15"] = {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]}
    return out


def main(argv: list[str]) -> int:
    names = argv or discover()
    unknown = [n for n in names if n not in discover()]
    if unknown:
        print(f"error: unknown benchmark(s) {', '.join(unknown)} (known: {', '.join(discover())})", file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    from lighter_bot import native

    # which build ran: the compiled one (`make native`, what `make bench` builds first) or the sources
    build = "compiled" if native.compiled() else "interpreted"
    env = {"python": platform.python_version(), "machine": platform.machine(), "engine_build": build,
           "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    summary: dict[str, Any] = {"env": env}
    for name in names:
        print(f"== {name}", flush=True)
        res = run_one(name)
        (RESULTS / f"{name}.json").write_text(json.dumps({"env": env, **res}, indent=2, sort_keys=True) + "\n")
        summary[name] = {k: v for k, v in res.items() if k != "traceback"}
        print(json.dumps(summary[name], indent=2, sort_keys=True), flush=True)
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return 0 if all(summary[n].get("ok") for n in names) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
