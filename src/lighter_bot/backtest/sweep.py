"""Parameter sweep with Optuna over scenarios and recordings: parallel processes, or a Ray cluster.

Each trial samples the parameters of `SPACE` (config key paths), runs the `full` variant on every
scenario x seed (and recording) with them, and scores the total PnL across all runs (higher is
better); a run whose |position| passed the caps scores -inf. Trials are asked in batches of `jobs`
and evaluated in a process pool, or as Ray tasks on a cluster when a Ray address is given (backtest/cluster.py).
"""

from __future__ import annotations

import math
import multiprocessing as mp
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lighter_bot.backtest.cluster import RayCluster
from lighter_bot.backtest.matrix import Case, build_cases, overlay, run_case
from lighter_bot.config import BotConfig, parse_config
from lighter_bot.errors import ConfigError

# (config path, low, high): floats sampled uniformly.
SPACE: tuple[tuple[str, float, float], ...] = (
    ("maker.edge_first.floor_spread_bps", 8.0, 20.0),
    ("maker.hit_quality.toxic_markout_bps", -5.0, 0.0),
    ("maker.hit_quality.widen_bps", 0.0, 10.0),
    ("maker.volatility.min_spread_bps", 5.0, 12.0),
    ("maker.volatility.max_spread_bps", 12.0, 24.0),
    ("maker.inventory_skew_bps", 0.0, 10.0),
    ("hedger.alpha.kickback_move_bps", 4.0, 30.0),
)


def nest(path: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cur = out
    keys = path.split(".")
    for k in keys[:-1]:
        cur[k] = {}
        cur = cur[k]
    cur[keys[-1]] = value
    return out


def apply_params(base: dict[str, Any], params: dict[str, float]) -> dict[str, Any]:
    data = base
    for path, v in params.items():
        data = overlay(data, nest(path, v))
    # keep the band ordered whatever was sampled
    vol = data["maker"]["volatility"]
    if vol["min_spread_bps"] > vol["max_spread_bps"]:
        vol["min_spread_bps"], vol["max_spread_bps"] = vol["max_spread_bps"], vol["min_spread_bps"]
    return data


def score(rows: Sequence[dict[str, Any]]) -> float:
    if any(not r["within_caps"] for r in rows):
        return -math.inf
    return float(sum(r["total_pnl"] for r in rows))


def evaluate(args: tuple[dict[str, Any], dict[str, float], list[Case]]) -> float:
    base, params, cases = args
    try:
        cfg = parse_config(apply_params(base, params), "sweep trial")
    except ConfigError:
        return -math.inf
    return score([run_case(c, cfg) for c in cases])


@dataclass
class SweepResult:
    best_value: float
    best_params: dict[str, float]
    trials: list[dict[str, Any]]


def run_sweep(base: BotConfig, scenarios: Sequence[str], seeds: int, seed_base: int, duration_s: float,
              trials: int, jobs: int, sampler_seed: int = 0, ray_address: str | None = None,
              on_trial: Callable[[int, float, dict[str, float]], None] | None = None) -> SweepResult:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=sampler_seed))
    cases = build_cases(scenarios, seeds, seed_base, duration_s, ["full"])
    base_data = base.model_dump(mode="python")
    cluster = RayCluster(ray_address) if ray_address else None
    done = 0
    ctx = mp.get_context("spawn")
    pool = ctx.Pool(processes=jobs) if cluster is None and jobs > 1 else None
    try:
        while done < trials:
            batch = [study.ask() for _ in range(min(jobs, trials - done))]
            params = [{p: t.suggest_float(p, lo, hi) for p, lo, hi in SPACE} for t in batch]
            work = [(base_data, p, cases) for p in params]
            if cluster is not None:
                values = list(cluster.map(evaluate, work))
            elif pool is not None:
                values = pool.map(evaluate, work)
            else:
                values = [evaluate(w) for w in work]
            for t, p, v in zip(batch, params, values, strict=True):
                study.tell(t, v if math.isfinite(v) else -1e9)
                done += 1
                if on_trial is not None:
                    on_trial(done, v, p)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if cluster is not None:
            cluster.close()
    rows = [{"number": t.number, "value": t.value, "params": t.params} for t in study.trials]
    return SweepResult(float(study.best_value), dict(study.best_params), rows)

