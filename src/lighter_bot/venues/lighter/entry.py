"""Order entry: one sender task turns queued items into signed sendTx / sendTxBatch requests.

`submit()` only queues. The sender drains the queue, expands `CancelAll` into Lighter's immediate
single-market cancel-all (one tx), refuses locally what would fail anyway (below the market minimum:
21706; no budget: 23000 — one invalid order would fail its whole batch), signs with consecutive
nonces and sends each batch as ONE request, counted in the request gate at its most urgent item's
priority. Outcomes: accepted -> pending until the account stream confirms (or REST, monitor.py);
invalid nonce -> refetch and resend once; rejected -> OrderRejected / ModifyRejected with Lighter's
code; 429 -> the gate fills and cools down (quotes refused during it, cancels wait); uncertain
(5xx, timeout) -> nonce refetched, placements stay pending for reconciliation. While the venue
shuts down, queued cancels and modifies are dropped (its single-market cancel-all covers them).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import structlog

from lighter_bot.domain.commands import CancelAll, CancelOrder, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import Event, OrderCanceled, OrderRejected
from lighter_bot.errors import FatalVenueError, LighterBotError, RetryableVenueError
from lighter_bot.venues.lighter import parse, parse_account
from lighter_bot.venues.lighter.context import VenueContext
from lighter_bot.venues.lighter.orders import ORDER_GONE_CODES
from lighter_bot.venues.lighter.ratelimit import TxPriority
from lighter_bot.venues.lighter.signer import NonceKeeper, SignedTx
from lighter_bot.venues.lighter.txitems import (
    DeadMan,
    Item,
    MarketCancelAll,
    chunks,
    kinds,
    quota_units,
    request_priority,
    sign,
    with_abort,
)

log = structlog.get_logger("lighter.entry")

BUDGET_CODE = 23000  # same code as the server's rate limit: the engine backs off the same way
NONCE_STORM_COUNT = 3
NONCE_STORM_WINDOW_S = 30.0
# Sends in a row that got no answer (5xx, timeout, reset) before order entry is reported as failing,
# which halts quoting until a send succeeds again. Each is also reported to the engine as code 29500.
UNANSWERED_SENDS_LIMIT = 4
UNANSWERED_CODE = 29500
# ...and for this long after the last unanswered send (a halted bot may have nothing left to send).
UNANSWERED_HOLD_S = 10.0


class OrderEntry:
    def __init__(self, ctx: VenueContext, on_failing: Callable[[], None]) -> None:
        self.ctx = ctx
        self._on_failing = on_failing  # order entry just started failing: health changes now
        self.nonces = NonceKeeper(self._fetch_nonce)
        self.outbox: asyncio.Queue[list[Item] | None] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self.deadman_queued = False
        self.deadman_armed_at: float | None = None
        self.market_cancel_alls = 0  # immediate single-market cancel-alls sent (start, shutdown, CancelAll)
        self._nonce_failures: deque[float] = deque()
        self._last_tx_ok: float | None = None
        self._unanswered = 0  # sends in a row with no answer
        self._unanswered_at = 0.0

    async def _fetch_nonce(self) -> int:
        s = self.ctx.s
        return parse_account.next_nonce(await self.ctx.rest.next_nonce(s.account_index, s.api_key_index))

    # -- the queue and its sender ---------------------------------------------------------------
    def queue(self, items: list[Item]) -> None:
        self.outbox.put_nowait(items)

    async def run(self) -> None:
        """The sender task: everything queued meanwhile goes out together; None ends it."""
        while True:
            batch = await self.outbox.get()
            if batch is None:
                return
            items = list(batch)
            while not self.outbox.empty():
                more = self.outbox.get_nowait()
                if more is None:
                    await self.send_items(items)
                    return
                items.extend(more)
            try:
                await self.send_items(items)
            except LighterBotError as exc:
                log.error("order_entry_failed", error=str(exc))

    # -- health inputs ----------------------------------------------------------------------------
    def nonce_storm(self, now: float) -> bool:
        while self._nonce_failures and now - self._nonce_failures[0] > NONCE_STORM_WINDOW_S:
            self._nonce_failures.popleft()
        if len(self._nonce_failures) < NONCE_STORM_COUNT:
            return False
        return self._last_tx_ok is None or self._last_tx_ok < self._nonce_failures[-1]

    def problems(self, now: float) -> list[str]:
        out = ["nonce storm"] if self.nonce_storm(now) else []
        if self._unanswered >= UNANSWERED_SENDS_LIMIT and now - self._unanswered_at < UNANSWERED_HOLD_S:
            out.append(f"order entry failing: {self._unanswered} sends in a row got no answer")
        return out

    # -- items -> requests ------------------------------------------------------------------------
    def _fail(self, item: Item, code: int, reason: str, now: float) -> list[Event]:
        tracker = self.ctx.tracker
        if isinstance(item, PlaceOrder):
            return tracker.on_place_failed(item.client_id, code, reason, now)
        if isinstance(item, ModifyOrder):
            return tracker.on_modify_failed(item.client_id, code, reason, now)
        if isinstance(item, CancelOrder):
            return tracker.on_cancel_failed(item.client_id, code, reason, now)
        if isinstance(item, MarketCancelAll):
            return [e for cid in tracker.live_client_ids() for e in tracker.on_cancel_failed(cid, code, reason, now)]
        return []

    def _fail_all(self, chunk: list[Item], code: int, reason: str, now: float) -> None:
        self.ctx.emit([e for it in chunk for e in self._fail(it, code, reason, now)])

    def _expand(self, items: list[Item], now: float) -> tuple[list[Item], list[Event]]:
        tracker, market = self.ctx.tracker, self.ctx.market
        out: list[Item] = []
        events: list[Event] = []
        cancelled: set[int] = set()
        market_cancel = False
        for it in items:
            if self.ctx.closing and not isinstance(it, (MarketCancelAll, DeadMan)):
                if isinstance(it, PlaceOrder):
                    events.append(OrderCanceled(now, it.client_id, "venue shutting down"))
                continue  # shutdown's single-market cancel-all covers every cancel and modify
            if isinstance(it, (CancelAll, MarketCancelAll)):
                # One tx cancels every order of ours (and any other) in this market.
                if not market_cancel:
                    market_cancel = True
                    out.append(MarketCancelAll())
                cancelled.update(tracker.live_client_ids())
            elif isinstance(it, CancelOrder):
                if it.client_id in cancelled:
                    continue
                if it.client_id not in tracker.orders:
                    events.append(OrderCanceled(now, it.client_id, "not open"))
                    continue
                cancelled.add(it.client_id)
                out.append(it)
            elif isinstance(it, PlaceOrder) and not market.meets_minimums(it.price, it.size):
                # Refused here, not by the exchange: one invalid order would fail its whole batch.
                events.append(OrderRejected(now, it.client_id, 21706, "below the market minimum (checked locally)"))
            elif isinstance(it, ModifyOrder) and not market.meets_minimums(it.price, it.size):
                events += tracker.on_modify_failed(it.client_id, 21706, "below the market minimum (checked locally)", now)
            elif isinstance(it, ModifyOrder) and it.client_id not in tracker.orders:
                # Gone (filled or cancelled) before the engine heard of it: not a reject.
                events.append(OrderCanceled(now, it.client_id, "not open"))
            elif isinstance(it, ModifyOrder) and it.client_id in cancelled:
                continue  # being cancelled in this very send
            else:
                out.append(it)
        if market_cancel:  # the market-wide cancel makes the single ones redundant
            out = [it for it in out if not isinstance(it, CancelOrder)]
        return out, events

    async def send_items(self, items: list[Item]) -> None:
        gate = self.ctx.gate
        async with self._lock:
            now = self.ctx.clock.now()
            todo, events = self._expand(items, now)
            if self.deadman_queued:
                todo = [x for it in todo for x in with_abort(it)]
            self.ctx.emit(events)
            for chunk in chunks(todo):
                # Each chunk is ONE request (sendTx or sendTxBatch) at its most urgent item's priority.
                pr = request_priority(chunk)
                if pr is not TxPriority.CANCEL and gate.cooling() > 0:
                    self._fail_all(chunk, BUDGET_CODE, "rate limited: backing off", now)
                    continue
                if pr is TxPriority.CANCEL and gate.cooling() > 0:
                    await asyncio.sleep(gate.cooling())  # cancels wait the cooldown out
                if not gate.try_send(pr, quota_units(chunk)):
                    self._fail_all(chunk, BUDGET_CODE, "client-side request budget exhausted", now)
                    continue
                await self._send_paid(chunk, retry_nonce=True)

    async def _resend(self, chunk: list[Item], retry_nonce: bool) -> None:
        """A follow-up request (resend after a nonce error, a split batch): it costs a request too."""
        if not self.ctx.gate.try_send(request_priority(chunk), quota_units(chunk)):
            self._fail_all(chunk, BUDGET_CODE, "client-side request budget exhausted", self.ctx.clock.now())
            return
        await self._send_paid(chunk, retry_nonce)

    def _mark_sent(self, item: Item, now: float) -> None:
        tracker = self.ctx.tracker
        if isinstance(item, PlaceOrder):
            tracker.on_place_sent(item, now)
        elif isinstance(item, ModifyOrder):
            tracker.on_modify_sent(item.client_id, item.price, item.size, now)
        elif isinstance(item, CancelOrder):
            tracker.on_cancel_sent(item.client_id, now)
        elif isinstance(item, MarketCancelAll):
            self.market_cancel_alls += 1
            for cid in tracker.live_client_ids():
                tracker.on_cancel_sent(cid, now)

    async def _send_paid(self, chunk: list[Item], retry_nonce: bool) -> None:
        """Sign `chunk` with consecutive nonces and send it as one request (already counted)."""
        ctx = self.ctx
        now = ctx.clock.now()
        try:
            first = await self.nonces.take(0)
        except RetryableVenueError as exc:  # 5xx, timeout, rate limited: transient, not a reject
            self._fail_all(chunk, UNANSWERED_CODE, f"no nonce: {exc}", now)
            return
        except LighterBotError as exc:
            self._fail_all(chunk, 0, f"no nonce: {exc}", now)
            return
        assert ctx.signer is not None
        signed: list[tuple[Item, SignedTx]] = []
        n = first
        for it in chunk:
            try:
                tx = sign(ctx.signer, ctx.s, ctx.tracker, it, n, now)
            except (FatalVenueError, ValueError) as exc:
                ctx.emit(self._fail(it, 0, str(exc), now))
                continue
            signed.append((it, tx))
            n += 1
        if not signed:
            return
        await self.nonces.take(len(signed))
        for it, _ in signed:
            self._mark_sent(it, now)
        out = await ctx.signer.send([tx for _, tx in signed])
        ctx.stats["tx_sent"] += len(signed)
        await self._outcome([it for it, _ in signed], out, retry_nonce)

    async def _outcome(self, items: list[Item], out: parse.SendOutcome, retry_nonce: bool) -> None:
        ctx = self.ctx
        now = ctx.clock.now()
        if out.kind == "ok":
            self._last_tx_ok = now
            self._unanswered = 0
            ctx.gate.on_answer(out.volume_quota_remaining)
            for it in items:
                if isinstance(it, DeadMan):
                    self.deadman_queued = not it.abort_only
                    self.deadman_armed_at = now if not it.abort_only else None
            return
        self.nonces.invalidate()  # after ANY failure the server's nonce is the only truth
        if out.kind == "rejected" and out.invalid_nonce:
            self._nonce_failures.append(now)
            if retry_nonce:
                log.warning("invalid_nonce_resending", txs=len(items))
                await self._resend(items, retry_nonce=False)
                return
        if out.kind == "rejected" and out.code in ORDER_GONE_CODES and len(items) > 1:
            # One cancel/modify of a gone order fails the whole batch and we cannot tell which:
            # send them one by one, so only the culprit is reported gone and the rest goes through.
            log.warning("batch_rejected_order_gone_splitting", code=out.code, txs=len(items))
            for it in items:
                await self._resend([it], retry_nonce=True)
            return
        if out.kind == "rejected" and out.code == 21712 and any(isinstance(i, DeadMan) for i in items) \
                and not self.deadman_queued:
            # A scheduled cancel-all is already queued (an earlier run's): abort it and arm ours.
            self.deadman_queued = True
            rest = [it for it in items if not isinstance(it, DeadMan)]
            for chunk in chunks([DeadMan(abort_only=True), DeadMan(), *rest]):
                await self._resend(chunk, retry_nonce=True)
            return
        ctx.stats["tx_rejected"] += len(items)
        if out.kind == "rate_limited":
            ctx.stats["rate_limited"] += 1
            delay = ctx.gate.on_rate_limited(rest=False)
            log.warning("send_rate_limited", code=23000, backoff_s=delay)
        code = out.code
        if out.kind == "uncertain":
            # It may have landed: placements stay pending and are reconciled after the grace window.
            self._unanswered += 1
            self._unanswered_at = now
            code = out.code or UNANSWERED_CODE
            log.warning("send_outcome_unknown", detail=out.message, action="reconcile by client order index",
                        unanswered_in_a_row=self._unanswered)
            items = [it for it in items if not isinstance(it, PlaceOrder)]
            if self._unanswered >= UNANSWERED_SENDS_LIMIT:
                self._on_failing()
        else:
            log.warning("send_rejected", code=out.code, message=out.message, txs=len(items), kinds=kinds(items))
        self._fail_all(items, code, out.message, now)
