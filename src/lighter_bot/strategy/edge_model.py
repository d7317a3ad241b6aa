"""Expected edge by distance, learnt online from the market's own trades (shadow quotes).

For every public trade and every book change the model asks: which of our quotes would it have
filled? A quote resting `d` bps from the fair value on the passive side (a bid below it for a sell,
an ask above it for a buy) is filled by a trade that prints at or through it, and by an opposite
best price that reaches it (someone offered at or below our bid: we trade). The reference is the fair value as it stood
`entry_delay_s` earlier (a quote live at the trade was priced at least one entry delay before), so
the model measures exactly the adverse selection a quote priced that way meets. `horizon_s` later
the trade is marked out: M = side x (mid then - reference) / reference, in bps, and a fill at
distance d would have made d + M. Per side and per distance of `GRID_BPS` the model keeps decayed
sums (half-life `halflife_s`) of the shadow fills reaching d: their count (the fill rate) and the
mean and variance of their markout.

`best(side, lo, hi, penalty)` picks the distance in [lo, hi] with the highest expected edge x fill
rate, among distances whose expected edge (minus `penalty`, the inventory cost of the fill, GLFT
style) stays positive by `z` standard errors with at least `min_events` shadow fills; None when no
distance qualifies: that side is not worth quoting. One sweep (several prints at one timestamp) is
one event, reaching its deepest print.

Our own fills check the model (issue 13's live check): each quote fill is marked out at the same
horizon and compared with what the model expected at its distance; the per-side gap (own markout
minus expected, decayed like the rest) shifts that side's expected edges down when our fills do worse
than the market's evidence said (queue position, races, being the one picked off), weighted by
n / (n + OWN_PRIOR_N) so a few unlucky fills move it little. It never shifts them up: only the market's
own trades can show edge. `live_gap` reports it for metrics and alerts.

Every update is O(1) amortised per trade (one pending entry) plus O(len(GRID_BPS)) when it matures;
`best` is memoised until the statistics or its arguments change. Evidence of one side within
`EPISODE_S` of an episode's start joins that episode (a sweep prints many trades and moves the book
through several updates; our quote is filled once, then re-priced): at most one shadow fill per side
per episode, reaching the deepest price seen.
"""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple

from lighter_bot.domain.orders import Side

GRID_BPS: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.5, 8.0, 10.0, 13.0, 16.0, 20.0,
                               25.0, 32.0, 40.0, 50.0, 65.0, 80.0, 100.0)
_LN2 = math.log(2.0)
EPISODE_S = 1.0
OWN_PRIOR_N = 5.0


class Edge(NamedTuple):
    distance_bps: float
    edge_bps: float  # expected markout of a fill at that distance, minus the penalty
    se_bps: float
    fills_per_s: float  # shadow fill rate at that distance


class LiveGap(NamedTuple):
    fills: float  # decayed count of our own matured quote fills
    own_bps: float  # their mean markout at the horizon
    expected_bps: float  # what the model expected of them
    gap_bps: float  # own - expected (negative: we do worse than the market's evidence)


class _Side:
    __slots__ = ("gap_exp", "gap_n", "gap_own", "n", "s", "s2", "ts", "version")

    def __init__(self, k: int) -> None:
        self.n = [0.0] * k  # decayed count of events reaching each distance
        self.s = [0.0] * k  # decayed sum of their reference markouts M
        self.s2 = [0.0] * k
        self.gap_n = self.gap_own = self.gap_exp = 0.0  # our own fills: decayed count, sums of own / expected
        self.ts: float | None = None
        self.version = 0

    def decay_to(self, ts: float, halflife_s: float) -> None:
        if self.ts is not None and ts > self.ts:
            k = math.exp(-_LN2 * (ts - self.ts) / halflife_s)
            self.n = [x * k for x in self.n]
            self.s = [x * k for x in self.s]
            self.s2 = [x * k for x in self.s2]
            self.gap_n *= k
            self.gap_own *= k
            self.gap_exp *= k
        if self.ts is None or ts > self.ts:
            self.ts = ts

    def correction(self) -> float:
        """How much lower our own fills say this side's edges are (bps, <= 0)."""
        if self.gap_n <= 0:
            return 0.0
        gap = (self.gap_own - self.gap_exp) / self.gap_n
        return min(0.0, gap) * self.gap_n / (self.gap_n + OWN_PRIOR_N)


