"""The emulated Lighter exchange: accounts, keys, nonces, tx validation, order records and the
market-data/account publications, on top of a matching backend. Synchronous; the server drives it.

Time: `wall` is the clock the bot sees (Unix seconds; tx expiries, auth tokens, payload timestamps);
the backend runs on its own time, `speed` backend seconds per wall second from the start.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import CancelAll, CancelOrder, Command, ModifyOrder, PlaceOrder
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
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Role, Side, TimeInForce
from lighter_bot.domain.position import apply_fill
from lighter_bot.engine.clock import Clock
from lighter_bot.venues.emulator import payloads as P
from lighter_bot.venues.emulator.backend import ExchangeBackend
from lighter_bot.venues.emulator.faults import FaultPlan
from lighter_bot.venues.emulator.limits import AccountLimits
from lighter_bot.venues.emulator.records import (
    AccountState,
    ApiKeyState,
    OrderRecord,
    TradeRecord,
    TxRecord,
)
from lighter_bot.venues.emulator.settings import EmulatorConfig
from lighter_bot.venues.emulator.txinfo import (
    CLIENT_INDEX_MAX,
    ORDER_INDEX_MIN,
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

Publish = Callable[[str, dict[str, Any]], None]
"""(subscribe-form channel e.g. "order_book/0", message) -> deliver to that channel's subscribers."""

ANON_ACCOUNT = 281474976000000  # counterparties of public trades
MAX_RECENT_TRADES = 2000
MAX_PRICE = 2**32 - 1
TIF_MAP = {0: TimeInForce.IOC, 1: TimeInForce.GTC, 2: TimeInForce.POST_ONLY}


def tx_hash(info: str) -> str:
    return hashlib.blake2b(info.encode(), digest_size=40).hexdigest()


@dataclass(frozen=True, slots=True)
class _Action:
    """A validated tx, ready to apply."""

    tx: Tx
    tx_type: int
    info: str


