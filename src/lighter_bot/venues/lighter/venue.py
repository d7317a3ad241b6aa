"""LighterVenue: the live Lighter exchange behind the Venue protocol (lighter-sdk for signing).

Lifecycle:
* start(): market metadata -> API key check -> auth token -> account snapshot (adopt the position)
  -> cancel this market's stale orders and confirm -> arm the dead-man switch -> WebSocket up with
  a first book snapshot. Returns PositionSnapshot, BookUpdate, VenueStatus.
* events(): BookUpdate / MarketTrade / MarkPrice from public channels, acks, cancels, modifies and
  fills from the account channels, PositionSnapshot when the exchange's position is confirmed,
  VenueStatus whenever health changes (and every few seconds while healthy).
* submit(): commands are queued and sent by one task, batched, budgeted, with explicit nonces.
* shutdown(): cancel every order of ours in this market, confirm over REST, abort the dead-man
  switch, disconnect.

Safety nets: the scheduled cancel-all (dead-man switch, horizon DEADMAN_HORIZON_S, re-armed every
DEADMAN_REARM_S while healthy), an expiry on every quote, and VenueStatus degraded on a stale or
gapped book, a lost account stream, an unusable auth token or a nonce storm.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from lighter_bot.config import MAX_ORDER_EXPIRY_S, MIN_ORDER_EXPIRY_S, BotConfig, Secrets
from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import CancelAll, CancelOrder, Command, ModifyOrder, PlaceOrder
from lighter_bot.domain.events import (
    BookUpdate,
    Event,
    MarketTrade,
    MarkPrice,
    OrderCanceled,
    OrderRejected,
    VenueStatus,
)
from lighter_bot.domain.fills import AccountFill, FillHistory
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Purpose, Side, TimeInForce
from lighter_bot.engine.clock import Clock
from lighter_bot.errors import (
    ConfigError,
    FatalVenueError,
    InstanceConflict,
    LighterBotError,
    RejectedError,
    RetryableVenueError,
)
from lighter_bot.venues.base import SHUTDOWN_BUDGET_S
from lighter_bot.venues.lighter import parse, recovery
from lighter_bot.venues.lighter.auth import AuthTokens
from lighter_bot.venues.lighter.book import BookResult, LocalBook
from lighter_bot.venues.lighter.instance_check import ForeignOrders
from lighter_bot.venues.lighter.orders import ORDER_GONE_CODES, OrderBook, client_index_base
from lighter_bot.venues.lighter.ratelimit import Backoff, CooldownGate, TxBudget, TxPriority
from lighter_bot.venues.lighter.rest import RestClient
from lighter_bot.venues.lighter.signer import (
    CANCEL_ALL_ABORT,
    CANCEL_ALL_SCHEDULED,
    MAX_BATCH,
    TIF_GTT,
    TIF_IOC,
    TIF_POST_ONLY,
    NonceKeeper,
    SdkSigner,
    SignedTx,
    TxSigner,
)
from lighter_bot.venues.lighter.ws import WsSupervisor

log = structlog.get_logger("lighter.venue")
T = TypeVar("T")

DEADMAN_HORIZON_S = 360.0  # Lighter accepts 5 min .. 15 days ahead; 6 min bounds an orphan's life
DEADMAN_REARM_S = 120.0
STATUS_HEARTBEAT_S = 5.0
POSITION_POLL_S = 15.0
ACCOUNT_ACK_GRACE_S = 5.0
NONCE_STORM_COUNT = 3
# Sends in a row that got no answer (5xx, timeout, reset) before order entry is reported as failing,
# which halts quoting until a send succeeds again. Each is also reported to the engine as code 29500.
UNANSWERED_SENDS_LIMIT = 4
UNANSWERED_CODE = 29500
# ...and for this long after the last unanswered send (a halted bot may have nothing left to send).
UNANSWERED_HOLD_S = 10.0
NONCE_STORM_WINDOW_S = 30.0
REQUIRED_ACCOUNT_CHANNELS = ("account_orders", "account_all_trades")
BUDGET_CODE = 23000  # same code as the server's rate limit: the engine backs off the same way


# Lighter accepts a resting order's expiry 5 min .. 30 days ahead of when it executes; the margin
# covers the transit between signing here and execution there (config bounds: MIN/MAX_ORDER_EXPIRY_S).
EXPIRY_MARGIN_S = 30.0


def order_lifetime(seconds: float) -> float:
    return min(max(seconds, MIN_ORDER_EXPIRY_S + EXPIRY_MARGIN_S), MAX_ORDER_EXPIRY_S - EXPIRY_MARGIN_S)


def ws_url_for(base_url: str) -> str:
    if base_url.startswith("https://"):
        return "wss://" + base_url[len("https://") :].rstrip("/") + "/stream"
    if base_url.startswith("http://"):
        return "ws://" + base_url[len("http://") :].rstrip("/") + "/stream"
    raise ConfigError([f"api.base_url ({base_url!r}) must start with http:// or https://"])


@dataclass(frozen=True, slots=True)
class _CancelIndex:
    """Internal: cancel an order by exchange order_index (stale/orphan orders)."""

    order_index: int


@dataclass(frozen=True, slots=True)
class _DeadMan:
    abort_only: bool = False


_Item = Command | _CancelIndex | _DeadMan


@dataclass
class VenueSettings:
    market_id: int
    account_index: int
    api_key_index: int
    base_url: str
    ws_url: str
    tier: str = "standard"
    tx_per_minute: int | None = None
    quote_expiry_s: float = 3600.0
    book_depth: int = 25
    book_stale_s: float = 10.0
    ws_silence_s: float = 10.0
    # How long a sent order may go unconfirmed before REST is asked about it. Lighter executes within
    # its 200-300 ms speed bump; 2 s leaves room for slow acks while a placement whose answer was lost
    # (5xx, timeout) holds its quote back for at most ~2 s. One that lands later is found as an orphan.
    order_grace_s: float = 2.0
    position_grace_s: float = 3.0
    deadman: bool = True
    deadman_horizon_s: float = DEADMAN_HORIZON_S
    deadman_rearm_s: float = DEADMAN_REARM_S
    instance_probe_s: float = 1.0  # foreign orders at start: listed again after this long


class LighterVenue:
    def __init__(
        self,
        settings: VenueSettings,
        clock: Clock,
        signer_factory: Callable[[], TxSigner],
        fallback_token: str | None = None,
        provisional_market: MarketSpec | None = None,
    ) -> None:
        self.s = settings
        self._clock = clock
        self._signer_factory = signer_factory
        self._fallback_token = fallback_token
        self._spec = provisional_market
        self._market_loaded = False
        self.rest = RestClient(settings.base_url, clock, settings.tier)
        self.budget = TxBudget.for_tier(settings.tier, clock, settings.tx_per_minute)
        self.tx_cooldown = CooldownGate(clock, base_s=1.0, cap_s=10.0)
        self.tracker = OrderBook(
            client_index_base(clock.now()), settings.account_index, settings.order_grace_s, settings.position_grace_s
        )
        self.foreign = ForeignOrders(self.tracker.base, clock.now())  # another bot on this account
        self.book = LocalBook(settings.book_depth)
        self._signer: TxSigner | None = None
        self.tokens: AuthTokens | None = None
        self.nonces = NonceKeeper(self._fetch_nonce)
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._outbox: asyncio.Queue[list[_Item] | None] = asyncio.Queue()
        self._send_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self.ws: WsSupervisor | None = None
        self._closing = False
        self._closed = False
        # health
        self._last_book_at: float | None = None
        self._book_invalid_since: float | None = None
        self._book_resubscribed_at: float | None = None
        self._ws_up_at: float | None = None
        self._account_acks: set[str] = set()
        self._account_error = ""
        self._nonce_failures: deque[float] = deque()
        self._last_tx_ok: float | None = None
        self._unanswered = 0  # sends in a row with no answer
        self._unanswered_at = 0.0
        self._status: tuple[bool, bool, str] | None = None
        self._other_bot = False
        self._status_at = 0.0
        self._trades_history_marked = False
        self._position_poll_at = 0.0
        self._reconcile_at = 0.0
        self._reconcile_lost_before: float | None = None
        self._deadman_queued = False
        self._deadman_armed_at: float | None = None
        self._orphans_cancelling: dict[int, float] = {}
        self.stats: dict[str, int] = {"gaps": 0, "reconnects": 0, "tx_sent": 0, "tx_rejected": 0, "rate_limited": 0}

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def create(cls, config: BotConfig, secrets: Secrets, clock: Clock, base_url: str | None = None) -> LighterVenue:
        missing = [
            name
            for name, val in (
                ("LIGHTER_API_PRIVATE_KEY", secrets.api_private_key),
                ("LIGHTER_ACCOUNT_INDEX", secrets.account_index),
                ("LIGHTER_API_KEY_INDEX", secrets.api_key_index),
            )
            if val is None
        ]
        if missing:
            raise ConfigError([f"environment {n} is not set (needed for --venue lighter)" for n in missing], "environment")
        assert secrets.api_private_key is not None and secrets.account_index is not None
        assert secrets.api_key_index is not None
        url = (base_url or config.api.base_url).rstrip("/")
        ws_url = config.api.ws_url if (config.api.ws_url and not base_url) else ws_url_for(url)
        settings = VenueSettings(
            market_id=config.maker.market_id,
            account_index=secrets.account_index,
            api_key_index=secrets.api_key_index,
            base_url=url,
            ws_url=ws_url,
            tier=config.api.tier,
            tx_per_minute=config.api.tx_per_minute,
            quote_expiry_s=config.maker.quote_expiry_seconds,
            book_stale_s=max(10.0, 2 * config.guard.max_book_age_seconds),
        )
        key = secrets.api_private_key
        acct, key_idx = secrets.account_index, secrets.api_key_index

        def factory() -> TxSigner:
            return SdkSigner(url, acct, key_idx, key.get_secret_value())

        fallback = secrets.ws_auth_token.get_secret_value() if secrets.ws_auth_token else None
        provisional = MarketSpec(
            market_id=config.maker.market_id,
            symbol=f"market{config.maker.market_id}",
            price_decimals=len(str(config.maker.price_scale)) - 1,
            size_decimals=len(str(config.maker.size_scale)) - 1,
            min_base_size=parse._dec(config.maker.exchange_min_size, "exchange_min_size"),
            min_quote=parse._dec(config.maker.exchange_min_notional, "exchange_min_notional"),
        )
        return cls(settings, clock, factory, fallback, provisional)

    @property
    def market(self) -> MarketSpec:
        """The exchange's market spec once start() loaded it (the config's guess before that)."""
        if self._spec is None:
            raise FatalVenueError("market metadata not loaded yet: call start() first")
        return self._spec

    def _emit(self, events: Sequence[Event]) -> None:
        for e in events:
            self._events.put_nowait(e)

    def _token(self) -> str | None:
        return self.tokens.token() if self.tokens is not None else None

    async def _fetch_nonce(self) -> int:
        return parse.next_nonce(await self.rest.next_nonce(self.s.account_index, self.s.api_key_index))

    # -- start --------------------------------------------------------------------------------
    async def _retry(self, what: str, call: Callable[[], Awaitable[T]], attempts: int = 6) -> T:
        """Startup calls ride out transient failures (5xx, 429, timeouts) with backoff."""
        backoff = Backoff(base_s=0.5, cap_s=4.0)
        for i in range(attempts):
            try:
                return await call()
            except RetryableVenueError as exc:
                if i == attempts - 1:
                    raise FatalVenueError(f"{what}: {exc} (Lighter at {self.s.base_url})") from None
                await asyncio.sleep(backoff.next_delay())
        raise AssertionError("unreachable")

    async def load_market(self) -> MarketSpec:
        """Fetch the market's spec from orderBookDetails (start() does it too if not done yet)."""
        s = self.s
        body = await self._retry("market metadata", lambda: self.rest.order_book_details(s.market_id))
        spec = parse.market_spec(body, s.market_id)
        if self._spec is not None and (
            self._spec.price_decimals != spec.price_decimals or self._spec.size_decimals != spec.size_decimals
        ):
            log.warning(
                "config_decimals_disagree",
                market=s.market_id, price_decimals=spec.price_decimals, size_decimals=spec.size_decimals,
                hint="maker.price_scale/size_scale differ from the exchange's; using the exchange's",
            )
        self._spec = spec
        self._market_loaded = True
        return spec

    async def start(self) -> list[Event]:
        spec = self._spec if self._market_loaded and self._spec is not None else await self.load_market()
        try:
            return await self._start(spec)
        except BaseException:
            await self._stop_tasks()
            await self.rest.close()
            if self._signer is not None:
                with contextlib.suppress(Exception):
                    await self._signer.close()
            raise

    async def _check_key(self) -> None:
        assert self._signer is not None
        err = await self._signer.check()
        if err and "does not match" not in err and "no api key" not in err:
            raise RetryableVenueError(err)  # the key list could not be fetched: try again
        if err:
            raise FatalVenueError(
                f"API key check failed for account {self.s.account_index} key {self.s.api_key_index}: {err} "
                "(check LIGHTER_API_PRIVATE_KEY / LIGHTER_API_KEY_INDEX)"
            )

    async def _start(self, spec: MarketSpec) -> list[Event]:
        s = self.s
        self._signer = self._signer_factory()
        await self._retry("API key check", self._check_key)
        self.tokens = AuthTokens(self._clock, self._signer.auth_token, self._fallback_token)
        if self._token() is None:
            raise FatalVenueError(f"no auth token: {self.tokens.last_error}")
        acct = parse.account(await self._retry("account", lambda: self.rest.account(s.account_index)), spec, s.account_index)
        self.tracker.position = acct.position.lots
        self._deadman_queued = acct.cancel_all_time_ms > 0
        position = self.tracker.on_exchange_position(acct.position.lots, acct.position.avg_entry_price, self._clock.now())
        self.foreign.started_at = self._clock.now()
        await self._refuse_if_another_bot()  # before we cancel (or schedule cancelling) anything
        await self._cancel_market_orders(only_ours=False, timeout_s=15.0)
        if s.deadman:
            await self._send_items([_DeadMan()])
        self._tasks.append(asyncio.create_task(self._sender(), name="lighter-sender"))
        self.ws = WsSupervisor(
            s.ws_url, self._clock, self._subscriptions, self._on_frame, self._on_ws_connection, s.ws_silence_s,
            on_connect=self._on_ws_connect,
        )
        self._tasks.append(asyncio.create_task(self.ws.run(), name="lighter-ws"))
        book = await self._first_book(15.0)
        self._tasks.append(asyncio.create_task(self._health(), name="lighter-health"))
        now = self._clock.now()
        status = VenueStatus(now, True, True, "")
        self._status, self._status_at = (True, True, ""), now
        log.info(
            "lighter_venue_up", market=s.market_id, symbol=spec.symbol, account=s.account_index,
            position_lots=acct.position.lots, client_index_base=self.tracker.base,
        )
        return [*position, BookUpdate(now, book), status]

    async def _refuse_if_another_bot(self) -> None:
        """Foreign orders resting at start: list them again after a moment; one that appeared or moved
        belongs to a live bot (venues/lighter/instance_check.py)."""
        first = await self._retry("active orders", self._active_orders)
        if not any(self.foreign.foreign(o.client_order_index) for o in first):
            return
        await asyncio.sleep(self.s.instance_probe_s)
        why = self.foreign.at_start(first, await self._retry("active orders", self._active_orders))
        if why is not None:
            raise InstanceConflict(
                f"another bot is trading account {self.s.account_index} market {self.s.market_id} on "
                f"{self.s.base_url}: {why}. Refusing to start (nothing was cancelled); stop the other bot "
                "first (docs/operations.md, 'One instance')"
            )

    async def _first_book(self, timeout_s: float) -> BookView:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            if self.book.valid:
                return self.book.view()
            await asyncio.sleep(0.05)
        await self._stop_tasks()
        raise RetryableVenueError(f"no order book snapshot for market {self.s.market_id} within {timeout_s:.0f}s")

    def _subscriptions(self) -> list[dict[str, Any]]:
        m, a = self.s.market_id, self.s.account_index
        subs: list[dict[str, Any]] = [
            {"type": "subscribe", "channel": f"order_book/{m}"},
            {"type": "subscribe", "channel": f"trade/{m}"},
            {"type": "subscribe", "channel": f"market_stats/{m}"},
        ]
        tok = self._token()
        if tok:
            for ch in (f"account_orders/{m}/{a}", f"account_all_trades/{a}", f"account_all_positions/{a}"):
                subs.append({"type": "subscribe", "channel": ch, "auth": tok})
        return subs

    def _on_ws_connect(self) -> None:
        """A new connection: every channel starts over from its snapshot."""
        self.book.invalidate()
        self._book_invalid_since = self._clock.now()
        self._account_acks.clear()
        self._account_error = ""

    def _on_ws_connection(self, up: bool, reason: str) -> None:
        now = self._clock.now()
        if up:
            self._ws_up_at = now
            # Confirmations sent while we were disconnected are lost: ask REST about every order
            # in flight at the next reconcile (<= 1 s) instead of after the grace window: the engine
            # counts them in its caps worst case until then, which held new quotes back 5 s.
            self._reconcile_lost_before = now
        else:
            self._ws_up_at = None
            self.stats["reconnects"] += 1
            self.book.invalidate()
            self._book_invalid_since = now
            self._account_acks.clear()
            self._update_status(force=True)

    # -- frames -------------------------------------------------------------------------------
    def _on_frame(self, msg: parse.Json) -> None:
        try:
            self._dispatch(msg)
        except LighterBotError as exc:
            log.error("undecodable_frame", type=parse.frame_type(msg) or "?", error=str(exc))
        except Exception:  # a frame we mishandle must not take the stream down
            log.exception("frame_handler_failed", type=parse.frame_type(msg) or "?")

    def _dispatch(self, msg: parse.Json) -> None:
        spec = self.market
        typ = parse.frame_type(msg)
        now = self._clock.now()
        if typ == "error":
            code, message = parse.error_body(msg)
            ch = str(msg.get("channel") or "")
            log.warning("ws_error_frame", code=code, channel=ch or "-", message=message)
            if ch.startswith("account") or code == 30012:
                self._account_error = f"account channel error {code}"
            return
        kind, _, name = typ.partition("/")
        snapshot = kind == "subscribed"
        if name == "order_book":
            res = self.book.apply(parse.book_frame(msg, spec))
            if res is BookResult.APPLIED:
                self._last_book_at = now
                self._book_invalid_since = None
                self._emit([BookUpdate(now, self.book.view())])
            elif res is BookResult.GAP:
                self.stats["gaps"] += 1
                self._book_invalid_since = now
                log.warning("book_nonce_gap_resubscribing", market=spec.market_id)
                self._resubscribe_book()
            return
        if name == "trade":
            if not snapshot:
                self._emit([MarketTrade(now, t.price, t.size, t.taker_side) for t in parse.trade_frame(msg, spec)])
            return
        if name == "market_stats":
            mp = parse.mark_price(msg, spec)
            if mp is not None:
                self._emit([MarkPrice(now, mp)])
            return
        if name.startswith("account"):
            self._account_frame(name, snapshot, msg, now)

    def _account_frame(self, name: str, snapshot: bool, msg: parse.Json, now: float) -> None:
        spec = self.market
        if snapshot or name in REQUIRED_ACCOUNT_CHANNELS:
            self._account_acks.add(name)
        if name in ("account_orders", "account_all_orders", "account_market"):
            for info in parse.orders_body(msg, spec):
                events, orphan = self.tracker.on_order(info, now)
                self._emit(events)
                if orphan and self.foreign.on_orphan(info, now):
                    self._update_status(force=True)  # an older bot is alive: halt, leave its orders
                elif orphan:
                    self._cancel_orphan(info.order_index, now)
        if name in ("account_all_trades", "account_trades", "account_market", "account_all"):
            fills = [f for t in parse.account_trades(msg, spec) for f in parse.our_fills(t, self.s.account_index)]
            if snapshot and not self._trades_history_marked:
                # The first snapshot is history already inside the position we adopted at start.
                self.tracker.mark_history([f.trade_id for f in fills])
                self._trades_history_marked = True
            else:
                for f in fills:
                    self._emit(self.tracker.on_fill(f, now))
        if name in ("account_all_positions", "account_all", "account_market"):
            pos = parse.positions_frame(msg, spec)
            if pos is not None:
                self._emit(self.tracker.on_exchange_position(pos.lots, pos.avg_entry_price, now))

    def _cancel_orphan(self, order_index: int, now: float) -> None:
        last = self._orphans_cancelling.get(order_index)
        if last is not None and now - last < 5.0:
            return
        self._orphans_cancelling[order_index] = now
        log.warning("cancelling_untracked_order", market=self.s.market_id, order_index=order_index)
        self._outbox.put_nowait([_CancelIndex(order_index)])

    def _resubscribe_book(self) -> None:
        if self.ws is None:
            return
        self._book_resubscribed_at = self._clock.now()
        asyncio.get_running_loop().create_task(self.ws.resubscribe(f"order_book/{self.s.market_id}"))

    # -- commands -----------------------------------------------------------------------------
    def events(self) -> AsyncIterator[Event]:
        return self._event_stream()

    async def _event_stream(self) -> AsyncIterator[Event]:
        while True:
            e = await self._events.get()
            if e is None:
                return
            yield e

    async def submit(self, commands: Sequence[Command]) -> None:
        if commands:
            self._outbox.put_nowait(list(commands))

    async def _sender(self) -> None:
        while True:
            batch = await self._outbox.get()
            if batch is None:
                return
            items = list(batch)
            while not self._outbox.empty():
                more = self._outbox.get_nowait()
                if more is None:
                    await self._send_items(items)
                    return
                items.extend(more)
            try:
                await self._send_items(items)
            except LighterBotError as exc:
                log.error("order_entry_failed", error=str(exc))

    def _priority(self, item: _Item) -> TxPriority:
        if isinstance(item, (CancelOrder, CancelAll, _CancelIndex, _DeadMan)):
            return TxPriority.CANCEL
        if isinstance(item, PlaceOrder) and (item.reduce_only or item.purpose is not Purpose.QUOTE):
            return TxPriority.HEDGE
        return TxPriority.QUOTE

    def _fail(self, item: _Item, code: int, reason: str, now: float) -> list[Event]:
        if isinstance(item, PlaceOrder):
            return self.tracker.on_place_failed(item.client_id, code, reason, now)
        if isinstance(item, ModifyOrder):
            return self.tracker.on_modify_failed(item.client_id, code, reason, now)
        if isinstance(item, CancelOrder):
            return self.tracker.on_cancel_failed(item.client_id, code, reason, now)
        return []

    def _expand(self, items: list[_Item], now: float) -> tuple[list[_Item], list[Event]]:
        out: list[_Item] = []
        events: list[Event] = []
        cancelled: set[int] = set()
        for it in items:
            if isinstance(it, CancelAll):
                for cid in self.tracker.live_client_ids():
                    if cid not in cancelled:
                        cancelled.add(cid)
                        out.append(CancelOrder(cid))
            elif isinstance(it, CancelOrder):
                if it.client_id in cancelled:
                    continue
                if it.client_id not in self.tracker.orders:
                    events.append(OrderCanceled(now, it.client_id, "not open"))
                    continue
                cancelled.add(it.client_id)
                out.append(it)
            elif isinstance(it, PlaceOrder) and self._closing:
                events.append(OrderCanceled(now, it.client_id, "venue shutting down"))
            elif isinstance(it, PlaceOrder) and not self.market.meets_minimums(it.price, it.size):
                # Refused here, not by the exchange: one invalid order would fail its whole batch.
                events.append(OrderRejected(now, it.client_id, 21706, "below the market minimum (checked locally)"))
            elif isinstance(it, ModifyOrder) and not self.market.meets_minimums(it.price, it.size):
                events += self.tracker.on_modify_failed(it.client_id, 21706, "below the market minimum (checked locally)", now)
            elif isinstance(it, ModifyOrder) and it.client_id not in self.tracker.orders:
                # Gone (filled or cancelled) before the engine heard of it: not a reject.
                events.append(OrderCanceled(now, it.client_id, "not open"))
            else:
                out.append(it)
        return out, events

    def _sign(self, item: _Item, nonce: int, now: float) -> SignedTx:
        assert self._signer is not None
        m = self.s.market_id
        if isinstance(item, PlaceOrder):
            if item.tif is TimeInForce.IOC:
                tif, expiry = TIF_IOC, 0
            else:
                tif = TIF_POST_ONLY if item.tif is TimeInForce.POST_ONLY else TIF_GTT
                expiry = int((now + order_lifetime(item.expiry_s or self.s.quote_expiry_s)) * 1000)
            return self._signer.sign_create(
                market=m, coi=self.tracker.coi(item.client_id), size=item.size, price=item.price,
                is_ask=item.side is Side.ASK, tif=tif, reduce_only=item.reduce_only, expiry_ms=expiry, nonce=nonce,
            )
        if isinstance(item, ModifyOrder):
            return self._signer.sign_modify(
                market=m, coi=self.tracker.coi(item.client_id), size=item.size, price=item.price, nonce=nonce
            )
        if isinstance(item, CancelOrder):
            return self._signer.sign_cancel(market=m, coi=self.tracker.coi(item.client_id), nonce=nonce)
        if isinstance(item, _CancelIndex):
            return self._signer.sign_cancel(market=m, coi=item.order_index, nonce=nonce)
        if isinstance(item, _DeadMan):
            if item.abort_only:
                return self._signer.sign_cancel_all(tif=CANCEL_ALL_ABORT, time_ms=0, nonce=nonce)
            return self._signer.sign_cancel_all(
                tif=CANCEL_ALL_SCHEDULED, time_ms=int((now + self.s.deadman_horizon_s) * 1000), nonce=nonce
            )
        raise TypeError(type(item).__name__)

    @staticmethod
    def _with_abort(it: _Item) -> tuple[_Item, ...]:
        if isinstance(it, _DeadMan) and not it.abort_only:
            return (_DeadMan(abort_only=True), it)
        return (it,)

    async def _send_items(self, items: list[_Item]) -> None:
        async with self._send_lock:
            now = self._clock.now()
            todo, events = self._expand(items, now)
            # A scheduled cancel-all replaces a queued one only after an abort (error 21712 otherwise).
            if self._deadman_queued:
                todo = [x for it in todo for x in self._with_abort(it)]
            ready: list[_Item] = []
            for it in todo:
                pr = self._priority(it)
                if pr is not TxPriority.CANCEL and self.tx_cooldown.remaining() > 0:
                    events += self._fail(it, BUDGET_CODE, "rate limited: backing off", now)
                elif not self.budget.try_take(pr):
                    events += self._fail(it, BUDGET_CODE, "client-side transaction budget exhausted", now)
                else:
                    ready.append(it)
            self._emit(events)
            if self.tx_cooldown.remaining() > 0 and ready:
                await asyncio.sleep(self.tx_cooldown.remaining())  # only cancels get here
            for chunk in _chunks(ready):
                await self._send_chunk(chunk, retry_nonce=True)

    async def _send_chunk(self, chunk: list[_Item], retry_nonce: bool) -> None:
        now = self._clock.now()
        try:
            first = await self.nonces.take(0)
        except LighterBotError as exc:
            self._emit([e for it in chunk for e in self._fail(it, 0, f"no nonce: {exc}", now)])
            return
        signed: list[tuple[_Item, SignedTx]] = []
        n = first
        for it in chunk:
            try:
                tx = self._sign(it, n, now)
            except (FatalVenueError, ValueError) as exc:
                self._emit(self._fail(it, 0, str(exc), now))
                continue
            signed.append((it, tx))
            n += 1
        if not signed:
            return
        await self.nonces.take(len(signed))
        for it, _ in signed:
            if isinstance(it, PlaceOrder):
                self.tracker.on_place_sent(it, now)
            elif isinstance(it, ModifyOrder):
                self.tracker.on_modify_sent(it.client_id, it.price, it.size, now)
            elif isinstance(it, CancelOrder):
                self.tracker.on_cancel_sent(it.client_id, now)
        assert self._signer is not None
        out = await self._signer.send([tx for _, tx in signed])
        now = self._clock.now()
        self.stats["tx_sent"] += len(signed)
        if out.kind == "ok":
            self._last_tx_ok = now
            self._unanswered = 0
            self.tx_cooldown.ok()
            for it, _ in signed:
                if isinstance(it, _DeadMan):
                    self._deadman_queued = not it.abort_only
                    self._deadman_armed_at = now if not it.abort_only else None
            return
        self.nonces.invalidate()  # after ANY failure the server's nonce is the only truth
        items = [it for it, _ in signed]
        if out.kind == "rejected" and out.invalid_nonce:
            self._nonce_failures.append(now)
            if retry_nonce:
                log.warning("invalid_nonce_resending", txs=len(items))
                await self._send_chunk(items, retry_nonce=False)
                return
        if out.kind == "rejected" and out.code in ORDER_GONE_CODES and len(items) > 1:
            # One cancel/modify of a gone order fails the whole batch and we cannot tell which:
            # send them one by one, so only the culprit is reported gone and the rest goes through.
            log.warning("batch_rejected_order_gone_splitting", code=out.code, txs=len(items))
            for it in items:
                await self._send_chunk([it], retry_nonce=True)
            return
        deadman = any(isinstance(i, _DeadMan) for i in items)
        if out.kind == "rejected" and out.code == 21712 and deadman and not self._deadman_queued:
            # A scheduled cancel-all is already queued (an earlier run's): abort it and arm ours.
            self._deadman_queued = True
            rest = [it for it in items if not isinstance(it, _DeadMan)]
            for chunk in _chunks([_DeadMan(abort_only=True), _DeadMan(), *rest]):
                await self._send_chunk(chunk, retry_nonce=True)
            return
        self.stats["tx_rejected"] += len(items)
        if out.kind == "rate_limited":
            self.stats["rate_limited"] += 1
            self.budget.bucket.drain()
            delay = self.tx_cooldown.hit()
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
                self._update_status()
        else:
            log.warning("send_rejected", code=out.code, message=out.message, txs=len(items), kinds=_kinds(items))
        self._emit([e for it in items for e in self._fail(it, code, out.message, now)])

    # -- health, reconciliation, dead-man switch ----------------------------------------------
    def _nonce_storm(self, now: float) -> bool:
        while self._nonce_failures and now - self._nonce_failures[0] > NONCE_STORM_WINDOW_S:
            self._nonce_failures.popleft()
        if len(self._nonce_failures) < NONCE_STORM_COUNT:
            return False
        return self._last_tx_ok is None or self._last_tx_ok < self._nonce_failures[-1]

    def health(self) -> tuple[bool, bool, str]:
        """(market data ok, account stream ok, detail)."""
        now = self._clock.now()
        problems: list[str] = []
        connected = bool(self.ws and self.ws.connected)
        if not connected:
            problems.append(f"websocket down ({self.ws.last_reason if self.ws else 'not started'})")
        elif not self.book.valid:
            connected = False
            problems.append("order book resyncing")
        elif self._last_book_at is not None and now - self._last_book_at > self.s.book_stale_s:
            connected = False
            problems.append(f"order book silent for {now - self._last_book_at:.0f}s")
        account_ok = bool(self.ws and self.ws.connected)
        if self._account_error:
            account_ok = False
            problems.append(self._account_error)
        elif account_ok and self._ws_up_at is not None and now - self._ws_up_at > ACCOUNT_ACK_GRACE_S:
            missing = [c for c in REQUIRED_ACCOUNT_CHANNELS if c not in self._account_acks]
            if missing:
                account_ok = False
                problems.append(f"account channels not confirmed: {', '.join(missing)}")
        if self.tokens is not None and not self.tokens.healthy():
            account_ok = False
            problems.append(self.tokens.last_error or "auth token unusable")
        if self._nonce_storm(now):
            account_ok = False
            problems.append("nonce storm")
        if self._unanswered >= UNANSWERED_SENDS_LIMIT and now - self._unanswered_at < UNANSWERED_HOLD_S:
            account_ok = False
            problems.append(f"order entry failing: {self._unanswered} sends in a row got no answer")
        return connected, account_ok, "; ".join(problems)

    def _update_status(self, force: bool = False) -> None:
        now = self._clock.now()
        st = self.health()
        other = self.foreign.active(now)
        if other != self._other_bot:
            self._other_bot = other
            force = True
            if other:
                log.error("another_bot_on_account", detail=self.foreign.detail, action="halted")
            else:
                log.warning("another_bot_gone", quiet_s=self.foreign.hold_s, action="resuming")
        if force or st != self._status or (st[0] and st[1] and now - self._status_at >= STATUS_HEARTBEAT_S):
            if st != self._status and st[2]:
                log.warning("venue_degraded", detail=st[2], market_data_ok=st[0], account_ok=st[1])
            elif st != self._status:
                log.info("venue_healthy")
            self._status, self._status_at = st, now
            self._emit([VenueStatus(now, st[0], st[1], st[2], other_instance=other)])

    async def _health(self) -> None:
        while not self._closing:
            await asyncio.sleep(0.25)
            try:
                await self._health_once()
            except LighterBotError as exc:
                log.warning("health_check_failed", error=str(exc))

    async def _health_once(self) -> None:
        now = self._clock.now()
        self._update_status()
        if self.ws is not None and self.ws.connected:
            stale = self._last_book_at is not None and now - self._last_book_at > self.s.book_stale_s
            if (self._book_invalid_since is not None and now - self._book_invalid_since > 2.0) or (
                stale and self._last_book_at is not None and now - self._last_book_at > 2 * self.s.book_stale_s
            ):
                self.ws.request_reconnect("order book not recovering")
                self._book_invalid_since = now
            elif stale and (self._book_resubscribed_at is None or now - self._book_resubscribed_at > self.s.book_stale_s):
                self._resubscribe_book()
        if now >= self._reconcile_at and self.rest.spare("accountOrders", keep=5):
            self._reconcile_at = now + 1.0
            await self._reconcile_overdue(now)
        mismatch = self.tracker.mismatch_since
        due = (mismatch is not None and now - mismatch >= self.s.position_grace_s) or now >= self._position_poll_at
        if due and self.rest.spare("account", keep=5):
            await self._poll_position(now)
        healthy = self._status is not None and self._status[0] and self._status[1]
        if (
            self.s.deadman
            and healthy
            and (self._deadman_armed_at is None or now - self._deadman_armed_at >= self.s.deadman_rearm_s)
        ):
            self._deadman_armed_at = now  # one attempt per period, success or not
            self._outbox.put_nowait([_DeadMan()])

    async def _poll_position(self, now: float) -> None:
        self._position_poll_at = now + POSITION_POLL_S
        try:
            acct = parse.account(await self.rest.account(self.s.account_index), self.market, self.s.account_index)
        except (RetryableVenueError, RejectedError) as exc:
            log.warning("position_poll_failed", error=str(exc))
            return
        self._emit(self.tracker.on_exchange_position(acct.position.lots, acct.position.avg_entry_price, self._clock.now()))

    async def _reconcile_overdue(self, now: float) -> None:
        lost_before, self._reconcile_lost_before = self._reconcile_lost_before, None
        overdue = self.tracker.overdue(now, lost_before)
        if not overdue:
            return
        by_coi = {self.tracker.coi(t.client_id): t.client_id for t in overdue}
        found: dict[int, parse.OrderInfo] = {}
        try:
            body = await self.rest.orders_by_client_index(self.s.account_index, sorted(by_coi), self._token())
            found = {o.client_order_index: o for o in parse.orders_body(body, self.market)}
        except (RejectedError, RetryableVenueError):
            try:
                body = await self.rest.active_orders(self.s.account_index, self.s.market_id, self._token())
            except (RejectedError, RetryableVenueError) as exc:
                log.warning("reconcile_failed", error=str(exc))
                return
            found = {o.client_order_index: o for o in parse.orders_body(body, self.market)}
        now = self._clock.now()
        for coi, cid in by_coi.items():
            events, orphan = self.tracker.on_reconciled(cid, found.get(coi), now)
            self._emit(events)
            info = found.get(coi)
            if orphan and info is not None:
                self._cancel_orphan(info.order_index, now)

    async def fills_since(self, since_ts: float) -> FillHistory:
        """Our fills in this market since `since_ts` from the trade history, then our position
        (venues/lighter/recovery.py): what the shell records of a downtime at start."""
        s = self.s
        fills: list[AccountFill] = []
        complete, note = True, ""
        if since_ts != float("inf"):  # inf: a ledger with no history to reach back to; the position only
            fills, complete, note = await self._retry("trade history", lambda: recovery.fills_since(
                self.rest, s.account_index, s.market_id, self._token(), since_ts))
        acct = parse.account(await self._retry("account", lambda: self.rest.account(s.account_index)), self.market,
                             s.account_index)
        return FillHistory(tuple(fills), complete, acct.position.lots, note)

    # -- stale orders, shutdown ---------------------------------------------------------------
    async def _active_orders(self) -> list[parse.OrderInfo]:
        body = await self.rest.active_orders(self.s.account_index, self.s.market_id, self._token(), max_wait=12.0)
        return [o for o in parse.orders_body(body, self.market) if o.live]

    async def _cancel_market_orders(self, only_ours: bool, timeout_s: float) -> int:
        """Cancel orders in this market (all of them at start; ours at shutdown) until REST shows none.

        Returns how many were still open at the end (0 = confirmed, -1 = REST never answered in time)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        remaining = -1
        while loop.time() < deadline:
            try:  # one listing may wait for the REST budget and then time out: never past the deadline
                live = await asyncio.wait_for(self._active_orders(), max(0.1, deadline - loop.time()))
            except (RetryableVenueError, RejectedError, TimeoutError) as exc:
                log.warning("active_orders_failed", error=str(exc) or type(exc).__name__)
                await asyncio.sleep(min(1.0, max(0.0, deadline - loop.time())))
                continue
            if only_ours:
                live = [o for o in live if self.tracker.ours(o.client_order_index)]
            else:
                self.foreign.note_listed(live)
            pending = [cid for cid in self.tracker.live_client_ids() if not self.tracker.orders[cid].seen]
            remaining = len(live)
            if not live and not pending:
                return 0
            items: list[_Item] = [_CancelIndex(o.order_index) for o in live]
            items += [CancelOrder(cid) for cid in pending]
            await self._send_items(items)
            for cid in pending:
                self.tracker.orders.pop(cid, None)
            await asyncio.sleep(0.5)
        if remaining < 0 and only_ours and not self.tracker.orders and self.ws is not None and self.ws.connected:
            # REST never answered (rate limited); the account stream saw every order of ours go.
            log.warning("shutdown_confirmed_by_stream_only", market=self.s.market_id)
            return 0
        return remaining

    async def _stop_tasks(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        if self.ws is not None:
            await self.ws.stop()

    async def shutdown(self) -> int:
        """Cancel our orders in this market, confirm over REST, abort the dead-man switch, disconnect.

        Returns how many orders of ours still rest (0 = confirmed clean; -1 = could not check). Every
        step is bounded so that the whole takes at most SHUTDOWN_BUDGET_S (Railway's drain)."""
        if self._closed:
            return 0
        self._closing = True
        left = -1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_BUDGET_S - 1.0  # 1 s for closing the connections
        try:
            # Let queued commands go first (they may include cancels), then stop the sender.
            self._outbox.put_nowait(None)
            sender = next((t for t in self._tasks if t.get_name() == "lighter-sender"), None)
            if sender is not None:
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(sender), max(0.0, min(4.0, deadline - loop.time())))
            if self._signer is not None and self._spec is not None:
                await self._send_items([CancelAll()])
                # The account stream confirms most cancels before a REST listing could.
                until = min(loop.time() + 3.0, deadline)
                while self.tracker.orders and loop.time() < until and self.ws is not None and self.ws.connected:
                    await asyncio.sleep(0.05)
                left = await self._cancel_market_orders(only_ours=True, timeout_s=max(0.5, deadline - loop.time()))
                if left == 0 and self.s.deadman and self._deadman_queued:
                    await self._send_items([_DeadMan(abort_only=True)])
        finally:
            await self._stop_tasks()
            await self.rest.close()
            if self._signer is not None:
                with contextlib.suppress(Exception):
                    await self._signer.close()
            self._closed = True
            self._events.put_nowait(None)
        if left == 0:
            log.info("shutdown_clean", market=self.s.market_id, resting_orders=0)
        elif left > 0:
            log.error("shutdown_orders_remain", market=self.s.market_id, resting_orders=left, deadman_armed=self._deadman_queued)
        else:
            log.error("shutdown_unconfirmed", market=self.s.market_id, deadman_armed=self._deadman_queued,
                      msg=f"could not confirm within {SHUTDOWN_BUDGET_S:g} s that no order of ours rests")
        return left


def _kinds(items: list[_Item]) -> str:
    """What a rejected send carried, for the log (e.g. "CancelOrder:12,PlaceOrder:13")."""
    return ",".join(f"{type(it).__name__.lstrip('_')}:{getattr(it, 'client_id', '')}" for it in items[:10])


def _chunks(items: list[_Item]) -> list[list[_Item]]:
    """Batches of at most MAX_BATCH, with every dead-man abort sent on its own first.

    A batch may be validated against the state before any of it applies (our emulator does, and
    Lighter's docs do not say otherwise), so an abort and the new scheduled cancel-all in one batch
    would be refused with 21712; sent apart, the abort has landed when the new one is checked.
    """
    out: list[list[_Item]] = []
    cur: list[_Item] = []
    for it in items:
        if isinstance(it, _DeadMan) and it.abort_only:
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
