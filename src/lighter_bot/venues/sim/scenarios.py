"""Named, seeded synthetic markets (SOL-like, ~170 USD, tick 0.001, lot 0.001) for the simulator.

A scenario is a sequence of regimes. Each regime sets the fair-price process (volatility, drift,
mean reversion, jumps), the book shape (spread, levels, level size) and the trade flow (rate, size,
toxicity = how often the aggressor trades in the direction of the next move). The generator keeps
an L2 book, moves it with the fair price by sweeping the levels the price passes (those sweeps are
public trades, so fills follow real volume), and emits rows for SimExchange (source.py).

Calibration (docs/simulator.md, numbers in `CALIBRATION`, measured by calibrate.py): volatility
and the spread of trade sizes from all recordings; spread, depth per bps, trade rate and median trade
size from the Bybit SOLUSDT sample, expressed in bps and USD so they carry over to a SOL-like price of
170 and tick 0.001; trade and level notionals scaled by `LIQUIDITY_SCALE` (Lighter's SOL book is
thinner than Bybit's) with trades floored at Lighter's 10 USD minimum order.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.venues.sim.source import ASK, BID, DEPTH, TRADE, Row

# Statistics measured by calibrate.py on ../shared/data (`python -m lighter_bot.venues.sim.calibrate`).
CALIBRATION = {
    "vol_bps_per_sqrt_s": 0.52,  # 1 s mid returns: BTC 0.46, ETH 0.62, SOL (Bybit) 0.49
    "sol_spread_bps": 1.29,  # Bybit SOLUSDT median (one 0.01 tick at 77.3)
    "sol_level_notional_per_bps_usd": 153_000.0,  # Bybit SOL: 198k USD per level, one level per 1.29 bps
    "sol_trades_per_s": 3.95,  # Bybit SOL aggressor trades
    "sol_trade_notional_median_usd": 232.0,
    "trade_log_sigma": 2.2,  # log-normal spread of trade notionals: BTC 1.92, ETH 2.24, SOL 2.36
}
LIQUIDITY_SCALE = 0.1  # our SOL market's trade and level notionals relative to Bybit's SOL
MIN_TRADE_USD = 10.0  # Lighter's minimum order value: no smaller trade exists there
LEVEL_GAP_BPS = 0.6  # level spacing: Lighter's 0.001 tick is 0.06 bps at 170, levels are sparse on it


@dataclass(frozen=True, slots=True)
class Regime:
    name: str
    vol_bps: float = CALIBRATION["vol_bps_per_sqrt_s"]  # std-dev of fair returns per sqrt(second), bps
    drift_bps_per_s: float = 0.0
    mean_revert_per_s: float = 0.0  # pull toward the regime's anchor price (chop)
    spread_bps: float = CALIBRATION["sol_spread_bps"]  # target best-ask minus best-bid
    levels: int = 30  # per side
    level_gap_bps: float = LEVEL_GAP_BPS  # mean distance between consecutive levels
    level_notional_usd: float = CALIBRATION["sol_level_notional_per_bps_usd"] * LEVEL_GAP_BPS * LIQUIDITY_SCALE
    trades_per_s: float = CALIBRATION["sol_trades_per_s"]
    trade_notional_usd: float = CALIBRATION["sol_trade_notional_median_usd"] * LIQUIDITY_SCALE
    trade_log_sigma: float = CALIBRATION["trade_log_sigma"]
    toxicity: float = 0.0  # 0 = aggressor side random; 1 = always the side of the next move
    churn_per_s: float = 0.5  # per level: rate of size changes (adds/cancels)
    jump_bps: float = 0.0  # flash crash: total drop, then 60 % recovery
    jump_at_s: float = 0.0  # seconds into the regime
    jump_len_s: float = 20.0


CALM = Regime("calm")
TREND_UP = replace(CALM, name="trend_up", drift_bps_per_s=0.25, vol_bps=0.8, toxicity=0.15)
TREND_DOWN = replace(TREND_UP, name="trend_down", drift_bps_per_s=-0.25)
CHOP = replace(CALM, name="chop", vol_bps=1.2, mean_revert_per_s=0.05)
VOL_SPIKE = replace(CALM, name="vol_spike", vol_bps=2.5, spread_bps=3.0, trades_per_s=9.0,
                    trade_notional_usd=2 * CALM.trade_notional_usd, level_notional_usd=CALM.level_notional_usd / 2)
FLASH_CRASH = replace(CALM, name="flash_crash", jump_bps=-150.0, jump_at_s=60.0, jump_len_s=15.0,
                      trades_per_s=6.0)
TOXIC = replace(CALM, name="toxic", vol_bps=1.0, toxicity=0.7, trades_per_s=5.0,
                trade_notional_usd=2 * CALM.trade_notional_usd)
THIN_BOOK = replace(CALM, name="thin_book", spread_bps=4.0, levels=10, level_gap_bps=2.0,
                    level_notional_usd=CALM.level_notional_usd / 10, trades_per_s=1.0)

# sol_day: the regimes the operator sees over a day, switching every ~20 minutes (a cycle of 4 h).
SOL_DAY_CYCLE: tuple[tuple[Regime, float], ...] = (
    (CALM, 1800.0), (TREND_UP, 900.0), (CHOP, 1200.0), (VOL_SPIKE, 600.0), (CALM, 1500.0),
    (TOXIC, 900.0), (TREND_DOWN, 900.0), (THIN_BOOK, 900.0), (CALM, 1800.0), (FLASH_CRASH, 900.0),
    (CHOP, 1200.0), (TREND_UP, 600.0), (CALM, 1500.0),
)

_SINGLE: dict[str, Regime] = {r.name: r for r in (CALM, TREND_UP, TREND_DOWN, CHOP, VOL_SPIKE, FLASH_CRASH,
                                                     TOXIC, THIN_BOOK)}


def scenario_names() -> list[str]:
    return [*_SINGLE, "sol_day"]


def scenario_regimes(name: str) -> tuple[tuple[Regime, float], ...]:
    """The regime cycle of a scenario (repeated until the duration ends)."""
    if name == "sol_day":
        return SOL_DAY_CYCLE
    if name in _SINGLE:
        return ((_SINGLE[name], 3600.0),)
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
    regimes = scenario_regimes(name)
    return _Generator(regimes, seed, duration_s, market, start_price, start_time).rows()


ScenarioFactory = Callable[[str, int, float | None], Iterator[Row]]


class _Generator:
    STEP = 0.1  # seconds between fair-price updates

    def __init__(self, regimes: tuple[tuple[Regime, float], ...], seed: int, duration_s: float | None,
                 market: MarketSpec, start_price: float, start_time: float) -> None:
        self.regimes = regimes
        self.rng = random.Random(f"scenario:{seed}")
        self.duration = duration_s
        self.m = market
        self.t0 = start_time
        self.tick_bps = 1e4 / (start_price * market.price_scale)  # bps per tick at the start price
        self.fair = start_price * market.price_scale  # ticks, float
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}

    # sizes -------------------------------------------------------------------------------
    def _lots(self, notional_usd: float, sigma: float, floor_usd: float = 0.0) -> int:
        usd = max(floor_usd, notional_usd * math.exp(sigma * self.rng.gauss(0.0, 1.0)))
        px = self.fair / self.m.price_scale
        return max(1, round(usd / px * self.m.size_scale))

    def _ticks(self, bps: float) -> float:
        return bps / self.tick_bps

    def _half(self, r: Regime) -> float:
        """Half of the target touch spread; a new best level appears only a gap past the old one,
        so aim half a gap inside for the median spread to come out at `r.spread_bps`."""
        return max(1.0, self._ticks(r.spread_bps - r.level_gap_bps / 2) / 2)

    # book edits (each yields a DEPTH row) --------------------------------------------------
    def _set(self, t: float, side: int, price: int, size: int) -> Row:
        book = self.bids if side == BID else self.asks
        if size > 0:
            book[price] = size
        else:
            book.pop(price, None)
        return (t, DEPTH, side, price, size)

    def _hit(self, t: float, taker: int, size: int, limit: float | None, out: list[Row]) -> None:
        """An aggressor of `size` lots takes the opposite book best first (up to `limit` ticks)."""
        book = self.asks if taker == BID else self.bids
        side = ASK if taker == BID else BID
        while size > 0 and book:
            p = min(book) if taker == BID else max(book)
            if limit is not None and (p > limit if taker == BID else p < limit):
                break
            q = min(size, book[p])
            out.append((t, TRADE, taker, p, q))
            out.append(self._set(t, side, p, book[p] - q))
            size -= q

    def _pass(self, t: float, r: Regime, taker: int, limit: float, out: list[Row]) -> None:
        """The fair price moved past levels: one trade of typical size at each, the rest is pulled."""
        book = self.asks if taker == BID else self.bids
        side = ASK if taker == BID else BID
        while book:
            p = min(book) if taker == BID else max(book)
            if p > limit if taker == BID else p < limit:
                break
            q = min(book[p], self._lots(r.trade_notional_usd, r.trade_log_sigma, MIN_TRADE_USD))
            out.append((t, TRADE, taker, p, q))
            out.append(self._set(t, side, p, 0))

    def _refill(self, t: float, r: Regime, out: list[Row]) -> None:
        """Keep `r.levels` levels per side, the best ones near the target spread around fair."""
        gap = max(1.0, self._ticks(r.level_gap_bps))
        half = self._half(r)
        for side, book in ((BID, self.bids), (ASK, self.asks)):
            sign = -1 if side == BID else 1
            target = math.floor(self.fair - half) if side == BID else math.ceil(self.fair + half)
            best = (max(book) if side == BID else min(book)) if book else None
            if best is None or (target - best if side == BID else best - target) >= gap:
                out.append(self._set(t, side, target, self._lots(r.level_notional_usd, 0.8)))
            while len(book) < r.levels:
                far = min(book) if side == BID else max(book)
                step = max(1, round(gap * self.rng.expovariate(1.0)))
                out.append(self._set(t, side, far + sign * step, self._lots(r.level_notional_usd, 0.8)))
            while len(book) > r.levels:
                far = min(book) if side == BID else max(book)
                out.append(self._set(t, side, far, 0))

    def rows(self) -> Iterator[Row]:
        """The rows, with times clamped to be non-decreasing (float steps may round either way)."""
        last = -math.inf
        for r in self._rows():
            if r[0] < last:
                r = (last, *r[1:])
            last = r[0]
            yield r

    def _rows(self) -> Iterator[Row]:
        rng = self.rng
        t = self.t0
        end = None if self.duration is None else self.t0 + self.duration
        r0 = self.regimes[0][0]
        out: list[Row] = []
        self._refill(t, r0, out)
        yield from out
        idx = 0
        while True:
            regime, length = self.regimes[idx % len(self.regimes)]
            idx += 1
            anchor = self.fair
            r_start = t
            steps = max(1, round(length / self.STEP))
            dt = self.STEP
            jump_steps = max(1, round(regime.jump_len_s / dt))
            jump_start = round(regime.jump_at_s / dt)
            per_step_jump = self._ticks(regime.jump_bps) / jump_steps if regime.jump_bps else 0.0
            for k in range(steps):
                t = r_start + (k + 1) * dt
                t_end = r_start + (k + 2) * dt  # exactly the next step's time (no float drift)
                if end is not None and t > end:
                    return
                out = []
                # 1. the fair price moves: diffusion + drift + reversion (+ crash and 60 % rebound)
                move = self._ticks(regime.vol_bps) * math.sqrt(dt) * rng.gauss(0.0, 1.0)
                move += self._ticks(regime.drift_bps_per_s) * dt
                move += regime.mean_revert_per_s * (anchor - self.fair) * dt
                if per_step_jump:
                    if jump_start <= k < jump_start + jump_steps:
                        move += per_step_jump
                    elif jump_start + jump_steps <= k < jump_start + 4 * jump_steps:
                        move -= 0.6 * per_step_jump / 3
                self.fair = max(self.fair + move, 1.0)
                half = self._half(regime)
                # 2. the book follows: levels the fair price passed are swept by aggressors
                self._pass(t, regime, BID, math.ceil(self.fair + half) - 1, out)
                self._pass(t, regime, ASK, math.floor(self.fair - half) + 1, out)
                # 3. noise and informed trades at random times within the step, then churn
                n = _poisson(rng, regime.trades_per_s * dt)
                times = sorted(min(t + dt * rng.random(), t_end) for _ in range(n))
                for ts in times:
                    if rng.random() < regime.toxicity:
                        taker = BID if move > 0 else ASK
                    else:
                        taker = BID if rng.random() < 0.5 else ASK
                    self._hit(ts, taker, self._lots(regime.trade_notional_usd, regime.trade_log_sigma, MIN_TRADE_USD), None, out)
                    self._refill(ts, regime, out)
                nchurn = _poisson(rng, regime.churn_per_s * dt * 2 * regime.levels)
                for _ in range(nchurn):
                    book_side = BID if rng.random() < 0.5 else ASK
                    book = self.bids if book_side == BID else self.asks
                    if not book:
                        continue
                    prices = sorted(book)
                    p = prices[rng.randrange(len(prices))]
                    out.append(self._set(t_end, book_side, p, self._lots(regime.level_notional_usd, 0.8)))
                self._refill(t_end, regime, out)
                yield from out


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method (lam is small here)."""
    if lam <= 0:
        return 0
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