class EmulatedExchange:
    def __init__(
        self,
        backend: ExchangeBackend,
        config: EmulatorConfig,
        wall: Clock,
        faults: FaultPlan | None = None,
        publish: Publish | None = None,
        backend_start: float | None = None,
    ) -> None:
        self.backend = backend
        self.market: MarketSpec = backend.market
        self.config = config
        self._wall = wall
        self.faults = faults or FaultPlan([], config.seed)
        self.publish: Publish = publish or (lambda _c, _m: None)
        self.wall0 = wall.now()
        start = backend.next_time() if backend_start is None else backend_start
        self.sim0 = start if start is not None else 0.0
        self.accounts: dict[int, AccountState] = {}
        self.orders: dict[int, OrderRecord] = {}  # internal id -> record
        self._by_order_index: dict[int, OrderRecord] = {}
        self.active: dict[int, OrderRecord] = {}  # pending or open orders, by internal id
        self._unexecuted: list[TxRecord] = []
        self._next_internal = 1
        self._next_ask_index = ORDER_INDEX_MIN + 1_000_000
        self._next_bid_index = 2 * ORDER_INDEX_MIN + 1_000_000
        self._next_trade_id = 1_000_000
        self._trade_ids: dict[str, int] = {}
        self.txs: dict[str, TxRecord] = {}
        self._pending_tx: dict[int, str] = {}  # internal id -> hash of its last create/modify
        self._pending_cancel: dict[int, str] = {}  # internal id -> hash of a cancel not yet landed
        self.height = 1
        self.market_book = BookView((), ())
        self.mark: int | None = None
        self.public_trades: list[TradeRecord] = []
        self.fills: dict[int, list[TradeRecord]] = {}
        # published order book state (what subscribers have been told)
        self._ob_levels: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self.ob_nonce = 0
        self.ob_offset = 0
        self._ob_updated_us = 0
        self._last_top: tuple[int | None, int | None] = (None, None)
        self._last_stats_at = -1e18
        self._last_height_pub = 0
        self._new_trades: list[TradeRecord] = []
        self._dirty_orders: dict[int, set[int]] = {}  # account -> internal ids
        self._dirty_fills: dict[int, list[TradeRecord]] = {}
        self._dirty_accounts: set[int] = set()
        self.book_gaps = 0
        self.book_frozen = False
        self.step()

    # -- time -------------------------------------------------------------------------------------
    def now(self) -> float:
        return self._wall.now()

    def now_ms(self) -> int:
        return int(self._wall.now() * 1000)

    def elapsed(self) -> float:
        return self._wall.now() - self.wall0

    def sim_time(self, wall: float | None = None) -> float:
        w = self._wall.now() if wall is None else wall
        return self.sim0 + (w - self.wall0) * self.config.speed

    def wall_of(self, sim_t: float) -> float:
        return self.wall0 + (sim_t - self.sim0) / self.config.speed

    # -- accounts and keys ------------------------------------------------------------------------
    def register_key(self, account_index: int, api_key_index: int, public_key: str) -> None:
        pub = public_key[2:] if public_key.startswith("0x") else public_key
        acc = self.accounts.get(account_index)
        if acc is None:
            acc = AccountState(
                index=account_index,
                l1_address="0x" + hashlib.sha256(str(account_index).encode()).hexdigest()[:40],
                collateral0=self.config.initial_collateral,
                created_ms=self.now_ms(),
            )
            self.accounts[account_index] = acc
        acc.keys[api_key_index] = ApiKeyState(pub.lower(), self.config.initial_nonce)
        if acc.budget is None:
            acc.budget = AccountLimits(self.config.limits())

    def account(self, account_index: int) -> AccountState:
        acc = self.accounts.get(account_index)
        if acc is None:
            raise ApiError(21100, "account not found")
        return acc

    def key_registered(self, account_index: int, api_key_index: int) -> bool:
        acc = self.accounts.get(account_index)
        return acc is not None and api_key_index in acc.keys

    def next_nonce(self, account_index: int, api_key_index: int) -> int:
        acc = self.account(account_index)
        key = acc.keys.get(api_key_index)
        if key is None:
            raise ApiError(21136, "api key not found")
        return key.nonce

    def api_keys(self, account_index: int, api_key_index: int | None) -> list[dict[str, Any]]:
        acc = self.account(account_index)
        return [
            {
                "account_index": account_index,
                "api_key_index": k,
                "nonce": s.nonce,
                "public_key": s.public_key,
                "transaction_time": 0,
            }
            for k, s in sorted(acc.keys.items())
            if api_key_index in (None, 255, k)
        ]

    def charge_rest(self, account_index: int | None, endpoint: str) -> None:
        """Count a REST request against its account's budget (HTTP 429 / 23000 beyond it); requests that
        name no known account are not metered."""
        acc = self.accounts.get(account_index) if account_index is not None else None
        if acc is not None and acc.budget is not None:
            acc.budget.charge_rest(self.now(), endpoint)

    def _check_header(self, h: TxHeader, expected_nonce: int) -> AccountState:
        acc = self.account(h.account_index)
        if h.api_key_index not in acc.keys:
            raise ApiError(21136, "api key not found for this account")
        if h.expired_at <= self.now_ms():
            raise ApiError(21711, "transaction expired (ExpiredAt is in the past)")
        if not h.skip_nonce and h.nonce != expected_nonce:
            raise ApiError(21104, "invalid nonce")
        return acc

    def _check_order(self, acc: AccountState, o: OrderSpec, taken: set[int]) -> None:
        m = self.market
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
        now_ms = self.now_ms()
        cfg = self.config
        if o.time_in_force == 0:
            if o.order_expiry != 0:
                raise ApiError(21711, "invalid order expiry")
        elif not now_ms + cfg.order_expiry_min_s * 1000 <= o.order_expiry <= now_ms + cfg.order_expiry_max_s * 1000:
            # Lighter: GTT / post-only orders expire 5 minutes to 30 days ahead (MinOrderExpiryPeriod).
            raise ApiError(21711, "invalid order expiry")
        if not 0 <= o.client_order_index <= CLIENT_INDEX_MAX:
            raise ApiError(21727, "invalid client order index")
        if o.client_order_index:
            if o.client_order_index in taken or self._find_active(acc.index, o.client_order_index) is not None:
                raise ApiError(21728, "client order index already exists")
            taken.add(o.client_order_index)

    def _find(self, account_index: int, index: int) -> OrderRecord | None:
        if index >= ORDER_INDEX_MIN:
            rec = self._by_order_index.get(index)
            return rec if rec is not None and rec.account_index == account_index else None
        for rec in self.active.values():
            if rec.account_index == account_index and rec.client_order_index == index:
                return rec
        found = None
        for rec in self.orders.values():  # only when no active order has it (error paths)
            if rec.account_index == account_index and rec.client_order_index == index:
                found = rec
        return found

    def _find_active(self, account_index: int, coi: int) -> OrderRecord | None:
        rec = self._find(account_index, coi)
        return rec if rec is not None and rec.active else None

    def _check_target(self, acc: AccountState, market_index: int, index: int) -> OrderRecord | None:
        """The order a cancel / modify names, if it is still active. A gone or unknown one is NOT an
        error: Lighter accepts the tx (200 + hash) and it does nothing (an "acked no-op"); the outcome
        shows only on the account stream (the order's fill or cancel, reported when it happened)."""
        if market_index != self.market.market_id:
            raise ApiError(21605, f"invalid market index {market_index}")
        if index <= 0:
            raise ApiError(21700, "invalid order index")
        rec = self._find(acc.index, index)
        return rec if rec is not None and rec.active else None

    def _validate(self, tx: Tx, expected_nonce: int, taken: set[int]) -> None:
        acc = self._check_header(tx.header, expected_nonce)
        if isinstance(tx, CreateOrderTx):
            self._check_order(acc, tx.order, taken)
        elif isinstance(tx, GroupedOrdersTx):
            for o in tx.orders:
                self._check_order(acc, o, taken)
        elif isinstance(tx, CancelOrderTx):
            self._check_target(acc, tx.market_index, tx.index)
        elif isinstance(tx, ModifyOrderTx):
            rec = self._check_target(acc, tx.market_index, tx.index)
            if not 1 <= tx.base_amount <= CLIENT_INDEX_MAX:
                raise ApiError(21701, "invalid base amount")
            if not 1 <= tx.price <= MAX_PRICE:
                raise ApiError(21702, "invalid price")
            if not self.market.meets_minimums(tx.price, tx.base_amount) and (rec is None or rec.order_type == 0):
                raise ApiError(21706, "invalid order base or quote amount")
        elif isinstance(tx, CancelAllTx):
            self._check_cancel_all(acc, tx)

    def _check_cancel_all(self, acc: AccountState, tx: CancelAllTx) -> None:
        if tx.time_in_force == 0 and tx.time_ms != 0:
            raise ApiError(21714, "invalid cancel all time")
        if tx.time_in_force == 1:
            if tx.market_index is not None:
                raise ApiError(21713, "cancel all for a market index can't be scheduled")
            delay = tx.time_ms / 1000.0 - self.now()
            if not self.config.cancel_all_min_delay_s <= delay <= self.config.cancel_all_max_delay_s:
                raise ApiError(21714, "invalid cancel all time")
            if acc.cancel_all_time:
                raise ApiError(21712, "account has a queued cancel all orders request")

    def _decode_and_validate(self, types: Sequence[int], infos: Sequence[str]) -> tuple[list[_Action], int | None]:
        txs = [decode_tx(t, i) for t, i in zip(types, infos, strict=True)]
        first = txs[0].header
        acc = self.account(first.account_index)
        if any(
            t.header.account_index != first.account_index or t.header.api_key_index != first.api_key_index for t in txs
        ):
            raise ApiError(21121, "all transactions in a batch must use the same account and api key")
        assert acc.budget is not None
        remaining = acc.budget.charge_send(self.now(), list(types))  # one request, however many txs
        key = acc.keys.get(first.api_key_index)
        expected = key.nonce if key is not None else 0
        taken: set[int] = set()
        for i, tx in enumerate(txs):
            if i and not tx.header.skip_nonce and tx.header.nonce <= txs[i - 1].header.nonce:
                raise ApiError(21105, "batch nonces must be increasing")
            self._validate(tx, expected, taken)
            if not tx.header.skip_nonce:
                expected += 1
        return [_Action(tx, t, i) for tx, t, i in zip(txs, types, infos, strict=True)], remaining

    def send_tx(self, tx_type: int, tx_info: str) -> dict[str, Any]:
        actions, remaining = self._decode_and_validate([tx_type], [tx_info])
        hashes = self._apply_all(actions)
        return self._ack(hashes[0], actions, remaining)

    def send_tx_batch(self, tx_types: Sequence[int], tx_infos: Sequence[str]) -> dict[str, Any]:
        if not tx_types or len(tx_types) != len(tx_infos):
            raise ApiError(20001, "invalid param: tx_types and tx_infos must be non-empty lists of equal length")
        if len(tx_types) > self.config.max_batch:
            raise ApiError(21514, f"maximum {self.config.max_batch} transactions allowed per batch")
        actions, remaining = self._decode_and_validate(tx_types, tx_infos)
        hashes = self._apply_all(actions)
        resp = self._ack("", actions, remaining)
        resp["tx_hash"] = hashes
        return resp

    def _ack(self, h: str, actions: list[_Action], remaining: int | None) -> dict[str, Any]:
        taker = any(
            isinstance(a.tx, CreateOrderTx | GroupedOrdersTx) and any(o.time_in_force == 0 for o in _orders_of(a.tx))
            for a in actions
        )
        delay_ms = (300 if taker else 200) if self.config.tier == "standard" else (200 if taker else 0)
        return {
            "code": 200,
            "message": None,
            "tx_hash": h,
            "predicted_execution_time_ms": self.now_ms() + delay_ms,
            "volume_quota_remaining": remaining,
        }

    def _apply_all(self, actions: list[_Action]) -> list[str]:
        cmds: list[Command] = []
        hashes = []
        for a in actions:
            h = tx_hash(a.info)
            hashes.append(h)
            hd = a.tx.header
            acc = self.accounts[hd.account_index]
            if not hd.skip_nonce:
                acc.keys[hd.api_key_index].nonce = hd.nonce + 1
            self.txs[h] = TxRecord(
                h, a.tx_type, a.info, hd.account_index, hd.api_key_index, hd.nonce, hd.expired_at, self.now_ms()
            )
            self._unexecuted.append(self.txs[h])
            cmds.extend(self._commands_for(acc, a.tx, hd, h))
        if cmds:
            self.backend.submit(self.sim_time(), cmds)
        return hashes

    def _commands_for(self, acc: AccountState, tx: Tx, hd: TxHeader, h: str) -> list[Command]:
        if isinstance(tx, CreateOrderTx | GroupedOrdersTx):
            return [self._new_order(acc, hd, o, h) for o in _orders_of(tx)]
        if isinstance(tx, CancelOrderTx):
            rec = self._find(acc.index, tx.index)
            if rec is None or not rec.active:
                return self._no_op(h, "order is not active")
            self._pending_cancel[rec.internal_id] = h
            return [CancelOrder(rec.internal_id)]
        if isinstance(tx, ModifyOrderTx):
            rec = self._find(acc.index, tx.index)
            if rec is None or not rec.active:
                return self._no_op(h, "order is not active")
            if tx.order_version:
                if tx.order_version <= rec.order_version:
                    return self._no_op(h, "order version is not above the order's")
                rec.order_version = tx.order_version
            else:
                rec.order_version += 1
            self._pending_tx[rec.internal_id] = h
            return [ModifyOrder(rec.internal_id, tx.price, tx.base_amount)]
        if isinstance(tx, CancelAllTx):
            if tx.time_in_force == 1:
                acc.cancel_all_time = tx.time_ms
                self._dirty_accounts.add(acc.index)
                self.txs[h].status = 2
                return []
            if tx.time_in_force == 2:
                acc.cancel_all_time = 0
                self._dirty_accounts.add(acc.index)
                self.txs[h].status = 2
                return []
            if tx.market_index is not None and tx.market_index != self.market.market_id:
                return []
            return self._cancel_all_commands(acc.index, None)
        self.txs[h].status = 2
        return []

    def _no_op(self, h: str, reason: str) -> list[Command]:
        """An accepted tx that does nothing (its target is gone, or its version is stale): the tx
        fails in the sequencer (`tx?by=hash` status 0) and nothing is published about it."""
        self.txs[h].status = 0
        self.txs[h].event_info = json.dumps({"error": reason})
        return []

    def _cancel_all_commands(self, account_index: int, reason: str | None) -> list[Command]:
        mine = [r for r in self.active.values() if r.account_index == account_index]
        for r in mine:
            if reason and r.cancel_reason is None:
                r.cancel_reason = reason
        others = any(r.account_index != account_index for r in self.active.values())
        if not mine:
            return []
        if others:  # the backend's CancelAll would hit other accounts' orders too
            return [CancelOrder(r.internal_id) for r in mine]
        return [CancelAll()]

    def _new_order(self, acc: AccountState, hd: TxHeader, o: OrderSpec, h: str) -> Command:
        iid = self._next_internal
        self._next_internal += 1
        if o.is_ask:
            oidx = self._next_ask_index
            self._next_ask_index += 1
        else:
            oidx = self._next_bid_index
            self._next_bid_index += 1
        now_ms = self.now_ms()
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
        self.orders[iid] = rec
        self.active[iid] = rec
        self._by_order_index[oidx] = rec
        self._pending_tx[iid] = h
        return PlaceOrder(
            client_id=iid,
            side=Side.ASK if o.is_ask else Side.BID,
            price=o.price,
            size=o.base_amount,
            tif=TIF_MAP[tif],
            reduce_only=o.reduce_only,
        )

    # -- backend events ---------------------------------------------------------------------------
    def step(self) -> None:
        """Advance the backend to now, apply its events, run timers, publish what changed."""
        wall = self.now()
        events = self.backend.advance(self.sim_time(wall))
        if events:
            self.height += 1
        for ev in events:
            self._on_event(ev)
        for tx in self._unexecuted:
            if tx.status == 1:
                tx.status, tx.executed_ms, tx.block_height = 2, int(wall * 1000), self.height
        self._unexecuted = []
        self._timers(wall)
        self._publish_market(wall)
        self._publish_accounts()

    def _ms(self, ev: Event) -> int:
        return int(self.wall_of(ev.ts) * 1000)

    def _touch(self, rec: OrderRecord, ev: Event) -> None:
        rec.visible = True
        rec.updated_ms = max(rec.updated_ms, self._ms(ev))
        rec.block_height = self.height
        self._dirty_orders.setdefault(rec.account_index, set()).add(rec.internal_id)

    def _on_event(self, ev: Event) -> None:
        if isinstance(ev, BookUpdate):
            self.market_book = ev.book
            return
        if isinstance(ev, MarkPrice):
            self.mark = ev.price
            return
        if isinstance(ev, MarketTrade):
            self._public_trade(ev)
            return
        if not isinstance(
            ev, OrderAccepted | OrderRejected | OrderCanceled | OrderModified | ModifyRejected | OrderFilled
        ):
            return
        rec = self.orders.get(ev.client_id)
        if rec is None:
            return
        if isinstance(ev, OrderAccepted):
            if rec.status == "pending":
                rec.status = "open"
            self._touch(rec, ev)
        elif isinstance(ev, OrderRejected):
            rec.status = "rejected"  # the tx failed: Lighter never shows the order
            self._fail_tx(rec.internal_id, ev.reason)
        elif isinstance(ev, OrderCanceled):
            if rec.active:
                reason = rec.cancel_reason or ev.reason or "canceled"
                rec.status = reason if reason.startswith("canceled") else "canceled"
                self._touch(rec, ev)
        elif isinstance(ev, OrderModified):
            if rec.active:
                rec.price, rec.remaining = ev.price, ev.size
                rec.initial = rec.filled + ev.size
                self._touch(rec, ev)
        elif isinstance(ev, ModifyRejected):
            # A cancel or modify that landed after its order was gone: it fails in the sequencer.
            h = self._pending_cancel.pop(rec.internal_id, None)

            if h is not None and h in self.txs:
                self._no_op(h, "order is not active")
            else:
                self._fail_tx(rec.internal_id, ev.reason)
        elif isinstance(ev, OrderFilled):
            self._fill(rec, ev)
        if not rec.active:
            self.active.pop(rec.internal_id, None)
            if isinstance(ev, OrderCanceled):
                self._pending_cancel.pop(rec.internal_id, None)

    def _fail_tx(self, internal_id: int, reason: str) -> None:
        h = self._pending_tx.get(internal_id)
        if h and h in self.txs:
            self.txs[h].status = 0
            self.txs[h].event_info = json.dumps({"error": reason})

    def _new_trade_id(self, key: str | None) -> int:
        if key is not None and key in self._trade_ids:
            return self._trade_ids[key]
        self._next_trade_id += 1
        if key is not None:
            self._trade_ids[key] = self._next_trade_id
        return self._next_trade_id

    def _fee_units(self, fee: float, ticks: int, lots: int) -> int:
        notional = self.market.notional(ticks, lots)
        return round(fee / notional * 1e6) if notional > 0 else 0

    def _fill(self, rec: OrderRecord, ev: OrderFilled) -> None:
        acc = self.accounts[rec.account_index]
        before, entry_before = acc.position, abs(acc.pnl.qty) * acc.pnl.avg_price
        if rec.status == "pending":
            rec.status = "open"
        rec.filled += ev.size
        rec.filled_quote += ev.price * ev.size
        rec.remaining = ev.remaining
        if rec.remaining <= 0 and rec.active:
            rec.status = "filled"
        self._touch(rec, ev)
        signed = ev.size * (-1 if rec.is_ask else 1)
        acc.position += signed
        acc.pnl = apply_fill(acc.pnl, self.market.sz(signed), self.market.px(ev.price), ev.fee)
        if acc.budget is not None:
            acc.budget.on_traded(self.market.notional(ev.price, ev.size))  # Premium: earns volume quota
        maker = ev.role is Role.MAKER
        fee_units = self._fee_units(ev.fee, ev.price, ev.size)
        anon = ANON_ACCOUNT + (self._next_trade_id % 997)
        ts = self._ms(ev)
        h = self._pending_tx.get(rec.internal_id, tx_hash(f"{ev.trade_id}"))
        ours_ask = rec.is_ask
        tr = TradeRecord(
            trade_id=self._new_trade_id(f"{rec.internal_id}:{ev.trade_id}"),
            market_id=self.market.market_id,
            price=ev.price,
            size=ev.size,
            is_maker_ask=ours_ask if maker else not ours_ask,
            ask_id=rec.order_index if ours_ask else self._next_bid_index + 7_000_000,
            bid_id=rec.order_index if not ours_ask else self._next_ask_index + 7_000_000,
            ask_client_id=rec.client_order_index if ours_ask else 0,
            bid_client_id=rec.client_order_index if not ours_ask else 0,
            ask_account_id=rec.account_index if ours_ask else anon,
            bid_account_id=rec.account_index if not ours_ask else anon,
            taker_fee=0 if maker else fee_units,
            maker_fee=fee_units if maker else 0,
            ts_ms=ts,
            tx_us=ts * 1000,
            tx_hash=h,
            block_height=self.height,
            taker_position_before=0 if maker else before,
            taker_entry_quote_before=0.0 if maker else entry_before,
            maker_position_before=before if maker else 0,
            maker_entry_quote_before=entry_before if maker else 0.0,
        )
        self.fills.setdefault(acc.index, []).append(tr)
        self._dirty_fills.setdefault(acc.index, []).append(tr)
        self._dirty_accounts.add(acc.index)

    def _public_trade(self, ev: MarketTrade) -> None:
        ts = self._ms(ev)
        tid = self._new_trade_id(None)
        taker_buys = ev.taker_side is Side.BID
        tr = TradeRecord(
            trade_id=tid,
            market_id=self.market.market_id,
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
            block_height=self.height,
        )
        self.public_trades.append(tr)
        if len(self.public_trades) > MAX_RECENT_TRADES:
            del self.public_trades[: len(self.public_trades) - MAX_RECENT_TRADES]
        self._new_trades.append(tr)

    # -- timers -----------------------------------------------------------------------------------
    def _timers(self, wall: float) -> None:
        now_ms = int(wall * 1000)
        cmds: list[Command] = []
        for rec in self.active.values():
            if rec.order_expiry and rec.order_expiry <= now_ms and rec.cancel_reason is None:
                rec.cancel_reason = "canceled-expired"
                cmds.append(CancelOrder(rec.internal_id))
        for acc in self.accounts.values():
            if acc.cancel_all_time and acc.cancel_all_time <= now_ms:
                acc.cancel_all_time = 0
                self._dirty_accounts.add(acc.index)
                cmds.extend(self._cancel_all_commands(acc.index, "canceled"))
        if cmds:
            self.backend.submit(self.sim_time(wall), cmds)

    def fire_scheduled_cancel_all(self, account_index: int) -> None:
        """Test hook: run a queued scheduled cancel-all now (the dead-man switch firing)."""
        acc = self.account(account_index)
        if acc.cancel_all_time:
            acc.cancel_all_time = self.now_ms()
            self.step()

    # -- publications -----------------------------------------------------------------------------
    def visible_levels(self) -> tuple[dict[int, int], dict[int, int]]:
        """Current L2 levels (bids, asks): the market's book plus our resting orders."""
        bids = dict(self.market_book.bids)
        asks = dict(self.market_book.asks)
        if self.config.show_own_orders:
            for r in self.active.values():
                if r.status == "open" and r.visible and r.remaining > 0 and r.tif != 0:
                    side = asks if r.is_ask else bids
                    side[r.price] = side.get(r.price, 0) + r.remaining
        return bids, asks

    def book(self) -> BookView:
        bids, asks = self.visible_levels()
        return BookView(tuple(sorted(bids.items(), reverse=True)), tuple(sorted(asks.items())))

    def _levels_json(self, levels: dict[int, int], descending: bool) -> list[dict[str, str]]:
        m = self.market
        return [{"price": P.px(m, p), "size": P.sz(m, s)} for p, s in sorted(levels.items(), reverse=descending)]

    def _publish_market(self, wall: float) -> None:
        m = self.market
        t = wall - self.wall0
        now_ms = int(wall * 1000)
        self.book_frozen = self.faults.active("frozen_book", t)
        if not self.book_frozen:
            bids, asks = self.visible_levels()
            diff: list[dict[int, int]] = []
            changes = 0
            for new, old in ((bids, self._ob_levels[0]), (asks, self._ob_levels[1])):
                d = {p: s for p, s in new.items() if old.get(p) != s}
                d.update({p: 0 for p in old if p not in new})
                diff.append(d)
                changes += len(d)
            if changes:
                begin = self.ob_nonce
                self.ob_nonce += changes
                self.ob_offset += 1 + changes % 3
                self._ob_updated_us = now_ms * 1000
                self._ob_levels = (bids, asks)
                gap = self.faults.chance("book_gap", t) or self.faults.fired("book_gap", t) is not None
                if gap:
                    self.book_gaps += 1
                else:
                    ob = {
                        "code": 0,
                        "asks": self._levels_json(diff[1], False),
                        "bids": self._levels_json(diff[0], True),
                        "offset": self.ob_offset,
                        "nonce": self.ob_nonce,
                        "last_updated_at": self._ob_updated_us,
                        "begin_nonce": begin,
                    }
                    self.publish(
                        f"order_book/{m.market_id}",
                        {
                            "channel": f"order_book:{m.market_id}",
                            "last_updated_at": self._ob_updated_us,
                            "offset": self.ob_offset,
                            "order_book": ob,
                            "timestamp": now_ms,
                            "type": "update/order_book",
                        },
                    )
                top = (max(bids) if bids else None, min(asks) if asks else None)
                if top != self._last_top:
                    self._last_top = top
                    self.publish(f"ticker/{m.market_id}", self._ticker("update/ticker", now_ms))
        if self._new_trades:
            self.publish(
                f"trade/{m.market_id}",
                {
                    "channel": f"trade:{m.market_id}",
                    "liquidation_trades": [],
                    "nonce": self.ob_nonce,
                    "trades": [P.trade_json(m, tr) for tr in self._new_trades],
                    "type": "update/trade",
                },
            )
            self._new_trades = []
        if wall - self._last_stats_at >= self.config.market_stats_interval_s:
            self._last_stats_at = wall
            stats = self.market_stats_json()
            self.publish(
                f"market_stats/{m.market_id}",
                {
                    "channel": f"market_stats:{m.market_id}",
                    "market_stats": stats,
                    "timestamp": now_ms,
                    "type": "update/market_stats",
                },
            )
            self.publish(
                "market_stats/all",
                {
                    "channel": "market_stats:all",
                    "market_stats": {str(m.market_id): stats},
                    "timestamp": now_ms,
                    "type": "update/market_stats",
                },
            )
            if self.height != self._last_height_pub:
                self._last_height_pub = self.height
                self.publish(
                    "height", {"channel": "height", "height": self.height, "timestamp": now_ms, "type": "update/height"}
                )

    def _ticker(self, typ: str, now_ms: int) -> dict[str, Any]:
        m = self.market
        bids, asks = self._ob_levels
        bb = max(bids) if bids else None
        ba = min(asks) if asks else None

        def lvl(p: int | None, side: dict[int, int]) -> dict[str, str]:
            return {"price": P.px(m, p), "size": P.sz(m, side[p])} if p is not None else {"price": "", "size": ""}

        return {
            "channel": f"ticker:{m.market_id}",
            "last_updated_at": self._ob_updated_us,
            "nonce": self.ob_nonce,
            "ticker": {"s": m.symbol, "a": lvl(ba, asks), "b": lvl(bb, bids), "last_updated_at": self._ob_updated_us},
            "timestamp": now_ms,
            "type": typ,
        }

    def order_book_snapshot(self) -> dict[str, Any]:
        m = self.market
        bids, asks = self._ob_levels
        return {
            "channel": f"order_book:{m.market_id}",
            "last_updated_at": self._ob_updated_us,
            "offset": self.ob_offset,
            "order_book": {
                "code": 0,
                "asks": self._levels_json(asks, False),
                "bids": self._levels_json(bids, True),
                "offset": self.ob_offset,
                "nonce": self.ob_nonce,
                "last_updated_at": self._ob_updated_us,
                "begin_nonce": 0,
            },
            "timestamp": self.now_ms(),
            "type": "subscribed/order_book",
        }

    def _mid(self) -> int | None:
        b = self.market_book
        if b.best_bid is not None and b.best_ask is not None:
            return (b.best_bid + b.best_ask) // 2
        return None

    def market_stats_json(self) -> dict[str, Any]:
        m = self.market
        mid = self._mid()
        mark = self.mark if self.mark is not None else mid
        last = self.public_trades[-1].price if self.public_trades else mid
        day_ago = self.now_ms() - 86_400_000
        day = [t for t in self.public_trades if t.ts_ms >= day_ago]
        prices = [m.px(t.price) for t in day]
        first = prices[0] if prices else (m.px(last) if last else 0.0)
        oi = sum(abs(a.position) for a in self.accounts.values())
        return {
            "symbol": m.symbol,
            "market_id": m.market_id,
            "index_price": P.px(m, mark) if mark is not None else "0",
            "mark_price": P.px(m, mark) if mark is not None else "0",
            "mid_price": P.px(m, mid) if mid is not None else "0",
            "open_interest": P.quote(m.sz(oi) * (m.px(mark) if mark else 0.0)),
            "open_interest_limit": "72057594037927936.000000",
            "funding_clamp_small": "0.0500",
            "funding_clamp_big": "4.0000",
            "last_trade_price": P.px(m, last) if last is not None else "0",
            "current_funding_rate": "0.0000",
            "funding_rate": "0.0000",
            "funding_timestamp": (self.now_ms() // 3_600_000) * 3_600_000,
            "daily_base_token_volume": sum(m.sz(t.size) for t in day),
            "daily_quote_token_volume": sum(m.notional(t.price, t.size) for t in day),
            "daily_price_low": min(prices) if prices else first,
            "daily_price_high": max(prices) if prices else first,
            "daily_price_change": ((prices[-1] / first - 1) * 100) if prices and first else 0.0,
        }

    def order_book_stats(self) -> dict[str, Any]:
        s = self.market_stats_json()
        return {
            "last_trade_price": float(s["last_trade_price"]),
            "daily_trades_count": len([t for t in self.public_trades if t.ts_ms >= self.now_ms() - 86_400_000]),
            "daily_base_token_volume": s["daily_base_token_volume"],
            "daily_quote_token_volume": s["daily_quote_token_volume"],
            "daily_price_low": s["daily_price_low"],
            "daily_price_high": s["daily_price_high"],
            "daily_price_change": s["daily_price_change"],
            "open_interest": float(s["open_interest"]),
        }

    # -- account views ----------------------------------------------------------------------------
    def account_orders(self, account_index: int, active: bool, market_id: int | None = None) -> list[OrderRecord]:
        pool = self.active.values() if active else self.orders.values()
        return [
            r
            for r in pool
            if r.account_index == account_index
            and r.visible
            and (r.status == "open") == active
            and r.status != "rejected"
            and (market_id is None or r.market_index == market_id)
        ]

    def open_orders(self, account_index: int) -> list[OrderRecord]:
        """Orders resting on the book for this account (introspection for tests)."""
        return [r for r in self.active.values() if r.account_index == account_index]

    def position(self, account_index: int) -> int:
        return self.account(account_index).position

    def account_json(self, account_index: int) -> dict[str, Any]:
        acc = self.account(account_index)
        open_n = len(self.account_orders(account_index, True))
        pending = len([r for r in self.active.values() if r.account_index == account_index and r.status == "pending"])
        return P.account_json(self.market, acc, self.mark or self._mid(), open_n, pending)

    def positions_map(self, account_index: int) -> dict[str, Any]:
        acc = self.account(account_index)
        open_n = len(self.account_orders(account_index, True))
        return {
            str(self.market.market_id): P.position_json(self.market, acc, self.mark or self._mid(), open_n, ws=True)
        }

    def account_all_json(self, account_index: int, typ: str, trades: list[TradeRecord]) -> dict[str, Any]:
        m = self.market
        fills = self.fills.get(account_index, [])
        vol = sum(m.notional(t.price, t.size) for t in fills)
        return {
            "account": account_index,
            "channel": f"account_all:{account_index}",
            "daily_trades_count": len(fills),
            "daily_volume": vol,
            "weekly_trades_count": len(fills),
            "weekly_volume": vol,
            "monthly_trades_count": len(fills),
            "monthly_volume": vol,
            "total_trades_count": len(fills),
            "total_volume": vol,
            "funding_histories": {},
            "positions": self.positions_map(account_index),
            "shares": [],
            "trades": {str(m.market_id): [P.trade_json(m, t) for t in trades]},
            "assets": {str(P.USDC_ASSET_ID): P.asset_json(self.account(account_index))},
            "type": typ,
        }

    def _publish_accounts(self) -> None:
        m = self.market
        mk = str(m.market_id)
        now_ms = self.now_ms()
        accounts = set(self._dirty_orders) | set(self._dirty_fills) | self._dirty_accounts
        for a in sorted(accounts):
            ids = sorted(self._dirty_orders.get(a, ()))
            orders = [P.order_json(m, self.orders[i]) for i in ids]
            fills = self._dirty_fills.get(a, [])
            trades = [P.trade_json(m, t) for t in fills]
            if orders:
                acc_nonce = max(self.orders[i].nonce for i in ids)
                self.publish(
                    f"account_orders/{m.market_id}/{a}",
                    {
                        "type": "update/account_orders",
                        "channel": f"account_orders:{m.market_id}:{a}",
                        "account": a,
                        "nonce": acc_nonce,
                        "orders": {mk: orders},
                    },
                )
                self.publish(
                    f"account_all_orders/{a}",
                    {"type": "update/account_all_orders", "channel": f"account_all_orders:{a}", "orders": {mk: orders}},
                )
            if trades:
                self.publish(
                    f"account_all_trades/{a}",
                    {"type": "update/account_all_trades", "channel": f"account_all_trades:{a}", "trades": {mk: trades}},
                )
            if trades or a in self._dirty_accounts:
                self.publish(
                    f"account_all_positions/{a}",
                    {
                        "type": "update/account_all_positions",
                        "channel": f"account_all_positions:{a}",
                        "positions": self.positions_map(a),
                        "shares": [],
                        "last_funding_round": None,
                        "last_funding_discount": None,
                    },
                )
                self.publish(
                    f"account_all_assets/{a}",
                    {
                        "assets": {str(P.USDC_ASSET_ID): P.asset_json(self.accounts[a])},
                        "channel": f"account_all_assets:{a}",
                        "timestamp": now_ms,
                        "type": "update/account_all_assets",
                    },
                )
                self.publish(
                    f"user_stats/{a}",
                    {
                        "channel": f"user_stats:{a}",
                        "stats": P.user_stats_json(m, self.accounts[a], self.mark or self._mid()),
                        "timestamp": now_ms,
                        "type": "update/user_stats",
                    },
                )
            self.publish(f"account_all/{a}", self.account_all_json(a, "update/account_all", fills))
            self.publish(
                f"account_market/{m.market_id}/{a}",
                {
                    "type": "update/account_market",
                    "channel": f"account_market:{m.market_id}:{a}",
                    "account": a,
                    "orders": orders,
                    "position": self.positions_map(a)[mk],
                    "trades": trades,
                    "funding_history": {},
                },
            )
        self._dirty_orders.clear()
        self._dirty_fills.clear()
        self._dirty_accounts.clear()

    def snapshot(self, channel: str) -> dict[str, Any]:
        """The `subscribed/...` reply for a subscribe-form channel (raises ApiError if unknown)."""
        m = self.market
        parts = channel.split("/")
        name = parts[0]
        mk = str(m.market_id)
        now_ms = self.now_ms()

        def market_arg(i: int) -> None:
            if len(parts) <= i or parts[i] != mk:
                raise ApiError(30012, f"failed to subscribe: unknown market in {channel}")

        def account_arg(i: int) -> int:
            if len(parts) <= i or not parts[i].isdigit() or int(parts[i]) not in self.accounts:
                raise ApiError(30012, f"failed to subscribe: unknown account in {channel}")
            return int(parts[i])

        if name == "order_book" and len(parts) == 2:
            market_arg(1)
            return self.order_book_snapshot()
        if name == "ticker" and len(parts) == 2:
            market_arg(1)
            return self._ticker("subscribed/ticker", now_ms)
        if name == "trade" and len(parts) == 2:
            market_arg(1)
            return {
                "channel": f"trade:{mk}",
                "liquidation_trades": [],
                "nonce": self.ob_nonce,
                "trades": [P.trade_json(m, t) for t in self.public_trades[-50:]],
                "type": "subscribed/trade",
            }
        if name == "market_stats" and len(parts) == 2:
            stats = self.market_stats_json()
            if parts[1] == "all":
                return {
                    "channel": "market_stats:all",
                    "market_stats": {mk: stats},
                    "timestamp": now_ms,
                    "type": "subscribed/market_stats",
                }
            market_arg(1)
            stats["base_interest_rate"] = "0.0100"  # only the subscribe snapshot carries it
            return {
                "channel": f"market_stats:{mk}",
                "market_stats": stats,
                "timestamp": now_ms,
                "type": "subscribed/market_stats",
            }
        if name == "height" and len(parts) == 1:
            return {"channel": "height", "height": self.height, "timestamp": now_ms, "type": "subscribed/height"}
        if name == "account_all" and len(parts) == 2:
            a = account_arg(1)
            return self.account_all_json(a, "subscribed/account_all", self.fills.get(a, [])[-50:])
        if name == "user_stats" and len(parts) == 2:
            a = account_arg(1)
            return {
                "channel": f"user_stats:{a}",
                "stats": P.user_stats_json(m, self.accounts[a], self.mark or self._mid()),
                "timestamp": now_ms,
                "type": "subscribed/user_stats",
            }
        if name == "account_orders" and len(parts) == 3:
            market_arg(1)
            a = account_arg(2)
            orders = [P.order_json(m, r) for r in self.account_orders(a, True)]
            return {
                "type": "subscribed/account_orders",
                "channel": f"account_orders:{mk}:{a}",
                "account": a,
                "nonce": self.accounts[a].keys and max(k.nonce for k in self.accounts[a].keys.values()),
                "orders": {mk: orders},
            }
        if name == "account_all_orders" and len(parts) == 2:
            a = account_arg(1)
            orders = [P.order_json(m, r) for r in self.account_orders(a, True)]
            return {
                "type": "subscribed/account_all_orders",
                "channel": f"account_all_orders:{a}",
                "orders": {mk: orders},
            }
        if name == "account_all_trades" and len(parts) == 2:
            a = account_arg(1)
            return {
                "type": "subscribed/account_all_trades",
                "channel": f"account_all_trades:{a}",
                "trades": {mk: [P.trade_json(m, t) for t in self.fills.get(a, [])[-50:]]},
            }
        if name == "account_all_positions" and len(parts) == 2:
            a = account_arg(1)
            return {
                "type": "subscribed/account_all_positions",
                "channel": f"account_all_positions:{a}",
                "positions": self.positions_map(a),
                "shares": [],
                "last_funding_round": None,
                "last_funding_discount": None,
            }
        if name == "account_all_assets" and len(parts) == 2:
            a = account_arg(1)
            return {
                "assets": {str(P.USDC_ASSET_ID): P.asset_json(self.accounts[a])},
                "channel": f"account_all_assets:{a}",
                "timestamp": now_ms,
                "type": "subscribed/account_all_assets",
            }
        if name == "account_market" and len(parts) == 3:
            market_arg(1)
            a = account_arg(2)
            return {
                "type": "subscribed/account_market",
                "channel": f"account_market:{mk}:{a}",
                "account": a,
                "orders": [P.order_json(m, r) for r in self.account_orders(a, True)],
                "position": self.positions_map(a)[mk],
                "trades": [P.trade_json(m, t) for t in self.fills.get(a, [])[-50:]],
                "funding_history": {},
            }
        raise ApiError(30012, f"failed to subscribe: unknown channel {channel}")


PRIVATE_CHANNELS = (
    "account_orders",
    "account_all_orders",
    "account_all_trades",
    "account_all_positions",
    "account_all_assets",
    "account_market",
    "account_tx",
)


def channel_account(channel: str) -> int | None:
    """The account a private channel is about (last path part), None for public channels."""
    parts = channel.split("/")
    if parts[0] in PRIVATE_CHANNELS and parts[-1].isdigit():
        return int(parts[-1])
    return None


def _orders_of(tx: CreateOrderTx | GroupedOrdersTx) -> tuple[OrderSpec, ...]:
    return (tx.order,) if isinstance(tx, CreateOrderTx) else tx.orders
