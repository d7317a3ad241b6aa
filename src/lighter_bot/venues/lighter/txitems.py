"""What order entry sends, besides the engine's commands, and how each item becomes a signed tx.

Items are the engine's commands plus the adapter's own: a cancel by exchange order index (orphans),
the dead-man switch (a scheduled cancel-all, or its abort) and Lighter's immediate cancel-all scoped
to our market. A batch of items is ONE request (sendTx or sendTxBatch, at most MAX_BATCH); it goes
at the priority of its most urgent item.
"""

from __future__ import annotations

from dataclasses import dataclass

from lighter_bot.config import MAX_ORDER_EXPIRY_S, MIN_ORDER_EXPIRY_S
from lighter_bot.domain.commands import CancelAll, CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.orders import Purpose, Side, TimeInForce
from lighter_bot.venues.lighter.context import VenueSettings
from lighter_bot.venues.lighter.orders import OrderBook
from lighter_bot.venues.lighter.ratelimit import TxPriority
from lighter_bot.venues.lighter.signer import (
    CANCEL_ALL_ABORT,
    CANCEL_ALL_IMMEDIATE,
    CANCEL_ALL_SCHEDULED,
    MAX_BATCH,
    TIF_GTT,
    TIF_IOC,
    TIF_POST_ONLY,
    SignedTx,
    TxSigner,
)


@dataclass(frozen=True, slots=True)
class CancelIndex:
    """Cancel an order by exchange order_index (stale and orphan orders)."""

    order_index: int


@dataclass(frozen=True, slots=True)
class DeadMan:
    """The dead-man switch: a scheduled cancel-all of the account (or, abort_only, the abort of one)."""

    abort_only: bool = False


@dataclass(frozen=True, slots=True)
class MarketCancelAll:
    """Lighter's immediate cancel-all scoped to our market: one tx for every order in it."""


Item = Command | CancelIndex | DeadMan | MarketCancelAll

# Lighter accepts a resting order's expiry 5 min .. 30 days ahead of when it executes; the margin
# covers the transit between signing here and execution there (config bounds: MIN/MAX_ORDER_EXPIRY_S).
EXPIRY_MARGIN_S = 30.0


def order_lifetime(seconds: float) -> float:
    return min(max(seconds, MIN_ORDER_EXPIRY_S + EXPIRY_MARGIN_S), MAX_ORDER_EXPIRY_S - EXPIRY_MARGIN_S)


def priority(item: Item) -> TxPriority:
    if isinstance(item, (CancelOrder, CancelAll, CancelIndex, DeadMan, MarketCancelAll)):
        return TxPriority.CANCEL
    if isinstance(item, PlaceOrder) and (item.reduce_only or item.purpose is not Purpose.QUOTE):
        return TxPriority.HEDGE
    return TxPriority.QUOTE


def request_priority(chunk: list[Item]) -> TxPriority:
    """A request goes at its most urgent item's priority; the others ride along for free."""
    return min(priority(it) for it in chunk)


def quota_units(chunk: list[Item]) -> int:
    """Premium's volume quota a request consumes: its creates and modifies."""
    return sum(1 for it in chunk if isinstance(it, (PlaceOrder, ModifyOrder)))


def with_abort(it: Item) -> tuple[Item, ...]:
    """A scheduled cancel-all replaces a queued one only after an abort (error 21712 otherwise)."""
    if isinstance(it, DeadMan) and not it.abort_only:
        return (DeadMan(abort_only=True), it)
    return (it,)


def sign(signer: TxSigner, s: VenueSettings, tracker: OrderBook, item: Item, nonce: int, now: float) -> SignedTx:
    m = s.market_id
    if isinstance(item, PlaceOrder):
        if item.tif is TimeInForce.IOC:
            tif, expiry = TIF_IOC, 0
        else:
            tif = TIF_POST_ONLY if item.tif is TimeInForce.POST_ONLY else TIF_GTT
            expiry = int((now + order_lifetime(item.expiry_s or s.quote_expiry_s)) * 1000)
        return signer.sign_create(
            market=m, coi=tracker.coi(item.client_id), size=item.size, price=item.price,
            is_ask=item.side is Side.ASK, tif=tif, reduce_only=item.reduce_only, expiry_ms=expiry, nonce=nonce,
        )
    if isinstance(item, ModifyOrder):
        return signer.sign_modify(
            market=m, coi=tracker.coi(item.client_id), size=item.size, price=item.price,
            version=tracker.next_version(item.client_id), nonce=nonce,
        )
    if isinstance(item, CancelOrder):
        return signer.sign_cancel(market=m, coi=tracker.coi(item.client_id), nonce=nonce)
    if isinstance(item, CancelIndex):
        return signer.sign_cancel(market=m, coi=item.order_index, nonce=nonce)
    if isinstance(item, MarketCancelAll):
        return signer.sign_cancel_all(tif=CANCEL_ALL_IMMEDIATE, time_ms=0, nonce=nonce, market=m)
    if isinstance(item, DeadMan):
        if item.abort_only:
            return signer.sign_cancel_all(tif=CANCEL_ALL_ABORT, time_ms=0, nonce=nonce)
        return signer.sign_cancel_all(tif=CANCEL_ALL_SCHEDULED, time_ms=int((now + s.deadman_horizon_s) * 1000),
                                      nonce=nonce)
    raise TypeError(type(item).__name__)


def kinds(items: list[Item]) -> str:
    """What a rejected send carried, for the log (e.g. "CancelOrder:12,PlaceOrder:13")."""
    return ",".join(f"{type(it).__name__}:{getattr(it, 'client_id', '')}" for it in items[:10])


def chunks(items: list[Item]) -> list[list[Item]]:
    """Batches of at most MAX_BATCH, with every dead-man abort sent on its own first.

    A batch may be validated against the state before any of it applies (our emulator does, and
    Lighter's docs do not say otherwise), so an abort and the new scheduled cancel-all in one batch
    would be refused with 21712; sent apart, the abort has landed when the new one is checked.
    """
    out: list[list[Item]] = []
    cur: list[Item] = []
    for it in items:
        if isinstance(it, DeadMan) and it.abort_only:
            if cur:
                out.append(cur)
                cur = []
            out.append([it])
            continue
        cur.append(it)
        if len(cur) == MAX_BATCH:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out
