"""Hedger state machine: passive first, then a capped IOC; abandon on a moved market; no self-trade."""

from __future__ import annotations

from lighter_bot.config import BotConfig, HedgerConfig
from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import CancelOrder, PlaceOrder
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import OrderStatus, Purpose, Side, TimeInForce, WorkingOrder
from lighter_bot.strategy.hedger import HedgePhase, Hedger
from lighter_bot.strategy.quoting import SizeRules

CFG = BotConfig()
MID = 170_000
BOOK = BookView(((MID - 10, 5000),), ((MID + 10, 5000),))


class Ids:
    def __init__(self) -> None:
        self.n = 100

    def __call__(self) -> int:
        self.n += 1
        return self.n


def hedger(**kw: object) -> Hedger:
    cfg = HedgerConfig.model_validate({**CFG.hedger.model_dump(), **kw})
    return Hedger(cfg, SOL_PERP, SizeRules(SOL_PERP, 0.061, 10.5))


def order(cmd: PlaceOrder, status: OrderStatus = OrderStatus.OPEN) -> WorkingOrder:
    return WorkingOrder(cmd.client_id, cmd.side, cmd.price, cmd.size, cmd.tif, cmd.reduce_only, cmd.purpose, status, 0.0)


def test_no_hedge_at_or_below_trigger() -> None:
    h = hedger()
    assert h.step(0.0, 70, 2 * MID, BOOK, {}, Ids()) == []
    assert h.step(0.0, -70, 2 * MID, BOOK, {}, Ids()) == []
    assert h.phase is HedgePhase.IDLE


def test_passive_then_cross_within_slippage_of_the_planning_mid() -> None:
    h, ids = hedger(), Ids()
    pos = 130  # 0.13 long: clip min(0.13 - 0.03, 0.08) = 0.08
    [p] = h.step(1.0, pos, 2 * MID, BOOK, {}, ids)
    assert isinstance(p, PlaceOrder)
    assert (p.side, p.tif, p.reduce_only, p.purpose) == (Side.ASK, TimeInForce.POST_ONLY, True, Purpose.HEDGE_PASSIVE)
    assert p.price == 170_034  # mid + 2 bps, snapped up, above the best bid
    assert p.size == 80
    orders = {p.client_id: order(p)}
    assert h.step(1.2, pos, 2 * MID, BOOK, orders, ids) == []  # still within the 0.4 s wait
    [c] = h.step(1.41, pos, 2 * MID, BOOK, orders, ids)
    assert c == CancelOrder(p.client_id) and h.phase is HedgePhase.CANCELLING
    h.on_order_gone(p.client_id, 1.6)
    # The market moved 3 bps down since planning: the IOC's limit stays at plan mid - 7 bps.
    moved = BookView(((MID - 60, 5000),), ((MID - 40, 5000),))
    [x] = h.step(1.6, pos, 2 * (MID - 50), moved, {}, ids)
    assert isinstance(x, PlaceOrder)
    assert (x.side, x.tif, x.reduce_only, x.purpose) == (Side.ASK, TimeInForce.IOC, True, Purpose.HEDGE_CROSS)
    assert x.price == 169_881  # ceil(170.000 x (1 - 7 bps))
    assert h.phase is HedgePhase.CROSS
    h.on_fill(x.client_id, 50)
    h.on_order_gone(x.client_id, 2.0)
    assert h.phase is HedgePhase.IDLE and h.stats.filled_lots == 50
    # cooldown: nothing until 1 s later even though the position is still above the trigger
    assert h.step(2.5, 80, 2 * MID, BOOK, {}, ids) == []
    assert h.step(3.01, 80, 2 * MID, BOOK, {}, ids) != []


def test_cross_abandoned_when_the_market_moved_beyond_the_plan() -> None:
    h, ids = hedger(prefer_passive=False), Ids()
    assert h.step(1.0, 130, 2 * MID, BOOK, {}, ids) == []  # planned; crosses on the next step
    crashed = BookView(((MID - 200, 5000),), ((MID - 180, 5000),))  # -11 bps: beyond 7 bps
    assert h.step(1.1, 130, 2 * (MID - 190), crashed, {}, ids) == []
    assert h.phase is HedgePhase.IDLE and h.stats.abandoned == 1
    assert "abandoned" in h.last_note


