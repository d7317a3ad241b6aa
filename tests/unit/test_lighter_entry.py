"""Order entry with a hand-written fake signer: nonce recovery after ANY failed send, batching,
budget and 429 handling, uncertain sends left pending for reconciliation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from lighter_bot.domain.commands import CancelAll, CancelOrder, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import Event, ModifyRejected, OrderCanceled, OrderRejected
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.domain.orders import Purpose, Side, TimeInForce
from lighter_bot.engine.clock import SimClock
from lighter_bot.venues.lighter.parse import OK, SendOutcome
from lighter_bot.venues.lighter.signer import NonceKeeper, SignedTx
from lighter_bot.venues.lighter.venue import LighterVenue, VenueSettings


class FakeSigner:
    """Signs into readable JSON and answers sends from a script (default: accepted)."""

    def __init__(self) -> None:
        self.sent: list[list[dict[str, int]]] = []
        self.script: list[SendOutcome] = []

    def _tx(self, typ: int, **kw: int) -> SignedTx:
        return SignedTx(typ, json.dumps(kw))

    def sign_create(self, *, market: int, coi: int, size: int, price: int, is_ask: bool, tif: int,
                    reduce_only: bool, expiry_ms: int, nonce: int) -> SignedTx:
        return self._tx(14, coi=coi, nonce=nonce, tif=tif, expiry=expiry_ms, reduce_only=int(reduce_only))

    def sign_modify(self, *, market: int, coi: int, size: int, price: int, version: int, nonce: int) -> SignedTx:
        return self._tx(17, coi=coi, nonce=nonce, version=version)

    def sign_cancel(self, *, market: int, coi: int, nonce: int) -> SignedTx:
        return self._tx(15, coi=coi, nonce=nonce)

    def sign_cancel_all(self, *, tif: int, time_ms: int, nonce: int, market: int | None = None) -> SignedTx:
        return self._tx(16, tif=tif, nonce=nonce, market=-1 if market is None else market)

    async def send(self, txs: Sequence[SignedTx]) -> SendOutcome:
        self.sent.append([{"type": t.tx_type, **json.loads(t.tx_info)} for t in txs])
        return self.script.pop(0) if self.script else OK

    def auth_token(self, expiry_s: int) -> tuple[str | None, str | None]:
        return f"{expiry_s}:1:4:sig", None

    async def check(self) -> str | None:
        return None

    async def close(self) -> None:
        return None


class FakeServerNonce:
    def __init__(self, start: int) -> None:
        self.value = start
        self.fetches = 0

    async def __call__(self) -> int:
        self.fetches += 1
        return self.value


def make(tier_budget: int | None = None) -> tuple[LighterVenue, FakeSigner, FakeServerNonce, SimClock]:
    clock = SimClock(1_760_000_000.0)
    settings = VenueSettings(2, 1, 4, "http://127.0.0.1:9", "ws://127.0.0.1:9/stream", tx_per_minute=tier_budget)
    signer = FakeSigner()
    v = LighterVenue(settings, clock, lambda: signer, provisional_market=SOL_PERP)
    v.ctx.signer = signer
    server = FakeServerNonce(100)
    v.entry.nonces = NonceKeeper(server)
    return v, signer, server, clock


def drain(v: LighterVenue) -> list[Event]:
    out: list[Event] = []
    while not v.ctx.events.empty():
        e = v.ctx.events.get_nowait()
        assert e is not None
        out.append(e)
    return out


def q(cid: int, side: Side = Side.BID) -> PlaceOrder:
    return PlaceOrder(cid, side, 170_000, 64, TimeInForce.POST_ONLY, expiry_s=600.0)


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_batch_gets_consecutive_nonces_and_quote_expiry() -> None:
    async def go() -> None:
        v, signer, server, clock = make()
        await v.entry.send_items([q(1), q(2, Side.ASK)])
        (batch,) = signer.sent
        assert [t["nonce"] for t in batch] == [100, 101]
        assert batch[0]["expiry"] == int((clock.now() + 600) * 1000) and batch[0]["tif"] == 2
        await v.entry.send_items([ModifyOrder(1, 170_010, 64)])
        assert signer.sent[-1][0]["nonce"] == 102 and server.fetches == 1
        assert v.tracker.orders[1].modify is not None

    run(go())


def test_uncertain_send_refetches_nonce_and_keeps_order_pending() -> None:
    async def go() -> None:
        v, signer, server, _ = make()
        signer.script = [SendOutcome("uncertain", 0, "HTTP 503")]
        await v.entry.send_items([q(1)])
        assert drain(v) == [] and 1 in v.tracker.orders  # reconciled after the grace window
        assert not v.entry.nonces.known
        server.value = 101  # it did land: the server moved on
        await v.entry.send_items([q(2)])
        assert server.fetches == 2 and signer.sent[-1][0]["nonce"] == 101

    run(go())


def test_invalid_nonce_is_resent_once_with_a_fresh_nonce() -> None:
    async def go() -> None:
        v, signer, server, _ = make()
        await v.entry.send_items([q(1)])  # nonce 100, local next 101
        server.value = 105  # someone else used the key
        signer.script = [SendOutcome("rejected", 21104, "invalid nonce")]
        await v.entry.send_items([q(2)])
        assert [s[0]["nonce"] for s in signer.sent] == [100, 101, 105]
        assert drain(v) == [] and 2 in v.tracker.orders

    run(go())


def test_nonce_storm_degrades_account_health() -> None:
    async def go() -> None:
        v, signer, _, _ = make()
        signer.script = [SendOutcome("rejected", 21104, "invalid nonce")] * 6
        for cid in range(3):
            await v.entry.send_items([q(cid)])
        assert v.entry.nonce_storm(v.ctx.clock.now())
        _, account_ok, detail = v.health()
        assert not account_ok and "nonce storm" in detail
        rejected = [e for e in drain(v) if isinstance(e, OrderRejected)]
        assert [e.code for e in rejected] == [21104] * 3

    run(go())


def test_rate_limit_backs_off_quotes_but_not_cancels() -> None:
    async def go() -> None:
        v, signer, _, clock = make()
        await v.entry.send_items([q(1)])
        signer.script = [SendOutcome("rate_limited", 23000, "Too Many Requests")]
        await v.entry.send_items([q(2)])
        ev = drain(v)
        assert [(type(e), e.code) for e in ev if isinstance(e, OrderRejected)] == [(OrderRejected, 23000)]
        await v.entry.send_items([q(3)])  # inside the cooldown: refused locally, nothing sent
        assert len(signer.sent) == 2
        assert [e.code for e in drain(v) if isinstance(e, OrderRejected)] == [23000]
        # The 429 filled the window: it frees one request per ~1 s from now (as if it refilled at the
        # average rate), so a cancel goes after the 1 s cooldown, quotes once their reserve is back.
        assert v.gate.used_last_minute() == 60
        clock.advance_to(clock.now() + 1.1)
        await v.entry.send_items([CancelOrder(1)])
        assert signer.sent[-1][0]["type"] == 15
        await v.entry.send_items([q(4)])
        assert len(signer.sent) == 3
        clock.advance_to(clock.now() + 5.0)
        await v.entry.send_items([q(5)])
        assert signer.sent[-1][0]["type"] == 14

    run(go())


def test_one_request_per_batch_and_exhaustion_refuses_quotes_keeps_cancels() -> None:
    async def go() -> None:
        v, signer, _, clock = make(tier_budget=60)
        for i in range(60):  # one placement per request
            await v.entry.send_items([q(i)])
            clock.advance_to(clock.now() + 0.01)
        assert len(signer.sent) == 56  # a quote leaves 4 requests for reads, hedges and cancels
        rejected = [e for e in drain(v) if isinstance(e, OrderRejected)]
        assert len(rejected) == 4 and {e.code for e in rejected} == {23000}
        assert v.gate.refused == 4
        # A hedge and a cancel-all go as ONE request: the hedge is sent with a single-market cancel-all.
        hedge = PlaceOrder(100, Side.ASK, 170_000, 64, TimeInForce.IOC, reduce_only=True, purpose=Purpose.HEDGE_CROSS)
        await v.entry.send_items([hedge, CancelAll()])
        last = signer.sent[-1]
        assert [t["type"] for t in last] == [14, 16] and last[0]["reduce_only"] == 1 and last[0]["expiry"] == 0
        assert last[1]["market"] == 2 and last[1]["tif"] == 0  # immediate, this market only
        assert all(t.cancel_sent_at is not None for t in v.tracker.orders.values() if t.client_id != 100)
        await v.entry.send_items([q(200, Side.ASK)])  # a quote now finds no room
        assert len(signer.sent) == 57
        for _ in range(3):  # cancels may spend the last requests
            await v.entry.send_items([CancelOrder(1)])
        assert len(signer.sent) == 60 and v.gate.used_last_minute() == 60
        await v.entry.send_items([CancelOrder(2)])
        assert len(signer.sent) == 60  # refused locally rather than sent into a certain 429
        clock.advance_to(clock.now() + 61.0)
        await v.entry.send_items([q(300)])
        assert len(signer.sent) == 61

    run(go())


def test_modifies_carry_an_increasing_order_version() -> None:
    async def go() -> None:
        v, signer, _, _ = make()
        await v.entry.send_items([q(1), q(2, Side.ASK)])
        await v.entry.send_items([ModifyOrder(1, 170_010, 64), ModifyOrder(2, 170_020, 64)])
        await v.entry.send_items([ModifyOrder(1, 170_030, 64)])
        assert [(t["coi"] - v.tracker.base, t["version"]) for b in signer.sent[1:] for t in b] == [(1, 1), (2, 1), (1, 2)]

    run(go())


def test_cancel_or_modify_of_unknown_order_reports_it_gone() -> None:
    """Not a reject (which would count toward a reject storm): the order is simply no longer open."""

    async def go() -> None:
        v, signer, _, _ = make()
        await v.entry.send_items([CancelOrder(9), ModifyOrder(8, 170_000, 64)])
        ev = drain(v)
        assert signer.sent == []
        assert {(type(e), getattr(e, "client_id", None)) for e in ev} == {(OrderCanceled, 9), (OrderCanceled, 8)}

    run(go())


def test_cancel_refused_as_order_gone_reports_it_cancelled_not_still_open() -> None:
    """21700/21715 on a cancel mean the exchange has no such active order. Reporting it as a failed
    cancel (ModifyRejected) left the engine believing it open: it cancelled again at once, was refused
    again, and looped into a reject-storm halt (found by test_live_faults_e2e under 5xx faults)."""

    async def go() -> None:
        v, signer, _, clock = make()
        await v.entry.send_items([q(1)])  # placed; never seen on the exchange (say its send timed out)
        drain(v)
        signer.script = [SendOutcome("rejected", 21700, "invalid order index")]
        await v.entry.send_items([CancelOrder(1)])
        ev = drain(v)
        assert [type(e) for e in ev] == [OrderCanceled] and ev[0].client_id == 1
        assert 1 not in v.tracker.orders and 1 in v.tracker.abandoned  # cancelled as an orphan if it shows up
        clock.advance_to(clock.now() + 1.0)
        await v.entry.send_items([q(2)])
        drain(v)
        v.tracker.orders[2].seen = True
        signer.script = [SendOutcome("rejected", 21715, "order is not active")]
        await v.entry.send_items([ModifyOrder(2, 170_010, 64)])
        ev = drain(v)
        assert [type(e) for e in ev] == [OrderCanceled] and 2 not in v.tracker.orders

    run(go())


def test_batch_refused_for_a_gone_order_is_split_so_the_rest_goes_through() -> None:
    """A whole batch fails on one gone order; we cannot tell which, so each item is sent alone."""

    async def go() -> None:
        v, signer, _, _ = make()
        await v.entry.send_items([q(1), q(2, Side.ASK)])
        drain(v)
        signer.sent.clear()
        gone = SendOutcome("rejected", 21715, "order is not active")
        signer.script = [gone, gone, OK, OK]  # the batch, then cancel 1 alone, place 3, cancel 2
        await v.entry.send_items([CancelOrder(1), q(3), CancelOrder(2)])
        ev = drain(v)
        assert [len(b) for b in signer.sent] == [3, 1, 1, 1]
        assert {e.client_id for e in ev if isinstance(e, OrderCanceled)} == {1}
        assert v.tracker.orders[2].cancel_sent_at is not None  # its cancel went through alone
        assert not [e for e in ev if isinstance(e, (ModifyRejected, OrderRejected))]
        assert 3 in v.tracker.orders  # the placement in the refused batch went out on its own

    run(go())


def test_unanswered_sends_degrade_order_entry_then_clear() -> None:
    """5xx/timeouts are not refusals (code 29500 to the engine, no reject storm), but a run of them
    with no answer reports order entry as failing, which halts quoting; a success or 10 s clears it."""

    async def go() -> None:
        v, signer, _, clock = make()
        await v.entry.send_items([q(1), q(2, Side.ASK)])
        signer.script = [SendOutcome("uncertain", 0, "HTTP 502")] * 4
        for cid in (1, 2, 1, 2):
            await v.entry.send_items([ModifyOrder(cid, 170_010, 64)])
        codes = {e.code for e in drain(v) if isinstance(e, ModifyRejected)}
        assert codes == {29500}
        _, account_ok, detail = v.health()
        assert not account_ok and "order entry failing" in detail

        def failing() -> bool:
            return "order entry failing" in v.health()[2]

        clock.advance_to(clock.now() + 11.0)
        assert not failing()  # nothing sent for a while: no longer held down
        signer.script = [SendOutcome("uncertain", 0, "HTTP 502")]
        await v.entry.send_items([ModifyOrder(1, 170_020, 64)])
        assert failing()
        await v.entry.send_items([ModifyOrder(2, 170_020, 64)])  # answered
        assert not failing()

    run(go())


class FakeRest:
    """accountOrders answers from a script: a list of orders (JSON rows), or an exception to raise."""

    def __init__(self, gate: object) -> None:
        self.gate = gate
        self.asked: list[list[int]] = []
        self.script: list[object] = []
        self.rate_limited = 0

    def spare(self, endpoint: str, priority: object = None) -> bool:
        return True

    async def orders_by_client_index(self, account_index: int, indexes: list[int], token: str | None) -> dict[str, object]:
        assert 1 <= len(indexes) <= 20
        self.asked.append(list(indexes))
        answer = self.script.pop(0) if self.script else []
        if isinstance(answer, Exception):
            raise answer
        return {"code": 200, "orders": answer}

    async def close(self) -> None:
        return None


def test_acked_no_ops_are_resolved_by_rest_probes_that_back_off_in_chunks_of_20() -> None:
    """A cancel Lighter accepted but that did nothing shows nothing on the stream: after the grace
    window REST is asked, by client order index, 20 per request; an order REST cannot settle is asked
    about again later and later, never in a loop."""

    async def go() -> None:
        from lighter_bot.errors import RetryableVenueError

        v, _signer, _, clock = make()
        rest = FakeRest(v.gate)
        v.rest = rest  # type: ignore[assignment]
        await v.entry.send_items([q(1), q(2, Side.ASK)])
        for t in v.tracker.orders.values():
            t.seen = True
        await v.entry.send_items([CancelOrder(1), CancelOrder(2)])  # both acked (200); the stream stays silent
        drain(v)
        clock.advance_to(clock.now() + v.s.order_grace_s + 0.1)
        rest.script = [[]]  # neither is known any more (gone before the cancels landed)
        await v.reconciler.reconcile_overdue(clock.now())
        assert len(rest.asked) == 1 and sorted(rest.asked[0]) == sorted(v.tracker.base + c for c in (1, 2))
        assert {e.client_id for e in drain(v) if isinstance(e, OrderCanceled)} == {1, 2} and not v.tracker.orders
        # Forty-two unresolved orders: three requests of at most 20; REST failing, then backing off.
        await v.entry.send_items([q(100 + i) for i in range(42)])
        for t in v.tracker.orders.values():
            t.seen = True
        await v.entry.send_items([CancelOrder(100 + i) for i in range(42)])
        clock.advance_to(clock.now() + v.s.order_grace_s + 0.1)
        rest.asked.clear()
        rest.script = [RetryableVenueError("HTTP 503")]
        await v.reconciler.reconcile_overdue(clock.now())
        assert [len(a) for a in rest.asked] == [20]  # the first chunk failed: the rest waits
        for _ in range(11):  # once a second for 11 s, as the health loop does
            clock.advance_to(clock.now() + 1.0)
            await v.reconciler.reconcile_overdue(clock.now())
        # Next second: the other 22 (gone); the unanswered 20 only after their 4 s backoff.
        assert [len(a) for a in rest.asked] == [20, 20, 2, 20]
        assert not v.tracker.orders and len(drain(v)) == 42


def test_an_account_snapshot_that_leaves_out_our_order_makes_rest_verify_it() -> None:
    """After a re-authentication (or reconnect) the account_orders snapshot lists the open orders; one
    of ours it leaves out ended while we were not listening: REST is asked how."""

    async def go() -> None:
        v, _signer, _, clock = make()
        rest = FakeRest(v.gate)
        v.rest = rest  # type: ignore[assignment]
        await v.entry.send_items([q(1), q(2, Side.ASK)])
        for t in v.tracker.orders.values():
            t.seen = True
        coi2 = v.tracker.coi(2)
        row = {"order_index": 2**48 + 5, "client_order_index": coi2, "market_index": 2, "is_ask": True,
               "price": "170.000", "initial_base_amount": "0.064", "remaining_base_amount": "0.064",
               "filled_base_amount": "0", "status": "open"}
        v.frames.dispatch({"type": "subscribed/account_orders", "channel": "account_orders:2:1", "orders": {"2": [row]}})
        assert v.tracker.orders[1].verify_at is not None and v.tracker.orders[2].verify_at is None
        clock.advance_to(clock.now() + v.s.order_grace_s + 0.1)
        rest.script = [[dict(row, client_order_index=v.tracker.coi(1), status="canceled-expired")]]
        await v.reconciler.reconcile_overdue(clock.now())
        assert rest.asked == [[v.tracker.base + 1]]
        assert [(type(e), e.client_id) for e in drain(v)] == [(OrderCanceled, 1)] and set(v.tracker.orders) == {2}

    run(go())
