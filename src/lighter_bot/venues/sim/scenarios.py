"""Named, seeded synthetic markets: bases fitted to real recordings, and stresses on top of them.

A **scenario profile** (`profiles/scenarios/<name>.yaml`, written by `lighter-bot calibrate`) holds
one `MarketModel` (market_model.py) fitted to a recording, in bps, USD and seconds, so it runs at
any price and tick (here SOL_PERP at the configured start price). Every profile found is a scenario
of its own name. Two are committed and carry the named scenarios:

* `calm` (fitted to Lighter's own ETH book) is the base of the single-regime stresses;
* `sol_base` (fitted to the Hyperliquid SOL recording) is the base of `sol_day`, a 4-hour cycle of
  that base and the stresses on it, repeated.

A **stress** changes a base where the name says (drift, volatility, a crash, more informed flow,
a thinner book) and keeps everything else, its adverse selection included, so a stressed market is
never kinder to a maker than the real market its base was fitted to.

Profiles are looked up in `profiles/scenarios/` under the working directory first (an operator's
own fits, and the Docker image's /app), then in the repository's copy next to this package.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import yaml

from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.errors import DataError
from lighter_bot.venues.sim.market_model import Cycle, MarketModel, generate
from lighter_bot.venues.sim.source import Row

PROFILE_DIR = Path("profiles") / "scenarios"
_REPO_PROFILES = Path(__file__).resolve().parents[4] / PROFILE_DIR
CALM_BASE = "calm"
SOL_BASE = "sol_base"
REGIME_S = 3600.0  # length of a single-regime scenario's regime (it repeats)


def _trend(sign: int) -> Callable[[MarketModel], MarketModel]:
    return lambda b: replace(b, name="trend_up" if sign > 0 else "trend_down", drift_bps_per_s=0.25 * sign,
                             vol_bps=1.5 * b.vol_bps)


STRESSES: dict[str, Callable[[MarketModel], MarketModel]] = {
    # a steady drift (15 bps a minute) on a 1.5x noisier price
    "trend_up": _trend(1),
    "trend_down": _trend(-1),
    # five times the volatility, a wider and thinner book, twice the flow in bigger trades
    "vol_spike": lambda b: replace(b, name="vol_spike", vol_bps=5.0 * b.vol_bps, spread_bps=2.5 * b.spread_bps,
                                   level_usd=b.level_usd / 2, touch_usd=b.touch_usd / 2,
                                   trades_per_s=2.0 * b.trades_per_s, trade_usd=2.0 * b.trade_usd),
    # -150 bps in 15 s, one minute in, then a 60 % rebound; flow 1.5x
    "flash_crash": lambda b: replace(b, name="flash_crash", crash_bps=-150.0, crash_at_s=60.0, crash_len_s=15.0,
                                     trades_per_s=1.5 * b.trades_per_s),
    # harder adverse selection than the base (and than its recording at every distance): more informed
    # takers, three times the impact, more one-sided runs, a book twice as slow, a 1.5x livelier price
    "toxic": lambda b: replace(b, name="toxic", informed=min(0.9, b.informed + 0.4), impact_bps=3.0 * b.impact_bps,
                               flow_bias=min(0.9, b.flow_bias + 0.3), lag_s=max(1.0, 2.0 * b.lag_s),
                               vol_bps=1.5 * b.vol_bps),
    # a thin listing (Lighter's are thinner than Hyperliquid's): a tenth of the depth in levels four
    # times as far apart, three times the spread, so each trade moves the price sqrt(10) times as far
    # and the price is four times as volatile; the same flow (a wide spread alone would be kinder: a
    # quote inside it takes every taker on its side)
    "thin_book": lambda b: replace(b, name="thin_book", spread_bps=3.0 * b.spread_bps,
                                   level_gap_bps=4.0 * b.level_gap_bps, levels=max(10, b.levels // 4),
                                   level_usd=b.level_usd / 10, touch_usd=b.touch_usd / 10,
                                   impact_bps=math.sqrt(10) * b.impact_bps, vol_bps=4.0 * b.vol_bps),
}

# sol_day: the regimes the operator sees over a day, switching every ~20 minutes (a cycle of ~4 h);
# None = the base itself (named "calm" in the cycle). It opens with a trend, so `make run` shows the
# quotes fill and the hedger act within its first minutes (in the fitted base a quote 3.5 bps out
# fills about once a minute and alternately: the hedger's first trigger came after ~34 minutes).
# `chop` (a mean-reverting range) is gone: no recording shows it (30 s moves outgrow 1 s moves on
# every one) and it was the one regime that paid a maker for being filled.
SOL_DAY_CYCLE: tuple[tuple[str | None, float], ...] = (
    ("trend_up", 900.0), (None, 1200.0), ("vol_spike", 600.0), (None, 1500.0), ("toxic", 900.0),
    ("trend_down", 900.0), ("thin_book", 900.0), (None, 1800.0), ("flash_crash", 900.0), (None, 1200.0),
    ("trend_up", 600.0), (None, 3300.0),
)
COMPOSITE = {"sol_day": (SOL_BASE, SOL_DAY_CYCLE)}
RESERVED = frozenset({*STRESSES, *COMPOSITE})  # not usable as a profile name


# -- profiles -----------------------------------------------------------------------------------

def profile_dirs() -> list[Path]:
    out: list[Path] = []
    for d in (Path.cwd() / PROFILE_DIR, _REPO_PROFILES):
        if d.is_dir() and all(d.resolve() != o.resolve() for o in out):
            out.append(d)
    return out


def profile_names() -> list[str]:
    names = {p.stem for d in profile_dirs() for p in d.glob("*.yaml")}
    return sorted(names - RESERVED)


def profile_path(name: str) -> Path | None:
    for d in profile_dirs():
        p = d / f"{name}.yaml"
        if p.is_file():
            return p
    return None


_MODEL_FIELDS = {f.name: f for f in fields(MarketModel)}


def model_from_dict(data: Any, source: str) -> MarketModel:
    """A MarketModel from a profile's `model` mapping; unknown keys and non-numbers are errors."""
    if not isinstance(data, dict):
        raise DataError(f"{source}: 'model' must be a mapping of MarketModel parameters")
    kw: dict[str, Any] = {}
    for key, value in data.items():
        f = _MODEL_FIELDS.get(str(key))
        if f is None or key == "name":
            raise DataError(f"{source}: unknown model parameter {key!r} (known: {', '.join(sorted(_MODEL_FIELDS))})")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise DataError(f"{source}: model parameter {key!r} must be a finite number, not {value!r}")
        kw[key] = int(value) if f.type == "int" else float(value)
    try:
        model = MarketModel(**kw)
    except TypeError as exc:  # pragma: no cover - every key was checked above
        raise DataError(f"{source}: {exc}") from None
    problems = model.problems()
    if problems:
        raise DataError(f"{source}: " + "; ".join(problems))
    return model


