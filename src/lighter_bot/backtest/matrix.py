"""Scenario matrix: every scenario (or recording) x seeds x strategy variants, in parallel processes
or as tasks on a Ray cluster (backtest/cluster.py).

Variants are config overlays on the resolved config:
* `baseline`: fixed 12 bps full-width quoting with none of the protections: `maker.volatility`
  (band, size multipliers, pause), `maker.trend`, `maker.pnl_guard`, `maker.edge_first`,
  `maker.hit_quality`, `maker.edge` (placement by expected edge), `maker.fair_value` (quotes around
  the mid), `maker.race.pull_crossed`, `maker.queue` and the hedger (and so `hedger.alpha`) all off,
  `maker.inventory_skew_bps` = 0, `maker.spread_bps` = 12. Kept: the hard caps (`guard.*`) and the venue-safety halts, which are
  not strategy but the account's limits (without them a baseline position is unbounded).
* `full`: the config as given (the whole strategy, every step on).
* `no_<step>` (with ablation): `full` with one plan step switched off: `no_edge_first`
  (maker.edge_first), `no_self_healing` (maker.pnl_guard), `no_hit_quality` (maker.hit_quality),
  `no_hedge_alpha` (hedger.alpha), `no_edge` (maker.edge: the band alone places the quotes).

Rows hold the engine's own statistics (runner.summarize, from the exchange's fill log).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from lighter_bot.backtest.cluster import RayCluster
from lighter_bot.backtest.fit import FIT_HORIZON_S, fit_fair_value, sample_features
from lighter_bot.backtest.runner import BacktestResult, run_backtest
from lighter_bot.backtest.walkforward import Halves, split_halves
from lighter_bot.config import BotConfig, merge_profile, parse_config
from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.engine.clock import SimClock
from lighter_bot.engine.core import EngineCore
from lighter_bot.marketdata.stream import first_mid, rows_of
from lighter_bot.strategy.fair_value import FEATURES
from lighter_bot.venues.sim import replay
from lighter_bot.venues.sim.rules import VenueRules, tier_rules
from lighter_bot.venues.sim.scenarios import make_scenario, scenario_regimes
from lighter_bot.venues.sim.source import Row
from lighter_bot.venues.sim.tape import Chunks, PreparedMarket
from lighter_bot.venues.sim.tape_exchange import make_exchange

BASELINE: dict[str, Any] = {
    "maker": {
        "spread_bps": 12.0,
        "inventory_skew_bps": 0.0,
        "volatility": {"enabled": False},
        "trend": {"enabled": False},
        "pnl_guard": {"enabled": False},
        "edge_first": {"enabled": False},
        "hit_quality": {"enabled": False},
        "edge": {"enabled": False},
        "fair_value": {"coefficients": dict.fromkeys(FEATURES, 0.0)},  # zeros: quotes around the mid
        "race": {"pull_crossed": False},
        "queue": {"enabled": False},
    },
    "hedger": {"enabled": False, "alpha": {"enabled": False}},
}
ABLATIONS: dict[str, dict[str, Any]] = {
    "no_edge_first": {"maker": {"edge_first": {"enabled": False}}},
    "no_self_healing": {"maker": {"pnl_guard": {"enabled": False}}},
    "no_hit_quality": {"maker": {"hit_quality": {"enabled": False}}},
    "no_hedge_alpha": {"hedger": {"alpha": {"enabled": False}}},
    "no_edge": {"maker": {"edge": {"enabled": False}}},
}
# The anchors to beat (strategy/reference_quotes.py): the baseline's switches, quotes from the model.
GLFT: dict[str, Any] = {**BASELINE, "maker": {**BASELINE["maker"], "model": "glft"}}
AVELLANEDA: dict[str, Any] = {**BASELINE, "maker": {**BASELINE["maker"], "model": "avellaneda"}}
VARIANTS: dict[str, dict[str, Any]] = {"baseline": BASELINE, "full": {}, "glft": GLFT, "avellaneda": AVELLANEDA,
                                       **ABLATIONS}
DATA_PREFIX = "data:"  # a matrix "scenario" that is a recording: data:<path>[+<path>...]


def overlay(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in top.items():
        out[k] = overlay(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def variant_config(cfg: BotConfig, variant: str) -> BotConfig:
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
    return parse_config(overlay(cfg.model_dump(mode="python"), VARIANTS[variant]), f"variant {variant}")


def regime_labeler(scenario: str) -> Callable[[float], str]:
    """Seconds into a scenario -> the name of the regime in force (the cycle repeats)."""
    if scenario.startswith(DATA_PREFIX):
        return lambda _t: "data"
    cycle = scenario_regimes(scenario)
    total = sum(length for _, length in cycle)

    def at(t: float) -> str:
        x = t % total if total > 0 else 0.0
        for regime, length in cycle:
            if x < length:
                return regime.name
            x -= length
        return cycle[-1][0].name

    return at


@dataclass(frozen=True, slots=True)
class Case:
    scenario: str  # a scenario name, or data:<file>[+<file>]
    seed: int
    variant: str
    duration_s: float | None
    tier: str = "standard"
    zero_fees: bool = True
    half: str = ""  # walk-forward: judge on half "A" or "B" of a recording, fitted on the other; "" = all of it


PREPARED_MAX_ROWS = 1_000_000  # a recording up to this long is prepared once per process and kept (~250 MB)


@dataclass
class _Loaded:
    """A recording of the matrix: streamed from its files for every case, or, when it is short, prepared
    once per process and replayed from memory by every case on it (tape.PreparedMarket)."""

    market: MarketSpec
    recording: replay.Recording
    mid: float
    prepared: dict[tuple[float, int], PreparedMarket | None] = field(default_factory=dict)  # by (interval, depth)

    @property
    def rows(self) -> list[Row]:
        return list(rows_of(self.recording.chunks()))

    def market_data(self, rules: VenueRules) -> Chunks | PreparedMarket:
        key = (rules.book_interval_s, rules.book_depth)
        if key not in self.prepared:
            self.prepared[key] = PreparedMarket.at_most(self.recording.chunks(), *key, max_rows=PREPARED_MAX_ROWS)
        p = self.prepared[key]
        return p if p is not None else Chunks(self.recording.chunks())


_HALVES: dict[str, Halves] = {}
_FITS: dict[tuple[str, str], dict[str, float]] = {}


def _halves(spec: str) -> Halves:
    if spec not in _HALVES:
        _HALVES[spec] = split_halves(_load_data(spec).rows)
    return _HALVES[spec]


def _half_rows(spec: str, half: str) -> list[Row]:
    h = _halves(spec)
    return h.first if half == "A" else h.second


def fitted_on(spec: str, half: str, rules: VenueRules) -> dict[str, float]:
    """Fair-value coefficients fitted on one half of a recording (all of it is training data)."""
    key = (spec, half)
    if key not in _FITS:
        rep = _load_data(spec)
        try:
            sample = sample_features(make_exchange(rep.market, _half_rows(spec, half), rules, 0))
            _FITS[key] = fit_fair_value(sample, FIT_HORIZON_S, train_fraction=1.0).coefficients
        except ValueError:
            _FITS[key] = {}  # too little data to fit: quote around the mid
    return _FITS[key]


_DATA_CACHE: dict[str, _Loaded] = {}


def _load_data(spec: str) -> _Loaded:
    if spec not in _DATA_CACHE:
        rec = replay.load(spec[len(DATA_PREFIX):].split("+"))
        _DATA_CACHE[spec] = _Loaded(rec.market, rec, first_mid(rows_of(rec.chunks()), rec.market, rec.source))
    return _DATA_CACHE[spec]


def case_inputs(case: Case, base: BotConfig
                ) -> tuple[BotConfig, MarketSpec, Iterator[Row] | list[Row] | Chunks | PreparedMarket, VenueRules]:
    """Config (variant + instrument profile + tier), market, rows and venue rules of one case."""
    data = base.model_dump(mode="python")
    if case.scenario.startswith(DATA_PREFIX):
        rep = _load_data(case.scenario)
        market = rep.market
        data = merge_profile(data, replay.derive_profile(market, rep.mid))
        rows: Iterator[Row] | list[Row] | Chunks | PreparedMarket = Chunks(())  # set below, once the rules are known
        if case.half:
            rows = _half_rows(case.scenario, case.half)
            other = "B" if case.half == "A" else "A"
            coefs = fitted_on(case.scenario, other, tier_rules(case.tier))
            data = overlay(data, {"maker": {"fair_value": {"coefficients": coefs}}})
    else:
        market = SOL_PERP
        rows = make_scenario(case.scenario, case.seed, case.duration_s or 3600.0, market, base.sim.start_price)
    data = overlay(data, {"api": {"tier": case.tier}})
    cfg = variant_config(parse_config(data, f"case {case.scenario}"), case.variant)
    rules = tier_rules(case.tier)
    if cfg.api.tx_per_minute:
        rules = rules.with_(tx_per_minute=cfg.api.tx_per_minute)
    if case.zero_fees:
        rules = rules.with_(maker_fee_rate=0.0, taker_fee_rate=0.0)
    if case.scenario.startswith(DATA_PREFIX) and not case.half:
        rows = _load_data(case.scenario).market_data(rules)
    return cfg, market, rows, rules


def run_case(case: Case, base: BotConfig) -> dict[str, Any]:
    cfg, market, rows, rules = case_inputs(case, base)
    clock = SimClock()
    ex = make_exchange(market, rows, rules, case.seed)
    core = EngineCore(cfg, market, clock)
    dur = case.duration_s if not case.scenario.startswith(DATA_PREFIX) else None
    res = run_backtest(ex, core, clock, duration_s=dur)
    return row_of(case, res, cfg, core)


def row_of(case: Case, res: BacktestResult, cfg: BotConfig, core: EngineCore) -> dict[str, Any]:
    g = cfg.guard
    prog = core.program
    return {
        "scenario": case.scenario,
        "half": case.half,
        "seed": case.seed,
        "variant": case.variant,
        "tier": case.tier,
        "realized_pnl": res.realized_pnl,
        "unrealized_pnl": res.unrealized_pnl,
        "fees": res.fees,
        "total_pnl": res.realized_pnl + res.unrealized_pnl,
        "max_abs_position": res.max_abs_position,
        "max_abs_notional": res.max_abs_notional,
        "cap_position": g.max_position_units,
        "cap_notional": g.max_inventory_notional,
        "within_caps": res.max_abs_position <= g.max_position_units + 1e-9,
        "fills": res.fills,
        "volume_quote": res.volume_quote,
        "tx_sent": res.tx_sent,
        "sim_seconds": res.sim_seconds,
        "wall_seconds": res.wall_seconds,
        "guard_engagements": prog.guard_watch.engagements,
        "hit_quality_engagements": sum(prog.hit_quality.engagements.values()),
        "hedge_abandoned_spread": prog.hedge_alpha.abandoned_spread,
        "hedge_kickback_waits": prog.hedge_alpha.kickback_waits,
        "hedge_kickback_tier_quotes": prog.hedge_alpha.kickback_tier_quotes,
        **core.fill_tally.status(core.race_pulls).row(),  # race fills apart (strategy/race.py)
    }


def _run_packed(args: tuple[Case, dict[str, Any]]) -> dict[str, Any]:
    case, cfg_data = args
    return run_case(case, parse_config(cfg_data))


def build_cases(scenarios: Sequence[str], seeds: int, seed_base: int, duration_s: float | None,
                variants: Sequence[str], tier: str = "standard", zero_fees: bool = True,
                walk_forward: bool = False) -> list[Case]:
    """Every scenario x seed x variant; with `walk_forward` a recording is judged as its two halves,
    each with the fair value fitted on the other (scenarios are unaffected: nothing is fitted on them)."""
    out = []
    for sc in scenarios:
        halves = ("A", "B") if walk_forward and sc.startswith(DATA_PREFIX) else ("",)
        out += [Case(sc, seed_base + i, v, duration_s, tier, zero_fees, h)
                for i in range(seeds) for v in variants for h in halves]
    return out


def run_matrix(cases: Sequence[Case], base: BotConfig, jobs: int = 2,
               on_row: Callable[[dict[str, Any]], None] | None = None,
               ray_address: str | None = None) -> list[dict[str, Any]]:
    """Run the cases (in `jobs` processes when > 1, or as tasks on the Ray cluster at `ray_address`);
    rows come back in case order."""
    packed = [(c, base.model_dump(mode="python")) for c in cases]
    rows: list[dict[str, Any]] = []
    if ray_address:
        with RayCluster(ray_address) as cluster:
            for r in cluster.map(_run_packed, packed):
                rows.append(r)
                if on_row is not None:
                    on_row(r)
        return rows
    if jobs <= 1 or len(cases) <= 1:
        for p in packed:
            rows.append(_run_packed(p))
            if on_row is not None:
                on_row(rows[-1])
        return rows
    ctx = mp.get_context("spawn")  # a clean interpreter per worker: no inherited state or threads
    with ctx.Pool(processes=jobs) as pool:
        for r in pool.imap(_run_packed, packed):
            rows.append(r)
            if on_row is not None:
                on_row(r)
    return rows


def summarize_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean total/realized PnL, fills and worst |position| per (scenario, variant)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["scenario"], r["variant"]), []).append(r)
    out = []
    for (sc, v), rs in groups.items():
        n = len(rs)
        out.append({
            "scenario": sc, "variant": v, "runs": n,
            "mean_total_pnl": sum(r["total_pnl"] for r in rs) / n,
            "se_total_pnl": _std_error([r["total_pnl"] for r in rs]),
            "mean_realized_pnl": sum(r["realized_pnl"] for r in rs) / n,
            "mean_fills": sum(r["fills"] for r in rs) / n,
            "mean_volume_quote": sum(r["volume_quote"] for r in rs) / n,
            "max_abs_position": max(r["max_abs_position"] for r in rs),
            "within_caps": all(r["within_caps"] for r in rs),
        })
    return out


def data_label(spec: str, width: int = 14) -> str:
    """A recording's short name for tables: the end of its first file's name (where collectors put the
    instrument), without extensions."""
    stem = spec[len(DATA_PREFIX):].split("+")[0].rsplit("/", 1)[-1].split(".")[0]
    return stem[-width:]


def _bps(pnl: float, volume: float) -> str:
    """PnL per traded volume in bps ('-' when nothing traded: a bot that never trades earns 0)."""
    return f"{pnl / volume * 1e4:+.2f}" if volume > 0 else "-"


def _std_error(xs: Sequence[float]) -> float:
    """Standard error of the mean (0 for fewer than 2 runs): how far seeds alone move the mean."""
    return statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else 0.0


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """One table: per scenario and variant, the means over seeds; then totals per variant."""
    summ = summarize_rows(rows)
    head = (f"{'scenario':<14} {'variant':<16} {'runs':>4} {'total_pnl':>10} {'+-se':>7} {'realized':>10} {'fills':>7} "
            f"{'volume':>9} {'bps/vol':>8} {'max|q|':>8} caps")
    lines = [head, "-" * len(head)]
    for s in summ:
        name = s["scenario"]
        if name.startswith(DATA_PREFIX):
            name = data_label(name)
        lines.append(f"{name:<14} {s['variant']:<16} {s['runs']:>4} {s['mean_total_pnl']:>10.4f} {s['se_total_pnl']:>7.4f} "
                     f"{s['mean_realized_pnl']:>10.4f} {s['mean_fills']:>7.1f} {s['mean_volume_quote']:>9.1f} "
                     f"{_bps(s['mean_total_pnl'], s['mean_volume_quote']):>8} {s['max_abs_position']:>8.4g} "
                     f"{'ok' if s['within_caps'] else 'EXCEEDED'}")
    lines.append("-" * len(head))
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    for v in variants:
        rs = [r for r in rows if r["variant"] == v]
        tot = sum(r["total_pnl"] for r in rs)
        vol = sum(r["volume_quote"] for r in rs)
        lines.append(f"{'TOTAL':<14} {v:<16} {len(rs):>4} {tot:>10.4f} {'':>7} {sum(r['realized_pnl'] for r in rs):>10.4f} "
                     f"{sum(r['fills'] for r in rs):>7d} {vol:>9.1f} {_bps(tot, vol):>8} "
                     f"{max(r['max_abs_position'] for r in rs):>8.4g} "
                     f"{'ok' if all(r['within_caps'] for r in rs) else 'EXCEEDED'}")
    return "\n".join(lines)
