"""A synthetic market with real adverse selection: a latent fair value, a visible book that lags it,
trades that move it, and takers who know where it is.

Why: on real recordings a maker's fills are followed by the price running against it (the probe's
markouts are negative at every distance and horizon, docs/simulator.md), while a random-walk price
that trades never move makes fills harmless. The ingredients, each one parameter of `MarketModel`:

* **latent fair value** F: diffusion (sized so that the visible mid's 1 s volatility is `vol_bps`
  once impact and jumps are counted), optional drift / mean reversion / crash (stresses) and jumps;
* **permanent impact**: every noise trade moves F by `impact_bps` x sign x (size / median)^`impact_exp`,
  the size factor capped at `IMPACT_CAP` (impact is concave; without a cap the rare huge print of a
  heavy-tailed size distribution would dominate the price);
* **order-flow persistence**: noise takers lean to a dominant side that flips at random (mean time
  `flow_s`): each buys with probability (1 + `flow_bias` x side) / 2, so flow comes in runs and so
  do the moves its impact causes (trade signs correlate `flow_bias`^2 x exp(-2 lag / `flow_s`));
* **lagging book**: the visible book is centred on C, which its makers re-centre on F at random
  times, `lag_s` apart on average (recorded best prices move in steps, Hyperliquid SOL's about once a
  second); levels left inside the new spread are pulled, not traded;
* **informed takers**: a taker is informed with probability `informed`; when the visible book offers
  a price F has already passed, it takes those levels up to F (the quotes nobody re-priced yet:
  with a 200 ms cancel delay, ours among them); otherwise it trades as noise;
* **jumps**: `jumps_per_h` jumps of exponential size (mean `jump_bps`, random sign), each a run of F
  over `jump_s` seconds (recorded big moves take seconds, docs/simulator.md), each step a sweep through
  every level up to the new F. A one-step jump then re-centres the book there; a longer run leaves that
  to the lagging book, so its prints run ahead of a stale mid. A share `jump_revert` of each jump decays
  with time constant `revert_s` (a liquidity shock, not news: the price overshoots, then comes partly
  back). A crash (a stress) is swept all the way down.

Measured from a recording (backtest/calibration.py): tick, spread, level spacing, sizes and churn,
trades, volatility. Fitted to the probe's fills and markouts: impact, flow runs, lag, informed, jumps.
All in bps, USD and seconds, so one model runs at any price and tick. `generate` is seeded and
deterministic and yields source.py rows; each mechanism draws from its own random stream.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lighter_bot.domain.market import MarketSpec
from lighter_bot.venues.sim.source import ASK, BID, DEPTH, TRADE, Row

MIN_TRADE_USD = 10.0  # Lighter's minimum order value: no smaller trade exists there
LEVEL_LOG_SIGMA = 0.8  # spread of level sizes around their median
STEP_S = 0.1  # seconds between fair-value updates
IMPACT_CAP = 5.0  # largest size factor (size / median)^impact_exp a trade's impact gets
RATE_S = 30.0  # horizon over which sweeps' prints are taken out of the takers' rate


@dataclass(frozen=True, slots=True)
class MarketModel:
    """One market regime (see the module docstring for what each group of parameters does)."""

    name: str = "model"
    # book (measured)
    tick_bps: float = 0.0  # price grid of the book (the recording's tick; 0: the simulated market's tick)
    spread_bps: float = 1.3  # median visible touch spread
    level_gap_bps: float = 0.6  # mean distance between consecutive levels
    levels: int = 30  # per side
    level_usd: float = 9_000.0  # median notional of a level behind the best
    touch_usd: float = 9_000.0  # median notional of the best level (queues build up there)
    churn_per_s: float = 0.5  # per level behind the best: rate of size changes (adds / cancels)
    touch_churn_per_s: float = 2.0  # per side: rate of size changes of the best level
    # trades (measured)
    trades_per_s: float = 4.0  # trade prints per second, sweeps and multi-level takers included
    trade_usd: float = 23.0  # median notional
    trade_log_sigma: float = 2.2  # log-normal spread of trade notionals
    # price (measured): std-dev of the visible mid's 1 s returns, bps
    vol_bps: float = 0.5
    # adverse selection (fitted)
    impact_bps: float = 0.0
    impact_exp: float = 0.5
    flow_bias: float = 0.0
    flow_s: float = 30.0
    lag_s: float = 0.0
    informed: float = 0.0
    jumps_per_h: float = 0.0
    jump_bps: float = 0.0
    jump_revert: float = 0.0
    revert_s: float = 20.0
    jump_s: float = 0.0  # how long a jump runs (a burst of that many seconds; 0: one step)
    # stresses
    drift_bps_per_s: float = 0.0
    mean_revert_per_s: float = 0.0  # pull of F toward its value at the regime's start
    crash_bps: float = 0.0  # signed move of F over crash_len_s, swept as it goes; then 60 % rebound over 3x as long
    crash_at_s: float = 0.0  # seconds into the regime
    crash_len_s: float = 20.0

    def problems(self) -> list[str]:
        """What makes this model unusable (empty when it is fine)."""
        out = [f"{k} must be > 0 (is {v})" for k, v in (
            ("spread_bps", self.spread_bps), ("level_gap_bps", self.level_gap_bps), ("levels", self.levels),
            ("level_usd", self.level_usd), ("touch_usd", self.touch_usd), ("trade_usd", self.trade_usd),
            ("flow_s", self.flow_s), ("revert_s", self.revert_s), ("crash_len_s", self.crash_len_s)) if not v > 0]
        out += [f"{k} must be >= 0 (is {v})" for k, v in (
            ("tick_bps", self.tick_bps), ("churn_per_s", self.churn_per_s), ("touch_churn_per_s", self.touch_churn_per_s),
            ("trades_per_s", self.trades_per_s), ("trade_log_sigma", self.trade_log_sigma), ("vol_bps", self.vol_bps),
            ("impact_bps", self.impact_bps), ("impact_exp", self.impact_exp), ("lag_s", self.lag_s),
            ("jumps_per_h", self.jumps_per_h), ("jump_bps", self.jump_bps), ("jump_s", self.jump_s),
            ("mean_revert_per_s", self.mean_revert_per_s), ("crash_at_s", self.crash_at_s)) if not v >= 0]
        out += [f"{k} must be in [0, 1) (is {v})" for k, v in (("flow_bias", self.flow_bias), ("informed", self.informed),
                                                             ("jump_revert", self.jump_revert)) if not 0 <= v < 1]
        return out

    def impact_var_1s(self) -> float:
        """Variance (bps^2) that noise-trade impact adds to F over one second: Poisson trades of
        size factor m = (size/median)^a (log-normal sizes) plus the drift of the dominant side."""
        k = self.impact_bps
        if k <= 0 or self.trades_per_s <= 0:
            return 0.0
        n = self.trades_per_s * (1.0 - self.informed)  # noise trades per second
        m1, m2 = self.size_factor_moments()
        tf = max(self.flow_s, 1e-3)
        runs = tf - tf * tf / 2 * (1 - math.exp(-2 / tf))  # Var of the integral of the side over 1 s
        return k * k * (n * m2 + (n * m1 * self.flow_bias) ** 2 * runs)

    def jump_var_1s(self) -> float:
        """Variance (bps^2) jumps add to 1 s returns (E[J^2] = 2 mean^2); a jump run over L s spreads over the
        1 s windows it overlaps: their squares sum to J^2 (1 - L/3) for L <= 1, J^2 (L - 1/3) / L^2 beyond."""
        ln = n * STEP_S if (n := self.jump_steps()) > 1 else 0.0  # (one step: an instant jump)
        spread = 1 - ln / 3 if ln <= 1 else (ln - 1 / 3) / ln**2
        return self.jumps_per_h / 3600 * 2 * self.jump_bps**2 * spread

    def jump_steps(self) -> int:
        return max(1, round(self.jump_s / STEP_S))

    def size_factor_moments(self) -> tuple[float, float]:
        """E[m] and E[m^2] of the impact size factor m = min(IMPACT_CAP, (size/median)^a), sizes
        log-normal (sum over a fixed grid of the standard normal)."""
        wm = [(math.exp(-z * z / 2), min(IMPACT_CAP, math.exp(self.impact_exp * self.trade_log_sigma * z)))
              for z in (i / 10 for i in range(-60, 61))]
        total = sum(w for w, _ in wm)
        return sum(w * m for w, m in wm) / total, sum(w * m * m for w, m in wm) / total

    def diffusion_bps(self) -> float:
        """The diffusion of F such that the visible mid's 1 s volatility comes out at `vol_bps`: impact and
        jumps explain part of it (the diffusion keeps at least 30 %). A book re-centred at random times
        keeps F's variance over any interval (the centre's mean age is the same at both ends)."""
        v2 = self.vol_bps**2
        return math.sqrt(max(0.09 * v2, v2 - self.impact_var_1s() - self.jump_var_1s()))


Cycle = Sequence[tuple[MarketModel, float]]  # regimes and their lengths (s), repeated


def generate(cycle: Cycle, seed: int, duration_s: float | None, market: MarketSpec, start_price: float,
             start_time: float = 0.0) -> Iterator[Row]:
    """The rows of `cycle` (endless when `duration_s` is None), times non-decreasing."""
    bad = [f"{m.name}: {p}" for m, _ in cycle for p in m.problems()]
    if bad:
        raise ValueError("invalid market model: " + "; ".join(bad))
    last = -math.inf
    for r in _Generator(cycle, seed, duration_s, market, start_price, start_time).rows():
        if r[0] < last:
            r = (last, *r[1:])
        last = r[0]
        yield r


class _Generator:
    def __init__(self, cycle: Cycle, seed: int, duration_s: float | None, market: MarketSpec,
                 start_price: float, start_time: float) -> None:
        if not cycle:
            raise ValueError("a scenario needs at least one regime")
        self.cycle = tuple(cycle)
        # One stream per mechanism, so switching one ingredient (or a fit changing its knob) leaves the
        # others' random paths as they were: the price's, the takers', the jumps' and the book's.
        self.rng = random.Random(f"scenario:{seed}")
        self.flow_rng = random.Random(f"scenario:{seed}:flow")
        self.jump_rng = random.Random(f"scenario:{seed}:jumps")
        self.book_rng = random.Random(f"scenario:{seed}:book")
        self.duration = duration_s
        self.m = market
        self.t0 = start_time
        self.bps = start_price * market.price_scale / 1e4  # ticks per bps at the start price
        self.fair = start_price * market.price_scale  # F, ticks (float)
        self.centre = self.fair  # C, ticks (float)
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.side = 1  # dominant side of the noise flow
        self.transient = 0.0  # the part of F's jumps still to decay (ticks)
        self.burst, self.burst_steps = 0.0, 0  # the move of the running jump still to come (ticks), its steps

    # sizes --------------------------------------------------------------------------------
    def _lots(self, rng: random.Random, usd: float, sigma: float, floor_usd: float = 0.0) -> int:
        usd = max(floor_usd, usd * math.exp(sigma * rng.gauss(0.0, 1.0)))
        return max(1, round(usd * self.m.price_scale / self.centre * self.m.size_scale))

    def _grid(self, r: MarketModel) -> int:
        """Ticks between book prices: the recording's tick (a coarse tick makes one-tick spreads and deep
        queues, which decide how a maker at the touch is filled)."""
        return max(1, round(r.tick_bps * self.bps))

    def _targets(self, r: MarketModel) -> tuple[int, int]:
        """Where the best bid and ask belong: `spread_bps` around the centre, at least one grid step."""
        g = self._grid(r)
        half = max(1.0, r.spread_bps * self.bps / g) / 2
        bid = math.floor(self.centre / g - half + 0.5)
        return bid * g, max(bid + 1, math.ceil(self.centre / g + half - 0.5)) * g

    # book edits ---------------------------------------------------------------------------
    def _set(self, t: float, side: int, price: int, size: int, out: list[Row]) -> None:
        book = self.bids if side == BID else self.asks
        if size > 0:
            book[price] = size
        else:
            book.pop(price, None)
        out.append((t, DEPTH, side, price, size))

    def _take(self, t: float, taker: int, size: int | None, limit: float | None, out: list[Row]) -> int:
        """An aggressor takes the opposite book best first, up to `size` lots (None: every level up
        to `limit`) and never past `limit` ticks. Returns the lots it traded."""
        book, side = (self.asks, ASK) if taker == BID else (self.bids, BID)
        left = size if size is not None else 1 << 62
        done = 0
        while left > 0 and book:
            p = min(book) if taker == BID else max(book)
            if limit is not None and (p > limit if taker == BID else p < limit):
                break
            q = min(left, book[p])
            out.append((t, TRADE, taker, p, q))
            self._set(t, side, p, book[p] - q, out)
            left -= q
            done += q
        return done

    def _pull(self, t: float, r: MarketModel, out: list[Row]) -> None:
        """Levels inside the targets (the visible centre moved toward them) are pulled: re-priced by
        their makers, not traded (on the recordings the best prices move more often than trades
        print). A quote left behind there is then crossed by the other side coming to it."""
        bid, ask = self._targets(r)
        for book, side in ((self.asks, ASK), (self.bids, BID)):
            while book:
                p = min(book) if side == ASK else max(book)
                if p >= ask if side == ASK else p <= bid:
                    break
                self._set(t, side, p, 0, out)

    def _refill(self, t: float, r: MarketModel, out: list[Row]) -> None:
        """Keep `r.levels` levels per side, the best ones near the target spread around the centre."""
        g = self._grid(r)
        gap = max(1.0, r.level_gap_bps * self.bps / g)  # in grid steps
        targets = self._targets(r)
        for side, book in ((BID, self.bids), (ASK, self.asks)):
            sign = -1 if side == BID else 1
            target = targets[0] if side == BID else targets[1]
            best = (max(book) if side == BID else min(book)) if book else None
            if best is None or (target > best if side == BID else best > target):
                # the touch is re-established at once where it belongs; a best level less than a gap
                # behind is re-priced there by its maker (so levels stay a gap apart)
                if best is not None and abs(target - best) < gap * g:
                    self._set(t, side, best, 0, out)
                self._set(t, side, target, self._lots(self.book_rng, r.touch_usd, LEVEL_LOG_SIGMA), out)
            while len(book) < r.levels:
                far = min(book) if side == BID else max(book)
                step = max(1, round(gap * self.book_rng.expovariate(1.0))) * g
                self._set(t, side, far + sign * step, self._lots(self.book_rng, r.level_usd, LEVEL_LOG_SIGMA), out)
            while len(book) > r.levels:
                self._set(t, side, min(book) if side == BID else max(book), 0, out)

    # flow ---------------------------------------------------------------------------------
    def _trade(self, t: float, r: MarketModel, out: list[Row]) -> None:
        """One taker: informed if the book offers a price the fair value has passed, else noise."""
        rng = self.flow_rng
        size = self._lots(rng, r.trade_usd, r.trade_log_sigma, MIN_TRADE_USD)
        informed, u = rng.random() < r.informed, rng.random()  # both drawn always (see __init__)
        if informed:
            if self.asks and min(self.asks) < self.fair:
                self._take(t, BID, size, self.fair, out)
                return
            if self.bids and max(self.bids) > self.fair:
                self._take(t, ASK, size, self.fair, out)
                return
        sign = 1 if u < (1.0 + r.flow_bias * self.side) / 2 else -1
        book = self.asks if sign > 0 else self.bids
        if not book:
            return
        # a noise taker takes the best level only: recorded trade sizes are prints (one per maker
        # level), so letting big draws walk the book would print more and bigger trades than recorded
        best = min(book) if sign > 0 else max(book)
        done = self._take(t, BID if sign > 0 else ASK, min(size, book[best]), None, out)
        if r.impact_bps > 0 and done:
            usd = done / self.m.size_scale * self.centre / self.m.price_scale
            self.fair += sign * r.impact_bps * self.bps * min(IMPACT_CAP, (usd / r.trade_usd) ** r.impact_exp)

    def _jump(self, t: float, r: MarketModel, start: bool, out: list[Row]) -> None:
        """A jump starting (what is left of a running one joins it), then a step of it, a share transient,
        swept. A longer jump leaves the re-centring to the lagging book: its prints run ahead of a stale
        visible mid, as recorded ones do (a book re-centred at every step, and a quote pegged to its mid,
        would follow F, and no deep quote would be filled)."""
        if start:
            self.burst += r.jump_bps * self.bps * self.jump_rng.expovariate(1.0) * (1 if self.jump_rng.random() < 0.5 else -1)
            self.burst_steps = r.jump_steps()
        if not self.burst_steps:
            return
        move = self.burst / self.burst_steps
        self.burst -= move
        self.burst_steps -= 1
        self.fair = max(self.fair + move, 1.0)
        self.transient += move * r.jump_revert
        self._sweep(t, r, out, recentre=r.jump_steps() == 1)

    def _sweep(self, t: float, r: MarketModel, out: list[Row], recentre: bool = True) -> None:
        """Takers sweep every visible level F has passed (one print each, whole levels), then (`recentre`)
        the book re-centres at F: how instant jumps and crashes trade on the recordings."""
        if self.asks and min(self.asks) < self.fair:
            self._take(t, BID, None, self.fair, out)
        elif self.bids and max(self.bids) > self.fair:
            self._take(t, ASK, None, self.fair, out)
        if recentre:
            self.centre = self.fair
            self._pull(t, r, out)

    def rows(self) -> Iterator[Row]:
        rng = self.rng
        dt = STEP_S
        t = self.t0
        end = None if self.duration is None else self.t0 + self.duration
        out: list[Row] = []
        self._refill(t, self.cycle[0][0], out)
        yield from out
        idx = 0
        extra = 0.0  # prints per second beyond one per taker (sweeps, walks): EWMA over RATE_S
        while True:
            r, length = self.cycle[idx % len(self.cycle)]
            idx += 1
            anchor = self.fair
            r_start = t
            sd = r.diffusion_bps() * self.bps * math.sqrt(dt)
            drift = r.drift_bps_per_s * self.bps * dt
            p_recentre = dt / r.lag_s if r.lag_s > dt else 1.0
            p_jump = r.jumps_per_h / 3600 * dt if r.jump_bps > 0 else 0.0
            p_flip = dt / r.flow_s if r.flow_bias > 0 and r.flow_s > 0 else 0.0
            decay = 1.0 - math.exp(-dt / r.revert_s)
            crash_steps = max(1, round(r.crash_len_s / dt))
            crash_start = round(r.crash_at_s / dt)
            crash_step = r.crash_bps * self.bps / crash_steps if r.crash_bps else 0.0
            for k in range(max(1, round(length / dt))):
                t = r_start + (k + 1) * dt
                t_end = r_start + (k + 2) * dt  # exactly the next step's time (no float drift)
                if end is not None and t > end:
                    return
                out = []
                # 1. the fair value: diffusion, drift, reversion, crash and its 60 % rebound, jumps
                move = sd * rng.gauss(0.0, 1.0) + drift + r.mean_revert_per_s * (anchor - self.fair) * dt
                crashing = crash_step and crash_start <= k < crash_start + crash_steps
                if crashing:
                    move += crash_step
                elif crash_step and crash_start + crash_steps <= k < crash_start + 4 * crash_steps:
                    move -= 0.6 * crash_step / 3
                back = self.transient * decay
                self.transient -= back
                self.fair = max(self.fair + move - back, 1.0)
                if crashing:
                    self._sweep(t, r, out)  # a crash trades all the way down
                self._jump(t, r, self.jump_rng.random() < p_jump, out)
                if rng.random() < p_flip:
                    self.side = -self.side
                # 2. now and then the makers re-centre the visible book on F; levels left inside pulled
                if rng.random() < p_recentre:
                    self.centre = self.fair
                self._pull(t, r, out)
                self._refill(t, r, out)
                # 3. takers at random times within the step, as many as the print rate leaves room for
                fr = self.flow_rng
                n = _poisson(fr, max(0.2 * r.trades_per_s, r.trades_per_s - extra) * dt)
                for ts in sorted(min(t + dt * fr.random(), t_end) for _ in range(n)):
                    self._trade(ts, r, out)
                    self._refill(ts, r, out)
                prints = sum(1 for row in out if row[1] == TRADE)
                extra += ((prints - n) / dt - extra) * (dt / RATE_S)
                # 4. level sizes churn: the best levels (queues there change fastest), then the rest
                for side, book in ((BID, self.bids), (ASK, self.asks)):
                    if self.book_rng.random() < r.touch_churn_per_s * dt and book:
                        best = max(book) if side == BID else min(book)
                        self._set(t_end, side, best, self._lots(self.book_rng, r.touch_usd, LEVEL_LOG_SIGMA), out)
                br = self.book_rng
                for _ in range(_poisson(br, r.churn_per_s * dt * 2 * r.levels)):
                    side = BID if br.random() < 0.5 else ASK
                    book = self.bids if side == BID else self.asks
                    if len(book) > 1:
                        p = list(book)[br.randrange(len(book))]
                        if p != (max(book) if side == BID else min(book)):
                            self._set(t_end, side, p, self._lots(self.book_rng, r.level_usd, LEVEL_LOG_SIGMA), out)
                self._refill(t_end, r, out)
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
