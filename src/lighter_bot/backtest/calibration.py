"""Fit a synthetic market (venues/sim/market_model.py) to a recording, judged by the probe quoter.

1. **Measure** the recording once: the probe's fill rates and markouts per distance
   (backtest/reality.py) and the market's statistics (venues/sim/calibrate.py: spread, touch and
   level sizes, level spacing, trade rate and sizes, volatility at 1 s and 30 s).
2. **Set** what is directly measurable (`measured_model`): spread, book shape, trade rate and size
   distribution, 1 s volatility. The book is coarse-grained to at most `MAX_LEVELS` levels per side
   over `DEPTH_BPS` (same USD per bps): the bot's 20-level view then reaches past its quotes, and a
   one-tick BTC book stays cheap to generate.
3. **Fit** the adverse-selection knobs (`KNOBS`: one-sided flow drift, its bias and duration, the
   book's lag, the informed share, jumps and how long they run) with optuna's TPE sampler, minimising `score`: the
   squared standard-error-weighted differences of the probe's fill rates (Poisson, log scale) and
   5 s / 30 s markouts per distance, plus spread, 1 s and 30 s volatility and trade rate, plus a steep
   `bar` term for each cell nearing the bar the fit is held to (fill rate x2, markout 1 bp). One
   evaluation generates the market once (`PreparedMarket`) and runs the probe through
   `TapeExchange` at every distance; all trials share one seed, so they differ only by the knobs.

Markouts at a distance where the recording has fewer than `MIN_FILLS` probe fills are left out of
the score (their mean is noise); the fill rate there still counts (a synthetic market that fills a
distance the real one never filled is wrong).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lighter_bot.backtest.reality import DISTANCES, Reality, measure
from lighter_bot.domain.market import MarketSpec
from lighter_bot.marketdata.stream import chunked
from lighter_bot.venues.sim.calibrate import book_trade_stats
from lighter_bot.venues.sim.market_model import MarketModel, generate
from lighter_bot.venues.sim.rules import VenueRules
from lighter_bot.venues.sim.source import Row
from lighter_bot.venues.sim.tape import PreparedMarket
from lighter_bot.venues.sim.tape_exchange import TapeExchange

MIN_FILLS = 10  # a distance's markouts count only with at least this many probe fills on the recording
FIT_HORIZONS = (5.0, 30.0)
# Model error allowed on top of the statistical errors, so the score weighs terms as the fit is
# judged (fill rates within a factor 2, markouts within 1 bp) instead of chasing a fill rate measured
# to 3 % that no model of another venue's tick reproduces: log fill rate, markout (bps).
RATE_FLOOR = 0.2
MARKOUT_FLOOR_BPS = 0.25
# The bar a fit is held to (tests/integration/test_calibration.py): fill rates within a factor 2 where the
# recording has MIN_FILLS fills, markouts within 1 bp where its own standard error is at most MAX_SE_BPS.
# A weighted sum can trade one cell past the bar for closeness elsewhere (the 1 s volatility, say), so
# the score adds a steep `bar` term for every cell past a margin inside it; the margin leaves room for
# the seed-to-seed noise of a 60-minute check (~0.2 bp, ~10 % on the busiest distances).
MAX_SE_BPS = 0.5
BAR_MARKOUT_BPS, BAR_RATE = 1.0, 2.0  # the bar itself
MARGIN_MARKOUT_BPS, MARGIN_MARKOUT_STEP_BPS = 0.5, 0.1  # past 0.5 bp off, every 0.1 bp adds one z
MARGIN_LOG_RATE, MARGIN_LOG_RATE_STEP = math.log(1.6), 0.05  # past x1.6 off, every 5 % adds one z
# a trial stops once its partial score (a lower bound: every term adds) passes this far beyond the best
PRUNE_FACTOR = 1.5
PRUNE_MARGIN = 10.0
DEPTH_BPS = 15.0  # the synthetic book reaches this far past the touch (the probe quotes up to 10 bps)
# per side; finer books are coarse-grained to this many levels (same USD per bps), so the 20 levels a
# simulated book update carries reach 7.5 bps, past where the bot quotes (Lighter sends its whole book)
MAX_LEVELS = 40
DEFAULT_GAP_BPS = 0.6  # level spacing when the recording shows only the best levels (Lighter's CSV)


@dataclass(frozen=True)
class Measured:
    """One market as the fit sees it: the probe's curves and the market's statistics."""

    reality: Reality
    stats: dict[str, float]


def measure_market(name: str, rows: Sequence[Row], market: MarketSpec, price: float, rules: VenueRules, seed: int,
                   distances: Sequence[float] = DISTANCES,
                   give_up: Callable[[Measured], bool] | None = None) -> Measured:
    """The probe at every distance over one prepared tape, and the book/trade statistics. Distances
    run in the order given; `give_up(partial)` after each one may stop early (the fit's pruning)."""
    prepared = PreparedMarket(chunked(rows), rules.book_interval_s, rules.book_depth)
    stats = book_trade_stats(rows, market.price_scale, market.size_scale)
    out: Measured | None = None
    for d in distances:
        r = measure(name, market, lambda: TapeExchange(market, prepared, rules, seed), rules, price, [d])
        out = Measured(r if out is None else replace(out.reality, curves=(*out.reality.curves, *r.curves)), stats)
        if give_up is not None and give_up(out):
            break
    assert out is not None, "no distance to measure"
    return out


def synthetic_rows(model: MarketModel, market: MarketSpec, price: float, duration_s: float, seed: int) -> list[Row]:
    return list(generate(((model, duration_s),), seed, duration_s, market, price))


def _finite(x: float, default: float) -> float:
    return x if isinstance(x, float | int) and math.isfinite(x) and x > 0 else default


def measured_model(name: str, target: Measured, market: MarketSpec, price: float) -> MarketModel:
    """The directly measurable parameters of `target`, adverse selection off."""
    ms, st = target.reality.market, target.stats
    touch = _finite(st["touch_notional_median_usd"], 1_000.0)
    gap = _finite(st["level_gap_bps_median"], DEFAULT_GAP_BPS)
    level = _finite(st["level_notional_median_usd"], touch)
    coarse = max(1.0, DEPTH_BPS / gap / MAX_LEVELS)
    return MarketModel(
        name=name,
        tick_bps=1e4 / (price * market.price_scale),
        spread_bps=_finite(ms.spread_median_bps, 1.0),
        level_gap_bps=gap * coarse,
        levels=math.ceil(DEPTH_BPS / (gap * coarse)),
        level_usd=level * coarse,
        touch_usd=touch,
        churn_per_s=_finite(st["level_churn_per_s"], 0.5),
        touch_churn_per_s=_finite(st["touch_churn_per_s"], 2.0),
        trades_per_s=_finite(ms.trades_per_min / 60, 0.1),
        trade_usd=_finite(ms.trade_median_usd, 100.0),
        trade_log_sigma=_finite(st["trade_log_sigma"], 1.5),
        vol_bps=_finite(ms.vol_bps_per_sqrt_s, 0.5),
    )


# -- the knobs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Knob:
    name: str
    low: float
    high: float
    log: bool = False
    what: str = ""
    per_vol: bool = False  # in units of the recording's 1 s volatility (bps): one range fits calm and wild markets


KNOBS: tuple[Knob, ...] = (
    Knob("flow_drift", 0.0, 0.5, per_vol=True,
         what="drift of the fair value while one side dominates the noise flow (x vol per second)"),
    Knob("flow_s", 2.0, 120.0, log=True, what="mean time before the dominant side of the flow flips (s)"),
    Knob("lag_s", 0.0, 3.0, what="mean time between re-centrings of the visible book on the fair value (s)"),
    Knob("informed", 0.0, 0.8, what="share of takers who hit quotes the fair value has passed"),
    Knob("jumps_per_h", 1.0, 300.0, log=True, what="jumps of the fair value per hour (each a sweep)"),
    Knob("jump", 0.3, 10.0, log=True, per_vol=True, what="mean jump size (x vol)"),
    Knob("jump_revert", 0.0, 0.9, what="share of a jump that decays again"),
    Knob("revert_s", 2.0, 60.0, log=True, what="time constant of that decay (s)"),
    Knob("jump_s", 0.1, 10.0, log=True, what="how long a jump runs (s; 0.1: one step, a sweep)"),
)
# the first trials: almost no adverse selection, and a middle point, so the search brackets them
STARTS: tuple[dict[str, float], ...] = (
    {"flow_drift": 0.0, "flow_s": 20.0, "lag_s": 0.0, "informed": 0.0, "jumps_per_h": 1.0, "jump": 1.0,
     "jump_revert": 0.0, "revert_s": 10.0, "jump_s": 0.1},
    {"flow_drift": 0.1, "flow_s": 20.0, "lag_s": 0.5, "informed": 0.3, "jumps_per_h": 30.0, "jump": 2.0,
     "jump_revert": 0.5, "revert_s": 10.0, "jump_s": 2.0},
)
FLOW_BIAS = 0.5  # how one-sided the noise flow is while a side dominates (the drift knob sets its impact)


def with_knobs(base: MarketModel, k: dict[str, float]) -> MarketModel:
    """`base` with the knobs' adverse selection; the impact per median trade is what makes the noise
    flow drift `flow_drift` x vol per second while a side dominates."""
    informed = k["informed"]
    noise = base.trades_per_s * (1.0 - informed)
    m1 = base.size_factor_moments()[0]
    impact = k["flow_drift"] * base.vol_bps / max(noise * m1 * FLOW_BIAS, 1e-9)
    return replace(base, impact_bps=impact, flow_bias=FLOW_BIAS, flow_s=k["flow_s"], lag_s=k["lag_s"],
                   informed=informed, jumps_per_h=k["jumps_per_h"], jump_bps=k["jump"] * base.vol_bps,
                   jump_revert=k["jump_revert"], revert_s=k["revert_s"], jump_s=k["jump_s"])


# -- the score ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    name: str
    target: float
    fitted: float
    z: float  # standard-error-weighted difference; the score is the sum of z**2


def _log_ratio(a: float, b: float) -> float:
    return math.log(a / b) if a > 0 and b > 0 else math.inf


def terms(target: Measured, fitted: Measured) -> list[Term]:
    """Every compared statistic of `fitted` against `target` (see the module docstring)."""
    out: list[Term] = []
    rt, rf = target.reality, fitted.reality
    tt, tf = max(rt.market.seconds, 1.0), max(rf.market.seconds, 1.0)
    for cf in rf.curves:  # a pruned evaluation has the first distances only
        ct = rt.curve(cf.distance_bps)
        label = "touch" if ct.distance_bps == 0 else f"{ct.distance_bps:g}bp"
        # fill counts are Poisson: compare rates on a log scale, half a fill added to each count
        nt, nf = ct.fills + 0.5, cf.fills + 0.5
        log_ratio = math.log((nf / tf) / (nt / tt))
        z = log_ratio / math.sqrt(1 / nt + 1 / nf + RATE_FLOOR**2)
        out.append(Term(f"{label} fills/h", ct.fills_per_hour, cf.fills_per_hour, z))
        if ct.fills < MIN_FILLS:
            continue
        if (past := abs(log_ratio) - MARGIN_LOG_RATE) > 0:
            out.append(Term(f"bar: {label} fills/h", ct.fills_per_hour, cf.fills_per_hour, past / MARGIN_LOG_RATE_STEP))
        for h in FIT_HORIZONS:
            mt, st = ct.markout_bps.get(h, math.nan), ct.markout_se_bps.get(h, math.nan)
            mf, sf = cf.markout_bps.get(h, math.nan), cf.markout_se_bps.get(h, math.nan)
            if math.isnan(mt):
                continue
            if math.isnan(mf):  # no synthetic fill to mark out: as far off as the target is from zero
                z = min(5.0, abs(mt) / max(st, 0.1))
            else:
                z = (mf - mt) / math.sqrt(st**2 + (sf if sf == sf else 0.0) ** 2 + MARKOUT_FLOOR_BPS**2)
            out.append(Term(f"{label} markout {h:g}s", mt, mf, z))
            if st <= MAX_SE_BPS and (past := (abs(mf - mt) if mf == mf else abs(mt)) - MARGIN_MARKOUT_BPS) > 0:
                out.append(Term(f"bar: {label} markout {h:g}s", mt, mf, past / MARGIN_MARKOUT_STEP_BPS))
    mt_, mf_ = rt.market, rf.market
    vol_se = max(0.05, math.sqrt(1 / (2 * tt) + 1 / (2 * tf)))  # relative SE of a std-dev from n returns
    vol30_se = max(0.1, math.sqrt(30 / (2 * tt) + 30 / (2 * tf)))
    for name, a, b, rel in (
        ("spread", mt_.spread_median_bps, mf_.spread_median_bps, 0.1),
        ("vol 1s", mt_.vol_bps_per_sqrt_s, mf_.vol_bps_per_sqrt_s, vol_se),
        ("vol 30s", target.stats["vol30_bps_per_sqrt_s"], fitted.stats["vol30_bps_per_sqrt_s"], vol30_se),
        ("trades/min", mt_.trades_per_min, mf_.trades_per_min, 0.1),
    ):
        if a > 0 and a == a:
            out.append(Term(name, a, b, min(10.0, abs(_log_ratio(b, a))) / rel))
    return out


def score(ts: Iterable[Term]) -> float:
    return sum(t.z * t.z for t in ts)


# -- the fit ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FitResult:
    model: MarketModel
    knobs: dict[str, float]
    score: float
    terms: list[Term]
    fitted: Measured
    trials: int
    seconds: float


Progress = Callable[[str], None]


def fit(target: Measured, base: MarketModel, market: MarketSpec, price: float, rules: VenueRules, *,
        trials: int, duration_s: float, seed: int, progress: Progress = print) -> FitResult:
    """Search the knobs for the model whose probe statistics are nearest the target's."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(12, max(1, trials // 3)), multivariate=True)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    # start from "no adverse selection" and from a middle point, so the first trials bracket it
    for start in STARTS:
        study.enqueue_trial(start)
    best: tuple[float, dict[str, float], list[Term], Measured] | None = None
    t0 = time.perf_counter()
    # the busiest distances first: their terms weigh most, so a hopeless trial shows it early
    order = [c.distance_bps for c in sorted(target.reality.curves, key=lambda c: -c.fills)]
    for i in range(trials):
        trial = study.ask()
        k = {kn.name: trial.suggest_float(kn.name, kn.low, kn.high, log=kn.log) for kn in KNOBS}
        model = with_knobs(base, k)
        fitted = measure_market(base.name, synthetic_rows(model, market, price, duration_s, seed), market, price,
                                rules, seed, order, give_up=_past(target, best[0] if best else math.inf))
        ts = terms(target, fitted)
        s = score(ts)  # of a pruned trial: a lower bound, already past the bar
        pruned = len(fitted.reality.curves) < len(order)
        study.tell(trial, s)
        if not pruned and (best is None or s < best[0]):
            best = (s, k, ts, fitted)
        worst = max(ts, key=lambda t: abs(t.z))
        progress(f"trial {i + 1}/{trials} score {s:8.2f}{'+ (pruned)' if pruned else ''} "
                 f"(best {best[0] if best else math.inf:.2f}) {time.perf_counter() - t0:6.0f}s  "
                 + " ".join(f"{n}={v:.3g}" for n, v in k.items()) + f"  worst: {worst.name} z={worst.z:+.1f}")
    assert best is not None
    s, k, ts, fitted = best
    return FitResult(with_knobs(base, k), k, s, ts, fitted, trials, time.perf_counter() - t0)


def _past(target: Measured, best: float) -> Callable[[Measured], bool]:
    """Prune test: has a partial evaluation's score (a lower bound of its full score) passed the bar?"""
    bar = PRUNE_FACTOR * best + PRUNE_MARGIN
    return lambda m: score(terms(target, m)) > bar


# each ingredient of the fitted model, switched off on its own (what the data needs: the score rises)
INGREDIENTS: dict[str, dict[str, float]] = {
    "one-sided flow (impact)": {"impact_bps": 0.0},
    "lagging book": {"lag_s": 0.0},
    "informed takers": {"informed": 0.0},
    "jumps": {"jumps_per_h": 0.0},
}


def ablation(target: Measured, model: MarketModel, market: MarketSpec, price: float, rules: VenueRules,
             duration_s: float, seed: int) -> dict[str, float]:
    """The score of `model` with each ingredient off in turn (same seed as the fit)."""
    dists = [c.distance_bps for c in target.reality.curves]
    out: dict[str, float] = {}
    for name, off in INGREDIENTS.items():
        m = replace(model, **off)  # type: ignore[arg-type]
        out[name] = score(terms(target, measure_market(name, synthetic_rows(m, market, price, duration_s, seed),
                                                       market, price, rules, seed, dists)))
    return out


def fit_record(res: FitResult, target: Measured, sources: Sequence[str], market: MarketSpec, price: float,
               rules: VenueRules, duration_s: float, seed: int) -> dict[str, Any]:
    """What the profile keeps about its fit: inputs, knobs, score and every compared statistic."""
    def r(x: float) -> float | None:
        return None if x != x or math.isinf(x) else float(f"{x:.4g}")

    excluded = [("touch" if c.distance_bps == 0 else f"{c.distance_bps:g}bp") for c in target.reality.curves
                if c.fills < MIN_FILLS]
    return {
        "data": list(sources),
        "instrument": market.symbol,
        "price": r(price),
        "recording_minutes": r(target.reality.market.seconds / 60),
        "tier": rules.name,
        "trials": res.trials,
        "seed": seed,
        "synthetic_minutes": r(duration_s / 60),
        "score": r(res.score),
        "min_fills": MIN_FILLS,
        "markouts_not_fitted": excluded,
        "knobs": {n: r(v) for n, v in res.knobs.items()},
        "compared": {t.name: {"recording": r(t.target), "fitted": r(t.fitted), "z": r(t.z)} for t in res.terms},
    }
