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

    def sign_modify(self, *, market: int, coi: int, size: int, price: int, nonce: int) -> SignedTx:
        return self._tx(17, coi=coi, nonce=nonce)

    def sign_cancel(self, *, market: int, coi: int, nonce: int) -> SignedTx:
        return self._tx(15, coi=coi, nonce=nonce)

    def sign_cancel_all(self, *, tif: int, time_ms: int, nonce: int) -> SignedTx:
        return self._tx(16, tif=tif, nonce=nonce)

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
    v._signer = signer
    server = FakeServerNonce(100)
    v.nonces = NonceKeeper(server)
    return v, signer, server, clock


def drain(v: LighterVenue) -> list[Event]:
    out: list[Event] = []
    while not v._events.empty():
        e = v._events.get_nowait()
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
        await v._send_items([q(1), q(2, Side.ASK)])
        (batch,) = signer.sent
        assert [t["nonce"] for t in batch] == [100, 101]
        assert batch[0]["expiry"] == int((clock.now() + 600) * 1000) and batch[0]["tif"] == 2
        await v._send_items([ModifyOrder(1, 170_010, 64)])
        assert signer.sent[-1][0]["nonce"] == 102 and server.fetches == 1
        assert v.tracker.orders[1].modify is not None

    run(go())


def test_uncertain_send_refetches_nonce_and_keeps_order_pending() -> None:
    async def go() -> None:
        v, signer, server, _ = make()
        signer.script = [SendOutcome("uncertain", 0, "HTTP 503")]
        await v._send_items([q(1)])
        assert drain(v) == [] and 1 in v.tracker.orders  # reconciled after the grace window
        assert not v.nonces.known
        server.value = 101  # it did land: the server moved on
        await v._send_items([q(2)])
        assert server.fetches == 2 and signer.sent[-1][0]["nonce"] == 101

    run(go())


def test_invalid_nonce_is_resent_once_with_a_fresh_nonce() -> None:
    async def go() -> None:
        v, signer, server, _ = make()
        await v._send_items([q(1)])  # nonce 100, local next 101
        server.value = 105  # someone else used the key
        signer.script = [SendOutcome("rejected", 21104, "invalid nonce")]
        await v._send_items([q(2)])
        assert [s[0]["nonce"] for s in signer.sent] == [100, 101, 105]
        assert drain(v) == [] and 2 in v.tracker.orders

    run(go())


def test_nonce_storm_degrades_account_health() -> None:
    async def go() -> None:
        v, signer, _, _ = make()
        signer.script = [SendOutcome("rejected", 21104, "invalid nonce")] * 6
        for cid in range(3):
            await v._send_items([q(cid)])
        assert v._nonce_storm(v._clock.now())
        _, account_ok, detail = v.health()
        assert not account_ok and "nonce storm" in detail
        rejected = [e for e in drain(v) if isinstance(e, OrderRejected)]
        assert [e.code for e in rejected] == [21104] * 3

    run(go())


def test_rate_limit_backs_off_quotes_but_not_cancels() -> None:
    async def go() -> None:
        v, signer, _, clock = make()
        await v._send_items([q(1)])
        signer.script = [SendOutcome("rate_limited", 23000, "Too Many Requests")]
        await v._send_items([q(2)])
        ev = drain(v)
        assert [(type(e), e.code) for e in ev if isinstance(e, OrderRejected)] == [(OrderRejected, 23000)]
        await v._send_items([q(3)])  # inside the cooldown: refused locally, nothing sent
        assert len(signer.sent) == 2
        assert [e.code for e in drain(v) if isinstance(e, OrderRejected)] == [23000]
        clock.advance_to(clock.now() + 1.01)
        await v._send_items([CancelOrder(1)])
        assert signer.sent[-1][0]["type"] == 15

    run(go())


