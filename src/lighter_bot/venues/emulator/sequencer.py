"""What an accepted tx does (Lighter's sequencer): nonces advance, the tx is recorded, orders are
created, modified or cancelled on the backend. A cancel or modify whose order is gone, or a modify
whose `order_version` is not above the order's, does nothing: an acked no-op, failed in the
sequencer (`tx?by=hash` status 0) and published nowhere, as on Lighter.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from lighter_bot.domain.commands import CancelAll, CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.orders import Side
from lighter_bot.venues.emulator.records import AccountState, OrderRecord, TxRecord
from lighter_bot.venues.emulator.txinfo import (
    CancelAllTx,
    CancelOrderTx,
    CreateOrderTx,
    GroupedOrdersTx,
    ModifyOrderTx,
    OrderSpec,
    Tx,
    TxHeader,
)
from lighter_bot.venues.emulator.validation import TIF_MAP, Action

if TYPE_CHECKING:
    from lighter_bot.venues.emulator.exchange import EmulatedExchange


def tx_hash(info: str) -> str:
    return hashlib.blake2b(info.encode(), digest_size=40).hexdigest()


def orders_of(tx: CreateOrderTx | GroupedOrdersTx) -> tuple[OrderSpec, ...]:
    return (tx.order,) if isinstance(tx, CreateOrderTx) else tx.orders


class Sequencer:
    def __init__(self, ex: EmulatedExchange) -> None:
        self.ex = ex

    def ack(self, h: str, actions: list[Action], remaining: int | None) -> dict[str, Any]:
        ex = self.ex
        taker = any(
            isinstance(a.tx, CreateOrderTx | GroupedOrdersTx) and any(o.time_in_force == 0 for o in orders_of(a.tx))
            for a in actions
        )
        delay_ms = (300 if taker else 200) if ex.config.tier == "standard" else (200 if taker else 0)
        return {
            "code": 200,
            "message": None,
            "tx_hash": h,
            "predicted_execution_time_ms": ex.now_ms() + delay_ms,
            "volume_quota_remaining": remaining,
        }

    def apply_all(self, actions: list[Action]) -> list[str]:
        ex = self.ex
        cmds: list[Command] = []
        hashes = []
        for a in actions:
            h = tx_hash(a.info)
            hashes.append(h)
            hd = a.tx.header
            acc = ex.accounts[hd.account_index]
            if not hd.skip_nonce:
                acc.keys[hd.api_key_index].nonce = hd.nonce + 1
            ex.txs[h] = TxRecord(
                h, a.tx_type, a.info, hd.account_index, hd.api_key_index, hd.nonce, hd.expired_at, ex.now_ms()
            )
            ex.unexecuted.append(ex.txs[h])
            cmds.extend(self.commands_for(acc, a.tx, hd, h))
        if cmds:
            ex.backend.submit(ex.sim_time(), cmds)
        return hashes

    def commands_for(self, acc: AccountState, tx: Tx, hd: TxHeader, h: str) -> list[Command]:
        ex = self.ex
        if isinstance(tx, CreateOrderTx | GroupedOrdersTx):
            return [self.new_order(acc, hd, o, h) for o in orders_of(tx)]
        if isinstance(tx, CancelOrderTx):
            rec = ex.find(acc.index, tx.index)
            if rec is None or not rec.active:
                return self.no_op(h, "order is not active")
            ex.pending_cancel[rec.internal_id] = h
            return [CancelOrder(rec.internal_id)]
        if isinstance(tx, ModifyOrderTx):
            rec = ex.find(acc.index, tx.index)
            if rec is None or not rec.active:
                return self.no_op(h, "order is not active")
            if tx.order_version:
                if tx.order_version <= rec.order_version:
                    return self.no_op(h, "order version is not above the order's")
                rec.order_version = tx.order_version
            else:
                rec.order_version += 1
            ex.pending_tx[rec.internal_id] = h
            return [ModifyOrder(rec.internal_id, tx.price, tx.base_amount)]
        if isinstance(tx, CancelAllTx):
            if tx.time_in_force == 1:
                acc.cancel_all_time = tx.time_ms
                ex.account_feed.dirty_accounts.add(acc.index)
                ex.txs[h].status = 2
                return []
            if tx.time_in_force == 2:
                acc.cancel_all_time = 0
                ex.account_feed.dirty_accounts.add(acc.index)
                ex.txs[h].status = 2
                return []
            if tx.market_index is not None and tx.market_index != ex.market.market_id:
                return []
            return self.cancel_all_commands(acc.index, None)
        ex.txs[h].status = 2
        return []

    def no_op(self, h: str, reason: str) -> list[Command]:
        """An accepted tx that does nothing (its target is gone, or its version is stale): the tx
        fails in the sequencer (`tx?by=hash` status 0) and nothing is published about it."""
        ex = self.ex
        ex.txs[h].status = 0
        ex.txs[h].event_info = json.dumps({"error": reason})
        return []

    def cancel_all_commands(self, account_index: int, reason: str | None) -> list[Command]:
        ex = self.ex
        mine = [r for r in ex.active.values() if r.account_index == account_index]
        for r in mine:
            if reason and r.cancel_reason is None:
                r.cancel_reason = reason
        others = any(r.account_index != account_index for r in ex.active.values())
        if not mine:
            return []
        if others:  # the backend's CancelAll would hit other accounts' orders too
            return [CancelOrder(r.internal_id) for r in mine]
        return [CancelAll()]

    def new_order(self, acc: AccountState, hd: TxHeader, o: OrderSpec, h: str) -> Command:
        ex = self.ex
        iid = ex.next_internal
        ex.next_internal += 1
        if o.is_ask:
            oidx = ex.next_ask_index
            ex.next_ask_index += 1
        else:
            oidx = ex.next_bid_index
            ex.next_bid_index += 1
        now_ms = ex.now_ms()
        tif = 0 if o.order_type == 1 else o.time_in_force
        rec = OrderRecord(
            internal_id=iid,
            account_index=acc.index,
            api_key_index=hd.api_key_index,
            market_index=o.market_index,
            order_index=oidx,
            client_order_index=o.client_order_index,
            is_ask=o.is_ask,
            order_type=o.order_type,
            tif=tif,
            reduce_only=o.reduce_only,
            price=o.price,
            initial=o.base_amount,
            remaining=o.base_amount,
            nonce=hd.nonce,
            order_expiry=o.order_expiry,
            trigger_price=o.trigger_price,
            created_ms=now_ms,
            updated_ms=now_ms,
            tx_us=now_ms * 1000,
        )
        ex.orders[iid] = rec
        ex.active[iid] = rec
        ex.by_order_index[oidx] = rec
        ex.pending_tx[iid] = h
        return PlaceOrder(
            client_id=iid,
            side=Side.ASK if o.is_ask else Side.BID,
            price=o.price,
            size=o.base_amount,
            tif=TIF_MAP[tif],
            reduce_only=o.reduce_only,
        )
