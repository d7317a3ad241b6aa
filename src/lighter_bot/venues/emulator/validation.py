"""Checks of a sendTx / sendTxBatch before anything applies, in Lighter's order and with its codes
(docs/emulator.md, "Validation"). A refused tx never consumes its nonce. The request is counted in
the account's budget (limits.py) once decoded, before its txs are checked: a refused tx costs a
request, as on Lighter. A cancel or modify whose order is gone is NOT refused here (an acked no-op,
sequencer.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lighter_bot.domain.orders import TimeInForce
from lighter_bot.venues.emulator.records import AccountState, OrderRecord
from lighter_bot.venues.emulator.txinfo import (
    CLIENT_INDEX_MAX,
    ApiError,
    CancelAllTx,
    CancelOrderTx,
    CreateOrderTx,
    GroupedOrdersTx,
    ModifyOrderTx,
    OrderSpec,
    Tx,
    TxHeader,
    decode_tx,
)

if TYPE_CHECKING:
    from lighter_bot.venues.emulator.exchange import EmulatedExchange

MAX_PRICE = 2**32 - 1
TIF_MAP = {0: TimeInForce.IOC, 1: TimeInForce.GTC, 2: TimeInForce.POST_ONLY}


@dataclass(frozen=True, slots=True)
class Action:
    """A validated tx, ready to apply."""

    tx: Tx
    tx_type: int
    info: str


class TxValidator:
    def __init__(self, ex: EmulatedExchange) -> None:
        self.ex = ex

    def check_header(self, h: TxHeader, expected_nonce: int) -> AccountState:
        ex = self.ex
        acc = ex.account(h.account_index)
        if h.api_key_index not in acc.keys:
            raise ApiError(21136, "api key not found for this account")
        if h.expired_at <= ex.now_ms():
            raise ApiError(21711, "transaction expired (ExpiredAt is in the past)")
        if not h.skip_nonce and h.nonce != expected_nonce:
            raise ApiError(21104, "invalid nonce")
        return acc

    def check_order(self, acc: AccountState, o: OrderSpec, taken: set[int]) -> None:
        ex = self.ex
        m = ex.market
        if o.market_index != m.market_id:
            raise ApiError(21605, f"invalid market index {o.market_index}")
        if o.order_type not in (0, 1):
            raise ApiError(21730, "order type not supported by the emulator (limit and market only)")
        if o.time_in_force not in TIF_MAP:
            raise ApiError(21731, "invalid time in force")
        if not 1 <= o.base_amount <= CLIENT_INDEX_MAX:
            raise ApiError(21701, "invalid base amount")
        if not 1 <= o.price <= MAX_PRICE:
            raise ApiError(21702, "invalid price")
        if not m.meets_minimums(o.price, o.base_amount):
            raise ApiError(21706, "invalid order base or quote amount")
        now_ms = ex.now_ms()
        cfg = ex.config
        if o.time_in_force == 0:
            if o.order_expiry != 0:
                raise ApiError(21711, "invalid order expiry")
        elif not now_ms + cfg.order_expiry_min_s * 1000 <= o.order_expiry <= now_ms + cfg.order_expiry_max_s * 1000:
            # Lighter: GTT / post-only orders expire 5 minutes to 30 days ahead (MinOrderExpiryPeriod).
            raise ApiError(21711, "invalid order expiry")
        if not 0 <= o.client_order_index <= CLIENT_INDEX_MAX:
            raise ApiError(21727, "invalid client order index")
        if o.client_order_index:
            if o.client_order_index in taken or ex.find_active(acc.index, o.client_order_index) is not None:
                raise ApiError(21728, "client order index already exists")
            taken.add(o.client_order_index)

    def check_target(self, acc: AccountState, market_index: int, index: int) -> OrderRecord | None:
        """The order a cancel / modify names, if it is still active. A gone or unknown one is NOT an
        error: Lighter accepts the tx (200 + hash) and it does nothing (an "acked no-op"); the outcome
        shows only on the account stream (the order's fill or cancel, reported when it happened)."""
        ex = self.ex
        if market_index != ex.market.market_id:
            raise ApiError(21605, f"invalid market index {market_index}")
        if index <= 0:
            raise ApiError(21700, "invalid order index")
        rec = ex.find(acc.index, index)
        return rec if rec is not None and rec.active else None

    def validate(self, tx: Tx, expected_nonce: int, taken: set[int]) -> None:
        ex = self.ex
        acc = self.check_header(tx.header, expected_nonce)
        if isinstance(tx, CreateOrderTx):
            self.check_order(acc, tx.order, taken)
        elif isinstance(tx, GroupedOrdersTx):
            for o in tx.orders:
                self.check_order(acc, o, taken)
        elif isinstance(tx, CancelOrderTx):
            self.check_target(acc, tx.market_index, tx.index)
        elif isinstance(tx, ModifyOrderTx):
            rec = self.check_target(acc, tx.market_index, tx.index)
            if not 1 <= tx.base_amount <= CLIENT_INDEX_MAX:
                raise ApiError(21701, "invalid base amount")
            if not 1 <= tx.price <= MAX_PRICE:
                raise ApiError(21702, "invalid price")
            if not ex.market.meets_minimums(tx.price, tx.base_amount) and (rec is None or rec.order_type == 0):
                raise ApiError(21706, "invalid order base or quote amount")
        elif isinstance(tx, CancelAllTx):
            self.check_cancel_all(acc, tx)

    def check_cancel_all(self, acc: AccountState, tx: CancelAllTx) -> None:
        ex = self.ex
        if tx.time_in_force == 0 and tx.time_ms != 0:
            raise ApiError(21714, "invalid cancel all time")
        if tx.time_in_force == 1:
            if tx.market_index is not None:
                raise ApiError(21713, "cancel all for a market index can't be scheduled")
            delay = tx.time_ms / 1000.0 - ex.now()
            if not ex.config.cancel_all_min_delay_s <= delay <= ex.config.cancel_all_max_delay_s:
                raise ApiError(21714, "invalid cancel all time")
            if acc.cancel_all_time:
                raise ApiError(21712, "account has a queued cancel all orders request")

    def decode_and_validate(self, types: Sequence[int], infos: Sequence[str]) -> tuple[list[Action], int | None]:
        ex = self.ex
        txs = [decode_tx(t, i) for t, i in zip(types, infos, strict=True)]
        first = txs[0].header
        acc = ex.account(first.account_index)
        if any(
            t.header.account_index != first.account_index or t.header.api_key_index != first.api_key_index for t in txs
        ):
            raise ApiError(21121, "all transactions in a batch must use the same account and api key")
        assert acc.budget is not None
        remaining = acc.budget.charge_send(ex.now(), list(types))  # one request, however many txs
        key = acc.keys.get(first.api_key_index)
        expected = key.nonce if key is not None else 0
        taken: set[int] = set()
        for i, tx in enumerate(txs):
            if i and not tx.header.skip_nonce and tx.header.nonce <= txs[i - 1].header.nonce:
                raise ApiError(21105, "batch nonces must be increasing")
            self.validate(tx, expected, taken)
            if not tx.header.skip_nonce:
                expected += 1
        return [Action(tx, t, i) for tx, t, i in zip(txs, types, infos, strict=True)], remaining
