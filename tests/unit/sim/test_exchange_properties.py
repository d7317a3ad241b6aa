"""Property tests of SimExchange on random markets and random order flow (the issue's "Done when")."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lighter_bot.domain.commands import CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import ModifyRejected, OrderRejected
from lighter_bot.domain.orders import Side, TimeInForce
from lighter_bot.venues.sim.rules import STANDARD, VenueRules
from lighter_bot.venues.sim.source import DEPTH, TRADE, Row

from .helpers import ASK, BID, PX, exchange

RULES = STANDARD.with_(tx_per_minute=20, md_jitter_s=0.01)


@st.composite
def markets(draw: st.DrawFn) -> list[Row]:
    """A random-walk book (5 levels a side, 5 ticks apart) with trades at and through the touch."""
    rows: list[Row] = []
    mid = PX
    t = 0.0
    for i in range(5):
        rows.append((t, DEPTH, BID, mid - 5 - 5 * i, draw(st.integers(1, 400))))
        rows.append((t, DEPTH, ASK, mid + 5 + 5 * i, draw(st.integers(1, 400))))
    for _ in range(draw(st.integers(5, 60))):
        t += draw(st.floats(0.01, 2.0))
        what = draw(st.integers(0, 2))
        if what == 0:  # a level changes size (adds or cancels)
            side = draw(st.sampled_from([BID, ASK]))
            off = 5 + 5 * draw(st.integers(0, 4))
            rows.append((t, DEPTH, side, mid - off if side == BID else mid + off, draw(st.integers(0, 400))))
        elif what == 1:  # a trade at some price near the touch
            taker = draw(st.sampled_from([BID, ASK]))
            px = mid + draw(st.integers(-20, 20))
            rows.append((t, TRADE, taker, px, draw(st.integers(1, 300))))
        else:  # the market moves: shift the whole book
            step = 5 * draw(st.integers(-2, 2))
            for i in range(5):
                rows.append((t, DEPTH, BID, mid - 5 - 5 * i, 0))
                rows.append((t, DEPTH, ASK, mid + 5 + 5 * i, 0))
            mid += step
            for i in range(5):
                rows.append((t, DEPTH, BID, mid - 5 - 5 * i, draw(st.integers(1, 400))))
                rows.append((t, DEPTH, ASK, mid + 5 + 5 * i, draw(st.integers(1, 400))))
    return rows


@st.composite
def flows(draw: st.DrawFn) -> list[tuple[float, Command]]:
    out: list[tuple[float, Command]] = []
    t = 0.0
    for cid in range(1, draw(st.integers(1, 40)) + 1):
        t += draw(st.floats(0.0, 3.0))
        kind = draw(st.integers(0, 5))
        side = draw(st.sampled_from([Side.BID, Side.ASK]))
        px = PX + draw(st.integers(-30, 30))
        if kind <= 2:
            tif = draw(st.sampled_from([TimeInForce.POST_ONLY, TimeInForce.POST_ONLY, TimeInForce.GTC, TimeInForce.IOC]))
            out.append((t, PlaceOrder(cid, side, px, draw(st.integers(61, 300)), tif, reduce_only=draw(st.booleans()))))
        elif kind == 3:
            out.append((t, ModifyOrder(draw(st.integers(1, cid)), px, draw(st.integers(61, 300)))))
        else:
            out.append((t, CancelOrder(draw(st.integers(1, cid)))))
    return out


def run(rows: list[Row], flow: list[tuple[float, Command]], rules: VenueRules = RULES) -> dict[str, object]:
    ex = exchange(rows, rules)
    events = []
    queue_min = 0.0
    i = 0
    t = 0.0
    end = max(rows[-1][0] if rows else 0.0, flow[-1][0] if flow else 0.0) + 5.0
    while t < end:
        t += 0.05
        while i < len(flow) and flow[i][0] <= t:
            ex.submit(flow[i][0], [flow[i][1]])
            i += 1
        events += ex.advance(t)
        for o in ex.resting_orders():
            queue_min = min(queue_min, o.queue.ahead)
    return {"ex": ex, "events": events, "queue_min": queue_min}


PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(markets(), flows())
def test_fill_invariants(rows: list[Row], flow: list[tuple[float, Command]]) -> None:
    out = run(rows, flow)
    ex = out["ex"]
    assert out["queue_min"] >= 0.0  # the queue never goes negative
    placed = {c.client_id: (t, c) for t, c in flow if isinstance(c, PlaceOrder)}
    limits: dict[int, list[int]] = defaultdict(list)
    for _, c in flow:
        if isinstance(c, PlaceOrder | ModifyOrder):
            limits[c.client_id].append(c.price)
    trades_at: dict[float, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        if r[1] == TRADE:
            trades_at[r[0]][r[2]] += r[4]
    maker_at: dict[float, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for f in ex.fills:  # type: ignore[attr-defined]
        t_sub, cmd = placed[f.client_id]
        delay = RULES.maker_delay_s if cmd.tif is TimeInForce.POST_ONLY else min(RULES.maker_delay_s, RULES.taker_delay_s)
        assert f.t >= t_sub + delay - 1e-9  # no fill before the entry delay
        if cmd.tif is TimeInForce.POST_ONLY:  # never worse than any limit it had
            assert f.role.value == "maker"
            if f.side is Side.BID:
                assert f.price <= max(limits[f.client_id])
            else:
                assert f.price >= min(limits[f.client_id])
        if f.cause == "trade":
            maker_at[f.t][ASK if f.side is Side.BID else BID] += f.size
    for t, by_taker in maker_at.items():  # our maker fills never exceed the volume traded then
        for taker, size in by_taker.items():
            assert size <= trades_at[t][taker]


@PROPS
@given(markets(), flows())
def test_tx_limit_never_exceeded(rows: list[Row], flow: list[tuple[float, Command]]) -> None:
    # Unique client ids per command so rejections can be attributed to their submit time.
    flow = [(t, c if isinstance(c, PlaceOrder) else CancelOrder(10_000 + i)) for i, (t, c) in enumerate(flow)]
    out = run(rows, flow)
    limited = {e.client_id for e in out["events"] if isinstance(e, OrderRejected | ModifyRejected) and e.code == 23000}  # type: ignore[attr-defined]
    accepted = sorted(t for t, c in flow if getattr(c, "client_id", None) not in limited)
    for i, t in enumerate(accepted):
        in_window = [u for u in accepted[: i + 1] if u > t - 60.0]
        assert len(in_window) <= RULES.tx_per_minute
    if len(flow) > RULES.tx_per_minute and flow[RULES.tx_per_minute][0] - flow[0][0] < 60.0:
        assert limited  # and the limit does bite