def test_budget_exhaustion_rejects_quotes_keeps_cancels() -> None:
    async def go() -> None:
        v, signer, _, _ = make(tier_budget=60)
        await v._send_items([q(i) for i in range(60)])
        sent = sum(len(b) for b in signer.sent)
        assert sent == 48  # 12 kept back for hedges and cancels
        rejected = [e for e in drain(v) if isinstance(e, OrderRejected)]
        assert len(rejected) == 12 and {e.code for e in rejected} == {23000}
        hedge = PlaceOrder(100, Side.ASK, 170_000, 64, TimeInForce.IOC, reduce_only=True, purpose=Purpose.HEDGE_CROSS)
        await v._send_items([hedge, CancelAll()])
        last = signer.sent[-1]
        assert last[0]["type"] == 14 and last[0]["reduce_only"] == 1 and last[0]["expiry"] == 0
        # 12 left: the hedge takes one, cancels may spend the remaining 11; the rest is refused
        # locally (the engine retries them) rather than sent into a certain 429.
        assert sum(1 for t in last if t["type"] == 15) == 11
        refused = [e for e in drain(v) if isinstance(e, ModifyRejected)]
        assert len(refused) == 48 - 11 and {e.code for e in refused} == {23000}

    run(go())


def test_cancel_or_modify_of_unknown_order_reports_it_gone() -> None:
    """Not a reject (which would count toward a reject storm): the order is simply no longer open."""

    async def go() -> None:
        v, signer, _, _ = make()
        await v._send_items([CancelOrder(9), ModifyOrder(8, 170_000, 64)])
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
        await v._send_items([q(1)])  # placed; never seen on the exchange (say its send timed out)
        drain(v)
        signer.script = [SendOutcome("rejected", 21700, "invalid order index")]
        await v._send_items([CancelOrder(1)])
        ev = drain(v)
        assert [type(e) for e in ev] == [OrderCanceled] and ev[0].client_id == 1
        assert 1 not in v.tracker.orders and 1 in v.tracker.abandoned  # cancelled as an orphan if it shows up
        clock.advance_to(clock.now() + 1.0)
        await v._send_items([q(2)])
        drain(v)
        v.tracker.orders[2].seen = True
        signer.script = [SendOutcome("rejected", 21715, "order is not active")]
        await v._send_items([ModifyOrder(2, 170_010, 64)])
        ev = drain(v)
        assert [type(e) for e in ev] == [OrderCanceled] and 2 not in v.tracker.orders

    run(go())


def test_batch_refused_for_a_gone_order_is_split_so_the_rest_goes_through() -> None:
    """A whole batch fails on one gone order; we cannot tell which, so each item is sent alone."""

    async def go() -> None:
        v, signer, _, _ = make()
        await v._send_items([q(1), q(2, Side.ASK)])
        drain(v)
        signer.sent.clear()
        gone = SendOutcome("rejected", 21715, "order is not active")
        signer.script = [gone, gone, OK, OK]  # the batch, then cancel 1 alone, place 3, cancel 2
        await v._send_items([CancelOrder(1), q(3), CancelOrder(2)])
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
        await v._send_items([q(1), q(2, Side.ASK)])
        signer.script = [SendOutcome("uncertain", 0, "HTTP 502")] * 4
        for cid in (1, 2, 1, 2):
            await v._send_items([ModifyOrder(cid, 170_010, 64)])
        codes = {e.code for e in drain(v) if isinstance(e, ModifyRejected)}
        assert codes == {29500}
        _, account_ok, detail = v.health()
        assert not account_ok and "order entry failing" in detail

        def failing() -> bool:
            return "order entry failing" in v.health()[2]

        clock.advance_to(clock.now() + 11.0)
        assert not failing()  # nothing sent for a while: no longer held down
        signer.script = [SendOutcome("uncertain", 0, "HTTP 502")]
        await v._send_items([ModifyOrder(1, 170_020, 64)])
        assert failing()
        await v._send_items([ModifyOrder(2, 170_020, 64)])  # answered
        assert not failing()

    run(go())