def load_profile(path: Path) -> tuple[MarketModel, dict[str, Any]]:
    """(model named after the file, the profile's `fit` record) of a scenario profile."""
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise DataError(f"{path}: cannot read the scenario profile ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or "model" not in doc:
        raise DataError(f"{path}: a scenario profile is a mapping with a 'model' section (write one with "
                        "`lighter-bot calibrate`)")
    model = replace(model_from_dict(doc["model"], str(path)), name=path.stem)
    fit = doc.get("fit") or {}
    return model, fit if isinstance(fit, dict) else {}


def profile_model(name: str) -> MarketModel:
    path = profile_path(name)
    if path is None:
        raise DataError(f"scenario profile {name!r} not found in {', '.join(str(d) for d in profile_dirs()) or PROFILE_DIR}"
                        f" (fit one with `lighter-bot calibrate --name {name}`)")
    return load_profile(path)[0]


def _num(x: float | int) -> float | int:
    return x if isinstance(x, int) else float(f"{x:.6g}")


def profile_text(model: MarketModel, fit: dict[str, Any], header: str) -> str:
    body = {"model": {f.name: _num(getattr(model, f.name)) for f in fields(MarketModel) if f.name != "name"},
            "fit": fit}
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + yaml.safe_dump(body, sort_keys=False, width=110)


# -- scenarios ----------------------------------------------------------------------------------

def scenario_names() -> list[str]:
    return [*profile_names(), *STRESSES, *COMPOSITE]


def scenario_regimes(name: str) -> Cycle:
    """The regime cycle of a scenario (repeated until the duration ends)."""
    if name in COMPOSITE:
        base_name, cycle = COMPOSITE[name]
        base = profile_model(base_name)
        return tuple((replace(base, name="calm") if s is None else STRESSES[s](base), length) for s, length in cycle)
    if name in STRESSES:
        return ((STRESSES[name](profile_model(CALM_BASE)), REGIME_S),)
    if profile_path(name) is not None:
        return ((profile_model(name), REGIME_S),)
    raise ValueError(f"unknown scenario {name!r} (known: {', '.join(scenario_names())})")


def make_scenario(
    name: str,
    seed: int,
    duration_s: float | None = 3600.0,
    market: MarketSpec = SOL_PERP,
    start_price: float = 170.0,
    start_time: float = 0.0,
) -> Iterator[Row]:
    """A deterministic market-row stream for scenario `name` (endless when `duration_s` is None)."""
    return generate(scenario_regimes(name), seed, duration_s, market, start_price, start_time)
