"""The emulated Lighter exchange: accounts, keys, nonces and the records of orders, trades and txs, on
top of a matching backend. Synchronous; the server drives it (`step()` every tick). Its parts: tx
checks (validation.py), what accepted txs do (sequencer.py), the backend's events applied to the
records (backend_events.py), and the feeds publishing market data (market_feed.py) and account
data (account_feed.py). The request budget per account is limits.py.

Time: `wall` is the clock the bot sees (Unix seconds; tx expiries, auth tokens, payload timestamps);
the backend runs on its own time, `speed` backend seconds per wall second from the start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from lighter_bot.domain.book import BookView
from lighter_bot.domain.market import MarketSpec
from lighter_bot.engine.clock import Clock
from lighter_bot.venues.emulator.account_feed import PRIVATE_CHANNELS, AccountFeed, channel_account
from lighter_bot.venues.emulator.backend import ExchangeBackend
from lighter_bot.venues.emulator.backend_events import BackendEvents
from lighter_bot.venues.emulator.faults import FaultPlan
from lighter_bot.venues.emulator.limits import AccountLimits
from lighter_bot.venues.emulator.market_feed import ChannelArgs, MarketFeed
from lighter_bot.venues.emulator.records import AccountState, ApiKeyState, OrderRecord, TradeRecord, TxRecord
from lighter_bot.venues.emulator.sequencer import Sequencer, tx_hash
from lighter_bot.venues.emulator.settings import EmulatorConfig
from lighter_bot.venues.emulator.txinfo import ORDER_INDEX_MIN, ApiError
from lighter_bot.venues.emulator.validation import TxValidator

__all__ = ["PRIVATE_CHANNELS", "EmulatedExchange", "Publish", "channel_account", "tx_hash"]

Publish = Callable[[str, dict[str, Any]], None]
"""(subscribe-form channel e.g. "order_book/0", message) -> deliver to that channel's subscribers."""


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
        self.by_order_index: dict[int, OrderRecord] = {}
        self.active: dict[int, OrderRecord] = {}  # pending or open orders, by internal id
        self.unexecuted: list[TxRecord] = []  # accepted txs not yet executed (status 1)
        self.next_internal = 1
        self.next_ask_index = ORDER_INDEX_MIN + 1_000_000
        self.next_bid_index = 2 * ORDER_INDEX_MIN + 1_000_000
        self.txs: dict[str, TxRecord] = {}
        self.pending_tx: dict[int, str] = {}  # internal id -> hash of its last create/modify
        self.pending_cancel: dict[int, str] = {}  # internal id -> hash of a cancel not yet landed
        self.height = 1
        self.market_book = BookView((), ())
        self.mark: int | None = None
        self.public_trades: list[TradeRecord] = []
        self.fills: dict[int, list[TradeRecord]] = {}
        self.validator = TxValidator(self)
        self.sequencer = Sequencer(self)
        self.events = BackendEvents(self)
        self.market_feed = MarketFeed(self)
        self.account_feed = AccountFeed(self)
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

    def find(self, account_index: int, index: int) -> OrderRecord | None:
        if index >= ORDER_INDEX_MIN:
            rec = self.by_order_index.get(index)
            return rec if rec is not None and rec.account_index == account_index else None
        for rec in self.active.values():
            if rec.account_index == account_index and rec.client_order_index == index:
                return rec
        found = None
        for rec in self.orders.values():  # only when no active order has it (error paths)
            if rec.account_index == account_index and rec.client_order_index == index:
                found = rec
        return found

    def find_active(self, account_index: int, coi: int) -> OrderRecord | None:
        rec = self.find(account_index, coi)
        return rec if rec is not None and rec.active else None

    # -- transactions -----------------------------------------------------------------------------
    def send_tx(self, tx_type: int, tx_info: str) -> dict[str, Any]:
        actions, remaining = self.validator.decode_and_validate([tx_type], [tx_info])
        hashes = self.sequencer.apply_all(actions)
        return self.sequencer.ack(hashes[0], actions, remaining)

    def send_tx_batch(self, tx_types: Sequence[int], tx_infos: Sequence[str]) -> dict[str, Any]:
        if not tx_types or len(tx_types) != len(tx_infos):
            raise ApiError(20001, "invalid param: tx_types and tx_infos must be non-empty lists of equal length")
        if len(tx_types) > self.config.max_batch:
            raise ApiError(21514, f"maximum {self.config.max_batch} transactions allowed per batch")
        actions, remaining = self.validator.decode_and_validate(tx_types, tx_infos)
        hashes = self.sequencer.apply_all(actions)
        resp = self.sequencer.ack("", actions, remaining)
        resp["tx_hash"] = hashes
        return resp

    # -- the pace ---------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance the backend to now, apply its events, run timers, publish what changed."""
        wall = self.now()
        events = self.backend.advance(self.sim_time(wall))
        if events:
            self.height += 1
        for ev in events:
            self.events.apply(ev)
        for tx in self.unexecuted:
            if tx.status == 1:
                tx.status, tx.executed_ms, tx.block_height = 2, int(wall * 1000), self.height
        self.unexecuted = []
        self.events.timers(wall)
        self.market_feed.publish(wall)
        self.account_feed.publish()

    def fire_scheduled_cancel_all(self, account_index: int) -> None:
        """Test hook: run a queued scheduled cancel-all now (the dead-man switch firing)."""
        acc = self.account(account_index)
        if acc.cancel_all_time:
            acc.cancel_all_time = self.now_ms()
            self.step()

    # -- views (REST, tests) ----------------------------------------------------------------------
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
        return self.account_feed.account_json(account_index)

    def book(self) -> BookView:
        """The public L2 book, our resting orders in it."""
        return self.market_feed.book()

    def order_book_stats(self) -> dict[str, Any]:
        return self.market_feed.order_book_stats()

    @property
    def book_gaps(self) -> int:
        return self.market_feed.book_gaps

    def snapshot(self, channel: str) -> dict[str, Any]:
        """The `subscribed/...` reply for a subscribe-form channel (raises ApiError if unknown)."""
        ch = ChannelArgs(channel, channel.split("/"), self.market.market_id, frozenset(self.accounts))
        reply = self.market_feed.snapshot(ch) or self.account_feed.snapshot(ch)
        if reply is None:
            raise ApiError(30012, f"failed to subscribe: unknown channel {channel}")
        return reply