class EdgeModel:
    def __init__(self, horizon_s: float = 30.0, halflife_s: float = 1800.0, entry_delay_s: float = 0.2,
                 min_events: int = 10, z: float = 1.0, grid: tuple[float, ...] = GRID_BPS) -> None:
        if horizon_s <= 0 or halflife_s <= 0 or entry_delay_s < 0:
            raise ValueError("horizon and half-life must be > 0, entry delay >= 0")
        self.horizon = horizon_s
        self.halflife = halflife_s
        self.delay = entry_delay_s
        self.min_events = min_events
        self.z = z
        self.grid = grid
        self._sides = {Side.BID: _Side(len(grid)), Side.ASK: _Side(len(grid))}
        self._refs: deque[tuple[float, float]] = deque()  # (ts, fair value) over the last entry delay
        self._ref_before = 0.0  # the fair value in force before the oldest entry of _refs
        self._pending: deque[list[float]] = deque()  # [ts, side sign, reference, reach bps]
        self._own: deque[tuple[float, float, float, float]] = deque()  # (ts, side sign, price, expected bps)
        self._last_episode: list[list[float] | None] = [None, None]  # latest pending entry per side (bid, ask)
        self._first_ts: float | None = None
        self._memo: dict[Side, tuple[tuple[object, ...], Edge | None]] = {}
        self.events = 0  # shadow events recorded (all sides)

    # -- inputs -----------------------------------------------------------------------------------
    def on_fair(self, ts: float, fair: float, mid: float, best_bid: float | None = None,
                best_ask: float | None = None) -> None:
        """The fair value, the mid and the best prices from `ts` on (same unit); an opposite best price
        past a quote is a shadow fill; matures shadow fills older than the horizon."""
        if self._first_ts is None:
            self._first_ts = ts
        if best_ask is not None:
            self._evidence(ts, 1.0, best_ask)  # asks at or below a bid fill it
        if best_bid is not None:
            self._evidence(ts, -1.0, best_bid)
        refs = self._refs
        refs.append((ts, fair))
        cutoff = ts - self.delay
        while len(refs) > 1 and refs[1][0] <= cutoff:
            self._ref_before = refs.popleft()[1]
        pend = self._pending
        due = ts - self.horizon
        while pend and pend[0][0] <= due:
            t0, sign, ref, reach = pend.popleft()
            self._record(t0, Side.BID if sign > 0 else Side.ASK, sign * (mid - ref) / ref * 1e4, reach)
        own = self._own
        while own and own[0][0] <= due:
            t0, sign, price, expected = own.popleft()
            st = self._sides[Side.BID if sign > 0 else Side.ASK]
            st.decay_to(t0, self.halflife)
            st.gap_n += 1.0
            st.gap_own += sign * (mid - price) / price * 1e4
            st.gap_exp += expected
            st.version += 1

    def on_own_fill(self, ts: float, side: Side, price: float) -> None:
        """One of our quotes filled at `price`: marked out at the horizon against what the model expected
        at its distance from the reference (the nearest grid distance at or inside it)."""
        ref = self._ref_at(ts - self.delay)
        if ref <= 0 or price <= 0:
            return
        sign = 1.0 if side is Side.BID else -1.0
        d = sign * (ref - price) / ref * 1e4
        st = self._sides[side]
        expected = d  # with no evidence at all the model expects the distance itself
        for i, g in enumerate(self.grid):
            if g > d + 1e-9 or st.n[i] <= 0:
                break
            expected = d + st.s[i] / st.n[i]
        self._own.append((ts, sign, price, expected))

    def _ref_at(self, ts: float) -> float:
        """The fair value in force at `ts` (within the last entry delay)."""
        ref = self._ref_before
        for t, f in self._refs:
            if t > ts:
                break
            ref = f
        return ref

    def on_trade(self, ts: float, price: float, buyer_initiated: bool) -> None:
        self._evidence(ts, -1.0 if buyer_initiated else 1.0, price)  # a buy lifts asks (-1), a sell hits bids (+1)

    def _evidence(self, ts: float, sign: float, price: float) -> None:
        """A price reached on side `sign` (+1: against our bids, -1: against our asks) at `ts`."""
        ref = self._ref_at(ts - self.delay)
        if ref <= 0:
            return
        reach = sign * (ref - price) / ref * 1e4 + 1e-9  # a print exactly at a grid distance reaches it
        if reach < self.grid[0]:
            return
        last = self._last_episode[0 if sign > 0 else 1]
        if last is not None and ts - last[0] <= EPISODE_S:
            if reach > last[3]:
                last[3] = reach  # the same episode, deeper
            return
        entry = [ts, sign, ref, reach]
        self._last_episode[0 if sign > 0 else 1] = entry
        self._pending.append(entry)

    def _record(self, ts: float, side: Side, markout: float, reach: float) -> None:
        st = self._sides[side]
        st.decay_to(ts, self.halflife)
        m2 = markout * markout
        for i, d in enumerate(self.grid):
            if d > reach:
                break
            st.n[i] += 1.0
            st.s[i] += markout
            st.s2[i] += m2
        st.version += 1
        self.events += 1

    # -- outputs ----------------------------------------------------------------------------------
    def _window(self, now: float) -> float:
        """Effective length of the decayed observation window at `now` (s)."""
        if self._first_ts is None:
            return 0.0
        tau = self.halflife / _LN2
        return tau * (1.0 - math.exp(-(now - self._first_ts) / tau))

    def edges(self, side: Side, now: float, penalty_bps: float = 0.0) -> list[Edge]:
        """Every grid distance with evidence: expected edge (minus penalty), its se and the fill rate."""
        st = self._sides[side]
        k = math.exp(-_LN2 * (now - st.ts) / self.halflife) if st.ts is not None and now > st.ts else 1.0
        window = self._window(now)
        shift = penalty_bps - st.correction()
        out: list[Edge] = []
        for i, d in enumerate(self.grid):
            n = st.n[i]
            if n <= 0:
                break
            mean = st.s[i] / n
            var = max(0.0, st.s2[i] / n - mean * mean)
            out.append(Edge(d, d + mean - shift, math.sqrt(var / n) if n > 1 else math.inf,
                            n * k / window if window > 0 else 0.0))
        return out

    def live_gap(self, side: Side) -> LiveGap:
        """Our own fills against the model on one side (decayed; zeros before any fill matured)."""
        st = self._sides[side]
        n = st.gap_n
        if n <= 0:
            return LiveGap(0.0, 0.0, 0.0, 0.0)
        return LiveGap(n, st.gap_own / n, st.gap_exp / n, (st.gap_own - st.gap_exp) / n)

    def best(self, side: Side, now: float, lo_bps: float, hi_bps: float, penalty_bps: float = 0.0) -> Edge | None:
        """The distance in [lo, hi] worth quoting at (see the module doc), or None."""
        st = self._sides[side]
        key = (st.version, lo_bps, hi_bps, penalty_bps)
        memo = self._memo.get(side)
        if memo is not None and memo[0] == key:
            return memo[1]
        best: Edge | None = None
        score = 0.0
        n = st.n
        for i, e in enumerate(self.edges(side, now, penalty_bps)):
            if e.distance_bps < lo_bps or e.distance_bps > hi_bps or n[i] < self.min_events:
                continue
            if e.edge_bps - self.z * e.se_bps <= 0:
                continue
            s = e.edge_bps * e.fills_per_s
            if best is None or s > score:
                best, score = e, s
        self._memo[side] = (key, best)
        return best
