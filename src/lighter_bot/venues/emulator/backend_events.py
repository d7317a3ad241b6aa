"""The backend's events applied to the exchange's records: book and mark, public trades, and our
orders' acks, cancels, modifies and fills (with Lighter's trade records), plus the timers (order
expiries, the scheduled cancel-all). What changed is marked for the feeds to publish.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lighter_bot.domain.commands import CancelOrder, Command
from lighter_bot.domain.events import (
    BookUpdate,
    Event,
    MarketTrade,
    MarkPrice,
    ModifyRejected,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderModified,
    OrderRejected,
)
from lighter_bot.domain.orders import Role, Side
from lighter_bot.domain.position import apply_fill
from lighter_bot.venues.emulator.records import OrderRecord, TradeRecord
from lighter_bot.venues.emulator.sequencer import tx_hash
from lighter_bot.venues.emulator.txinfo import ORDER_INDEX_MIN

if TYPE_CHECKING:
    from lighter_bot.venues.emulator.exchange import EmulatedExchange

ANON_ACCOUNT = 281474976000000  # counterparties of public trades
MAX_RECENT_TRADES = 2000


class BackendEvents:
    def __init__(self, ex: EmulatedExchange) -> None:
        self.ex = ex
        self.next_trade_id = 1_000_000
        self._trade_ids: dict[str, int] = {}

    def apply(self, ev: Event) -> None:
        ex = self.ex
        if isinstance(ev, BookUpdate):
            ex.market_book = ev.book
            return
        if isinstance(ev, MarkPrice):
            ex.mark = ev.price
            return
        if isinstance(ev, MarketTrade):
            self.public_trade(ev)
            return
        if not isinstance(
            ev, OrderAccepted | OrderRejected | OrderCanceled | OrderModified | ModifyRejected | OrderFilled
        ):
            return
        rec = ex.orders.get(ev.client_id)
        if rec is None:
            return
        if isinstance(ev, OrderAccepted):
            if rec.status == "pending":
                rec.status = "open"
            self.touch(rec, ev)
        elif isinstance(ev, OrderRejected):
            rec.status = "rejected"  # the tx failed: Lighter never shows the order
            self.fail_tx(rec.internal_id, ev.reason)
        elif isinstance(ev, OrderCanceled):
            if rec.active:
                reason = rec.cancel_reason or ev.reason or "canceled"
                rec.status = reason if reason.startswith("canceled") else "canceled"
                self.touch(rec, ev)
        elif isinstance(ev, OrderModified):
            if rec.active:
                rec.price, rec.remaining = ev.price, ev.size
                rec.initial = rec.filled + ev.size
                self.touch(rec, ev)
        elif isinstance(ev, ModifyRejected):
            # A cancel or modify that landed after its order was gone: it fails in the sequencer.
            h = ex.pending_cancel.pop(rec.internal_id, None)
            if h is not None and h in ex.txs:
                ex.sequencer.no_op(h, "order is not active")
            else:
                self.fail_tx(rec.internal_id, ev.reason)
        elif isinstance(ev, OrderFilled):
            self.fill(rec, ev)
        if not rec.active:
            ex.active.pop(rec.internal_id, None)
            if isinstance(ev, OrderCanceled):
                ex.pending_cancel.pop(rec.internal_id, None)

    def ms(self, ev: Event) -> int:
        ex = self.ex
        return int(ex.wall_of(ev.ts) * 1000)

    def touch(self, rec: OrderRecord, ev: Event) -> None:
        ex = self.ex
        rec.visible = True
        rec.updated_ms = max(rec.updated_ms, self.ms(ev))
        rec.block_height = ex.height
        ex.account_feed.dirty_orders.setdefault(rec.account_index, set()).add(rec.internal_id)

    def fail_tx(self, internal_id: int, reason: str) -> None:
        ex = self.ex
        h = ex.pending_tx.get(internal_id)
        if h and h in ex.txs:
            ex.txs[h].status = 0
            ex.txs[h].event_info = json.dumps({"error": reason})

    def new_trade_id(self, key: str | None) -> int:
        if key is not None and key in self._trade_ids:
            return self._trade_ids[key]
        self.next_trade_id += 1
        if key is not None:
            self._trade_ids[key] = self.next_trade_id
        return self.next_trade_id

    def fee_units(self, fee: float, ticks: int, lots: int) -> int:
        ex = self.ex
        notional = ex.market.notional(ticks, lots)
        return round(fee / notional * 1e6) if notional > 0 else 0

    def fill(self, rec: OrderRecord, ev: OrderFilled) -> None:
        ex = self.ex
        acc = ex.accounts[rec.account_index]
        before, entry_before = acc.position, abs(acc.pnl.qty) * acc.pnl.avg_price
        if rec.status == "pending":
            rec.status = "open"
        rec.filled += ev.size
        rec.filled_quote += ev.price * ev.size
        rec.remaining = ev.remaining
        if rec.remaining <= 0 and rec.active:
            rec.status = "filled"
        self.touch(rec, ev)
        signed = ev.size * (-1 if rec.is_ask else 1)
        acc.position += signed
        acc.pnl = apply_fill(acc.pnl, ex.market.sz(signed), ex.market.px(ev.price), ev.fee)
        if acc.budget is not None:
            acc.budget.on_traded(ex.market.notional(ev.price, ev.size))  # Premium: earns volume quota
        maker = ev.role is Role.MAKER
        fee_units = self.fee_units(ev.fee, ev.price, ev.size)
        anon = ANON_ACCOUNT + (self.next_trade_id % 997)
        ts = self.ms(ev)
        h = ex.pending_tx.get(rec.internal_id, tx_hash(f"{ev.trade_id}"))
        ours_ask = rec.is_ask
        tr = TradeRecord(
            trade_id=self.new_trade_id(f"{rec.internal_id}:{ev.trade_id}"),
            market_id=ex.market.market_id,
            price=ev.price,
            size=ev.size,
            is_maker_ask=ours_ask if maker else not ours_ask,
            ask_id=rec.order_index if ours_ask else ex.next_bid_index + 7_000_000,
            bid_id=rec.order_index if not ours_ask else ex.next_ask_index + 7_000_000,
            ask_client_id=rec.client_order_index if ours_ask else 0,
            bid_client_id=rec.client_order_index if not ours_ask else 0,
            ask_account_id=rec.account_index if ours_ask else anon,
            bid_account_id=rec.account_index if not ours_ask else anon,
            taker_fee=0 if maker else fee_units,
            maker_fee=fee_units if maker else 0,
            ts_ms=ts,
            tx_us=ts * 1000,
            tx_hash=h,
            block_height=ex.height,
            taker_position_before=0 if maker else before,
            taker_entry_quote_before=0.0 if maker else entry_before,
            maker_position_before=before if maker else 0,
            maker_entry_quote_before=entry_before if maker else 0.0,
        )
        ex.fills.setdefault(acc.index, []).append(tr)
        ex.account_feed.dirty_fills.setdefault(acc.index, []).append(tr)
        ex.account_feed.dirty_accounts.add(acc.index)

    def public_trade(self, ev: MarketTrade) -> None:
        ex = self.ex
        ts = self.ms(ev)
        tid = self.new_trade_id(None)
        taker_buys = ev.taker_side is Side.BID
        tr = TradeRecord(
            trade_id=tid,
            market_id=ex.market.market_id,
            price=ev.price,
            size=ev.size,
            is_maker_ask=taker_buys,
            ask_id=ORDER_INDEX_MIN + 500_000_000 + tid,
            bid_id=2 * ORDER_INDEX_MIN + 500_000_000 + tid,
            ask_client_id=0,
            bid_client_id=0,
            ask_account_id=ANON_ACCOUNT + tid % 991,
            bid_account_id=ANON_ACCOUNT + tid % 983,
            taker_fee=0,
            maker_fee=0,
            ts_ms=ts,
            tx_us=ts * 1000,
            tx_hash=tx_hash(f"trade:{tid}"),
            block_height=ex.height,
        )
        ex.public_trades.append(tr)
        if len(ex.public_trades) > MAX_RECENT_TRADES:
            del ex.public_trades[: len(ex.public_trades) - MAX_RECENT_TRADES]
        ex.market_feed.new_trades.append(tr)

    def timers(self, wall: float) -> None:
        ex = self.ex
        now_ms = int(wall * 1000)
        cmds: list[Command] = []
        for rec in ex.active.values():
            if rec.order_expiry and rec.order_expiry <= now_ms and rec.cancel_reason is None:
                rec.cancel_reason = "canceled-expired"
                cmds.append(CancelOrder(rec.internal_id))
        for acc in ex.accounts.values():
            if acc.cancel_all_time and acc.cancel_all_time <= now_ms:
                acc.cancel_all_time = 0
                ex.account_feed.dirty_accounts.add(acc.index)
                cmds.extend(ex.sequencer.cancel_all_commands(acc.index, "canceled"))
        if cmds:
            ex.backend.submit(ex.sim_time(wall), cmds)