def test_cross_waits_for_our_own_quote_it_could_hit() -> None:
    h, ids = hedger(prefer_passive=False), Ids()
    h.step(1.0, 130, 2 * MID, BOOK, {}, ids)
    # Our own bid at mid - 3.5 bps would trade with a sell IOC limited at mid - 7 bps.
    quote = WorkingOrder(7, Side.BID, MID - 60, 62, TimeInForce.POST_ONLY, False, Purpose.QUOTE, OrderStatus.OPEN, 0.0)
    assert h.step(1.1, 130, 2 * MID, BOOK, {7: quote}, ids) == []
    assert h.blocked_side(130) is Side.BID
    # A modify in flight to a safe price is still a conflict: the old price can fill until it lands.
    moving = WorkingOrder(7, Side.BID, MID - 60, 62, TimeInForce.POST_ONLY, False, Purpose.QUOTE,
                          OrderStatus.PENDING_MODIFY, 0.0, pending_price=MID - 300, pending_size=62)
    assert h.step(1.2, 130, 2 * MID, BOOK, {7: moving}, ids) == []
    safe = WorkingOrder(7, Side.BID, MID - 300, 62, TimeInForce.POST_ONLY, False, Purpose.QUOTE, OrderStatus.OPEN, 0.0)
    [x] = h.step(1.3, 130, 2 * MID, BOOK, {7: safe}, ids)
    assert isinstance(x, PlaceOrder) and x.tif is TimeInForce.IOC and x.price > safe.price


def test_passive_fill_ends_the_hedge_without_crossing() -> None:
    h, ids = hedger(), Ids()
    [p] = h.step(1.0, 100, 2 * MID, BOOK, {}, ids)
    assert isinstance(p, PlaceOrder)
    h.on_fill(p.client_id, p.size)
    h.on_order_gone(p.client_id, 1.2)
    assert h.step(1.2, 100 - p.size, 2 * MID, BOOK, {}, ids) == []
    assert h.phase is HedgePhase.IDLE and h.stats.cross_sent == 0


def test_clips_respect_exchange_minimums_and_the_max_clip() -> None:
    h = hedger()
    assert h.clip_lots(71, MID) == 62  # excess 0.041 raised to the 10.5 USD floor at 170
    assert h.clip_lots(300, MID) == 80  # capped at max_clip 0.08
    assert h.clip_lots(-90, MID) == 62
    assert h.clip_lots(120, MID) == 80


def test_dry_run_plans_but_sends_nothing() -> None:
    h = hedger(dry_run=True)
    assert h.step(1.0, 200, 2 * MID, BOOK, {}, Ids()) == []
    assert h.stats.planned == 1 and h.stats.dry_run_plans == 1 and h.plan is not None
    assert h.plan.side is Side.ASK and h.phase is HedgePhase.IDLE


def test_short_inventory_buys() -> None:
    h = hedger()
    [p] = h.step(1.0, -130, 2 * MID, BOOK, {}, Ids())
    assert isinstance(p, PlaceOrder) and p.side is Side.BID and p.price == 169_966 and p.reduce_only


def test_a_lost_answer_is_cancelled_again_then_given_up() -> None:
    h, ids = hedger(prefer_passive=False), Ids()
    h.step(1.0, 130, 2 * MID, BOOK, {}, ids)
    [x] = h.step(1.1, 130, 2 * MID, BOOK, {}, ids)
    assert isinstance(x, PlaceOrder) and h.phase is HedgePhase.CROSS
    orders = {x.client_id: order(x, OrderStatus.PENDING_NEW)}
    assert h.step(3.0, 130, 2 * MID, BOOK, orders, ids) == []
    assert h.step(6.2, 130, 2 * MID, BOOK, orders, ids) == [CancelOrder(x.client_id)]
    assert h.step(12.0, 130, 2 * MID, BOOK, {}, ids) == []  # the order is gone from our books
    assert h.phase is HedgePhase.IDLE


def test_a_longer_passive_wait_from_hedge_alpha_holds_the_cross_back() -> None:
    h, ids = hedger(), Ids()
    [p] = h.step(1.0, 130, 2 * MID, BOOK, {}, ids, passive_wait_s=3.0)
    orders = {p.client_id: order(p)}
    assert h.step(1.41, 130, 2 * MID, BOOK, orders, ids, passive_wait_s=3.0) == []  # past 0.4 s, within 3 s
    assert h.phase is HedgePhase.PASSIVE
    [c] = h.step(4.0, 130, 2 * MID, BOOK, orders, ids, passive_wait_s=3.0)
    assert c == CancelOrder(p.client_id)
    # The patience ends as soon as hedge alpha asks for the operator's wait again (e.g. a trend turned).
    h2 = hedger()
    [p2] = h2.step(1.0, 130, 2 * MID, BOOK, {}, ids, passive_wait_s=3.0)
    [c2] = h2.step(1.5, 130, 2 * MID, BOOK, {p2.client_id: order(p2)}, ids, passive_wait_s=None)
    assert c2 == CancelOrder(p2.client_id)
