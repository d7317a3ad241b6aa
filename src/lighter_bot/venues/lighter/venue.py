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

from lighter_bot.config import BotConfig, Secrets
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
from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Purpose, Side, TimeInForce
from lighter_bot.domain.request_budget import DEADMAN_REARM_S, POSITION_CHECK_S
from lighter_bot.engine.clock import Clock
from lighter_bot.errors import ConfigError, FatalVenueError, LighterBotError, RejectedError, RetryableVenueError
from lighter_bot.venues.lighter import parse
from lighter_bot.venues.lighter.auth import AuthTokens
from lighter_bot.venues.lighter.book import BookResult, LocalBook
from lighter_bot.venues.lighter.orders import ORDER_GONE_CODES, OrderBook, client_index_base
from lighter_bot.venues.lighter.ratelimit import Backoff, RequestGate, TxPriority
from lighter_bot.venues.lighter.rest import CHUNK, RestClient
from lighter_bot.venues.lighter.signer import (
    CANCEL_ALL_ABORT,
    CANCEL_ALL_IMMEDIATE,
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
STATUS_HEARTBEAT_S = 5.0
# REST position reads: the positions channel carries them while the account stream is healthy; REST
# is the fallback (every FALLBACK_POLL_S while the stream is not healthy, and to confirm a disagreement)
# and a slow safety check (POSITION_CHECK_S, domain/request_budget.py, which the core leaves room for).
FALLBACK_POLL_S = 15.0
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


@dataclass(frozen=True, slots=True)
class _MarketCancelAll:
    """Internal: Lighter's immediate cancel-all scoped to our market (one tx for every order in it)."""


_Item = Command | _CancelIndex | _DeadMan | _MarketCancelAll


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
    position_check_s: float = POSITION_CHECK_S
    token_lifetime_s: float = 3600.0  # auth tokens are minted for this long...
    token_renew_before_s: float = 900.0  # ...renewed this long before expiry, on the running connection


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
        # The one request budget: every REST call and every send (a batch once) is counted here.
        self.gate = RequestGate.for_tier(settings.tier, clock, settings.tx_per_minute)
        self.rest = RestClient(settings.base_url, self.gate)
        self.row_errors = parse.RowErrors()  # rows skipped in account frames (one bad row costs that row)
        self.tracker = OrderBook(
            client_index_base(clock.now()), settings.account_index, settings.order_grace_s, settings.position_grace_s
        )
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
        self._status_at = 0.0
        self._trades_history_marked = False
        self._position_polled_at = 0.0
        self._reconcile_at = 0.0
        self._reconcile_lost_before: float | None = None
        self._deadman_queued = False
        self._deadman_armed_at: float | None = None
        self._orphans_cancelling: dict[int, float] = {}
        self._subscribed_token: str | None = None  # the token the account channels were last subscribed with
        self._reauth_at = 0.0
        self._market_cancel_alls = 0  # immediate single-market cancel-alls sent (start, shutdown, CancelAll)
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

    @property
    def request_stats(self) -> dict[str, int]:
        """The request budget and parsing health as /metrics shows them (telemetry reads this)."""
        g = self.gate
        return {
            "requests_last_minute": g.used_last_minute(),
            "request_limit_per_minute": g.per_minute(),
            "requests": g.requests,
            "rate_limited": g.rate_limited,
            "refused_locally": g.refused,
            "bad_rows": self.row_errors.total,
        }

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
        # check_client's Go code fetches `apikeys` itself: a request Lighter counts like any other.
        wait = self.gate.rest_wait("apikeys")
        if wait > 0:
            await asyncio.sleep(wait)
        self.gate.take_rest("apikeys")
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
        self.tokens = AuthTokens(self._clock, self._signer.auth_token, self._fallback_token,
                                 lifetime_s=s.token_lifetime_s, renew_before_s=s.token_renew_before_s)
        if self._token() is None:
            raise FatalVenueError(f"no auth token: {self.tokens.last_error}")
        acct = parse.account(await self._retry("account", lambda: self.rest.account(s.account_index)), spec, s.account_index)
        self.tracker.position = acct.position.lots
        self._position_polled_at = self._clock.now()
        self._deadman_queued = acct.cancel_all_time_ms > 0
        position = self.tracker.on_exchange_position(acct.position.lots, acct.position.avg_entry_price, self._clock.now())
        await self._clear_market(only_ours=False, timeout_s=15.0)
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
        m = self.s.market_id
        subs: list[dict[str, Any]] = [
            {"type": "subscribe", "channel": f"order_book/{m}"},
            {"type": "subscribe", "channel": f"trade/{m}"},
            {"type": "subscribe", "channel": f"market_stats/{m}"},
        ]
        subs += self._account_subscriptions()
        return subs

    def _account_subscriptions(self) -> list[dict[str, Any]]:
        m, a = self.s.market_id, self.s.account_index
        tok = self._token()
        self._subscribed_token = tok
        if not tok:
            return []
        return [{"type": "subscribe", "channel": ch, "auth": tok}
                for ch in (f"account_orders/{m}/{a}", f"account_all_trades/{a}", f"account_all_positions/{a}")]

    async def _reauthenticate(self) -> None:
        """The auth token was renewed: re-authenticate the account channels on the running connection
        (Lighter stops sending account data to an expired token; a reconnect would drop the book too).
        Each channel is unsubscribed and subscribed again with the new token; its fresh snapshot
        replays recent trades (deduplicated) and lists the open orders (ours it omits are verified)."""
        if self.ws is None or not self.ws.connected:
            return
        subs = self._account_subscriptions()
        for sub in subs:
            await self.ws.send({"type": "unsubscribe", "channel": sub["channel"]})
            await self.ws.send(sub)
        log.info("account_channels_reauthenticated", channels=len(subs),
                 token_expiry=self.tokens.expiry if self.tokens is not None else None)

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
        now = self._clock.now()
        err = parse.error_frame(msg)  # `{"type":"error",...}` or `{"error":{...}}`
        if err is not None:
            code, message, ch = err
            log.warning("ws_error_frame", code=code, channel=ch or "-", message=message)
            if ch.startswith("account") or code in (30012, 20013):
                self._account_error = f"account channel error {code}"
            return
        typ = parse.frame_type(msg)
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
        errors = self.row_errors
        if snapshot or name in REQUIRED_ACCOUNT_CHANNELS:
            self._account_acks.add(name)
        if name in ("account_orders", "account_all_orders", "account_market"):
            infos = parse.orders_body(msg, spec, errors)
            for info in infos:
                events, orphan = self.tracker.on_order(info, now)
                self._emit(events)
                if orphan:
                    self._cancel_orphan(info.order_index, now)
            if snapshot and name == "account_orders":
                # A snapshot lists every open order: ours it leaves out ended while we were not
                # listening (a reconnect, a re-authentication). REST tells how.
                self.tracker.verify_missing({i.client_order_index for i in infos}, now)
        if name in ("account_all_trades", "account_trades", "account_market", "account_all"):
            trades = parse.account_trades(msg, spec, errors)
            fills = [f for t in trades for f in parse.our_fills(t, self.s.account_index)]
            if snapshot and not self._trades_history_marked:
                # The first snapshot is history already inside the position we adopted at start.
                self.tracker.mark_history([f.trade_id for f in fills])
                self._trades_history_marked = True
            else:
                for f in fills:
                    self._emit(self.tracker.on_fill(f, now))
        if name in ("account_all_positions", "account_all", "account_market"):
            # account_all_positions frames are full snapshots: a market they leave out is flat.
            pos = parse.positions_frame(msg, spec, snapshot=name == "account_all_positions", errors=errors)
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
        if isinstance(item, (CancelOrder, CancelAll, _CancelIndex, _DeadMan, _MarketCancelAll)):
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
        if isinstance(item, _MarketCancelAll):
            return [e for cid in self.tracker.live_client_ids() if self.tracker.orders[cid].cancel_sent_at is None
                    for e in self.tracker.on_cancel_failed(cid, code, reason, now)]
        return []

    def _expand(self, items: list[_Item], now: float) -> tuple[list[_Item], list[Event]]:
        out: list[_Item] = []
        events: list[Event] = []
        cancelled: set[int] = set()
        market_cancel = False
        for it in items:
            if self._closing and not isinstance(it, (_MarketCancelAll, _DeadMan)):
                if isinstance(it, PlaceOrder):
                    events.append(OrderCanceled(now, it.client_id, "venue shutting down"))
                continue  # shutdown's single-market cancel-all covers every cancel and modify
            if isinstance(it, (CancelAll, _MarketCancelAll)):
                # One tx cancels every order of ours (and any other) in this market.
                if not market_cancel:
                    market_cancel = True
                    out.append(_MarketCancelAll())
                cancelled.update(self.tracker.live_client_ids())
            elif isinstance(it, CancelOrder):
                if it.client_id in cancelled:
                    continue
                if it.client_id not in self.tracker.orders:
                    events.append(OrderCanceled(now, it.client_id, "not open"))
                    continue
                cancelled.add(it.client_id)
                out.append(it)
            elif isinstance(it, PlaceOrder) and not self.market.meets_minimums(it.price, it.size):
                # Refused here, not by the exchange: one invalid order would fail its whole batch.
                events.append(OrderRejected(now, it.client_id, 21706, "below the market minimum (checked locally)"))
            elif isinstance(it, ModifyOrder) and not self.market.meets_minimums(it.price, it.size):
                events += self.tracker.on_modify_failed(it.client_id, 21706, "below the market minimum (checked locally)", now)
            elif isinstance(it, ModifyOrder) and it.client_id not in self.tracker.orders:
                # Gone (filled or cancelled) before the engine heard of it: not a reject.
                events.append(OrderCanceled(now, it.client_id, "not open"))
            elif isinstance(it, ModifyOrder) and it.client_id in cancelled:
                continue  # being cancelled in this very send
            else:
                out.append(it)
        if market_cancel:  # the market-wide cancel makes the single ones redundant
            out = [it for it in out if not isinstance(it, CancelOrder)]
        return out, events

    def _sign(self, item: _Item, nonce: int, now: float) -> SignedTx:
        assert self._signer is not None
        m = self.s.market_id
        if isinstance(item, PlaceOrder):
            if item.tif is TimeInForce.IOC:
                tif, expiry = TIF_IOC, 0
            else:
                tif = TIF_POST_ONLY if item.tif is TimeInForce.POST_ONLY else TIF_GTT
                expiry = int((now + (item.expiry_s or self.s.quote_expiry_s)) * 1000)
            return self._signer.sign_create(
                market=m, coi=self.tracker.coi(item.client_id), size=item.size, price=item.price,
                is_ask=item.side is Side.ASK, tif=tif, reduce_only=item.reduce_only, expiry_ms=expiry, nonce=nonce,
            )
        if isinstance(item, ModifyOrder):
            return self._signer.sign_modify(
                market=m, coi=self.tracker.coi(item.client_id), size=item.size, price=item.price,
                version=self.tracker.next_version(item.client_id), nonce=nonce,
            )
        if isinstance(item, CancelOrder):
            return self._signer.sign_cancel(market=m, coi=self.tracker.coi(item.client_id), nonce=nonce)
        if isinstance(item, _CancelIndex):
            return self._signer.sign_cancel(market=m, coi=item.order_index, nonce=nonce)
        if isinstance(item, _MarketCancelAll):
            return self._signer.sign_cancel_all(tif=CANCEL_ALL_IMMEDIATE, time_ms=0, nonce=nonce, market=m)
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
            self._emit(events)
            for chunk in _chunks(todo):
                # Each chunk is ONE request (sendTx or sendTxBatch): it goes at its most urgent item's
                # priority; the others ride along for free.
                pr = min(self._priority(it) for it in chunk)
                if pr is not TxPriority.CANCEL and self.gate.cooling() > 0:
                    self._emit([e for it in chunk for e in self._fail(it, BUDGET_CODE, "rate limited: backing off", now)])
                    continue
                if pr is TxPriority.CANCEL and self.gate.cooling() > 0:
                    await asyncio.sleep(self.gate.cooling())  # cancels wait the cooldown out
                units = sum(1 for it in chunk if isinstance(it, (PlaceOrder, ModifyOrder)))
                if not self.gate.try_send(pr, units):
                    reason = "client-side request budget exhausted"
                    self._emit([e for it in chunk for e in self._fail(it, BUDGET_CODE, reason, now)])
                    continue
                await self._send_chunk(chunk, retry_nonce=True, paid=True)

    async def _resend(self, chunk: list[_Item], retry_nonce: bool) -> None:
        """A follow-up request (resend after a nonce error, a split batch): it costs a request too."""
        pr = min(self._priority(it) for it in chunk)
        units = sum(1 for it in chunk if isinstance(it, (PlaceOrder, ModifyOrder)))
        if not self.gate.try_send(pr, units):
            now = self._clock.now()
            self._emit([e for it in chunk for e in self._fail(it, BUDGET_CODE, "client-side request budget exhausted",
                                                              now)])
            return
        await self._send_chunk(chunk, retry_nonce, paid=True)

    async def _send_chunk(self, chunk: list[_Item], retry_nonce: bool, paid: bool) -> None:
        """Sign `chunk` with consecutive nonces and send it as one request (already counted: `paid`)."""
        assert paid
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
            elif isinstance(it, _MarketCancelAll):
                self._market_cancel_alls += 1
                for cid in self.tracker.live_client_ids():
                    self.tracker.on_cancel_sent(cid, now)
        assert self._signer is not None
        out = await self._signer.send([tx for _, tx in signed])
        now = self._clock.now()
        self.stats["tx_sent"] += len(signed)
        if out.kind == "ok":
            self._last_tx_ok = now
            self._unanswered = 0
            self.gate.on_answer(out.volume_quota_remaining)
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
                await self._resend(items, retry_nonce=False)
                return
        if out.kind == "rejected" and out.code in ORDER_GONE_CODES and len(items) > 1:
            # One cancel/modify of a gone order fails the whole batch and we cannot tell which:
            # send them one by one, so only the culprit is reported gone and the rest goes through.
            log.warning("batch_rejected_order_gone_splitting", code=out.code, txs=len(items))
            for it in items:
                await self._resend([it], retry_nonce=True)
            return
        deadman = any(isinstance(i, _DeadMan) for i in items)
        if out.kind == "rejected" and out.code == 21712 and deadman and not self._deadman_queued:
            # A scheduled cancel-all is already queued (an earlier run's): abort it and arm ours.
            self._deadman_queued = True
            rest = [it for it in items if not isinstance(it, _DeadMan)]
            for chunk in _chunks([_DeadMan(abort_only=True), _DeadMan(), *rest]):
                await self._resend(chunk, retry_nonce=True)
            return
        self.stats["tx_rejected"] += len(items)
        if out.kind == "rate_limited":
            self.stats["rate_limited"] += 1
            delay = self.gate.on_rate_limited(rest=False)
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
        if force or st != self._status or (st[0] and st[1] and now - self._status_at >= STATUS_HEARTBEAT_S):
            if st != self._status and st[2]:
                log.warning("venue_degraded", detail=st[2], market_data_ok=st[0], account_ok=st[1])
            elif st != self._status:
                log.info("venue_healthy")
            self._status, self._status_at = st, now
            self._emit([VenueStatus(now, st[0], st[1], st[2])])

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
        if now >= self._reconcile_at and self.rest.spare("accountOrders", TxPriority.READ):
            self._reconcile_at = now + 1.0
            await self._reconcile_overdue(now)
        priority = self._position_read_due(now)
        if priority is not None and self.rest.spare("account", priority):
            await self._poll_position(now)
        if self.ws is not None and self.ws.connected and now >= self._reauth_at:
            tok = self._token()  # renews the token when it is close to expiry
            if tok is not None and tok != self._subscribed_token:
                self._reauth_at = now + 1.0  # at most one attempt per second
                await self._reauthenticate()
        healthy = self._status is not None and self._status[0] and self._status[1]
        if (
            self.s.deadman
            and healthy
            and (self._deadman_armed_at is None or now - self._deadman_armed_at >= self.s.deadman_rearm_s)
        ):
            self._deadman_armed_at = now  # one attempt per period, success or not
            self._outbox.put_nowait([_DeadMan()])

    def _position_read_due(self, now: float) -> TxPriority | None:
        """Whether the position should be read over REST now, and how urgently. The positions channel
        carries it while the account stream is healthy; REST confirms a disagreement, stands in while
        the stream is down, and checks slowly otherwise."""
        since = now - self._position_polled_at
        mismatch = self.tracker.mismatch_since
        grace = self.s.position_grace_s
        if mismatch is not None and now - mismatch >= grace and since >= grace:
            return TxPriority.READ
        account_ok = self._status is not None and self._status[1]
        if not account_ok and since >= FALLBACK_POLL_S:
            return TxPriority.READ
        if since >= self.s.position_check_s:
            return TxPriority.OPTIONAL
        return None

    async def _poll_position(self, now: float) -> None:
        self._position_polled_at = now
        try:
            acct = parse.account(await self.rest.account(self.s.account_index), self.market, self.s.account_index)
        except (RetryableVenueError, RejectedError) as exc:
            log.warning("position_poll_failed", error=str(exc))
            return
        self._emit(self.tracker.on_exchange_position(acct.position.lots, acct.position.avg_entry_price, self._clock.now()))

    async def _reconcile_overdue(self, now: float) -> None:
        """Ask REST about orders whose placement, modify or cancel the stream has not confirmed in time
        (a lost answer, an acked no-op, a reconnect): by client order index, CHUNK per request, as many
        requests as the budget spares. An order REST cannot resolve is asked about again later and
        later (tracker.on_probed), so an acked no-op never spends the budget in a loop."""
        lost_before, self._reconcile_lost_before = self._reconcile_lost_before, None
        overdue = self.tracker.overdue(now, lost_before)
        if not overdue:
            return
        by_coi = {self.tracker.coi(t.client_id): t.client_id for t in overdue}
        cois = sorted(by_coi)
        found: dict[int, parse.OrderInfo] = {}
        asked: list[int] = []
        for i in range(0, len(cois), CHUNK):
            part = cois[i : i + CHUNK]
            if i and not self.rest.spare("accountOrders", TxPriority.READ):
                break  # the rest waits for the next round
            try:
                body = await self.rest.orders_by_client_index(self.s.account_index, part, self._token())
            except RejectedError:
                # No lookup by client index: the active orders tell which are still open.
                try:
                    body = await self.rest.active_orders(self.s.account_index, self.s.market_id, self._token())
                except (RejectedError, RetryableVenueError) as exc:
                    log.warning("reconcile_failed", error=str(exc))
                    break
                found.update({o.client_order_index: o for o in parse.orders_body(body, self.market, self.row_errors)})
                asked = cois
                break
            except RetryableVenueError as exc:
                log.warning("reconcile_failed", error=str(exc))
                for coi in part:  # asked, unanswered: not again before its backoff
                    self.tracker.on_probed(by_coi[coi], now)
                break
            found.update({o.client_order_index: o for o in parse.orders_body(body, self.market, self.row_errors)})
            asked += part
        now = self._clock.now()
        for coi in asked:
            cid = by_coi[coi]
            events, orphan = self.tracker.on_reconciled(cid, found.get(coi), now)
            self._emit(events)
            info = found.get(coi)
            if orphan and info is not None:
                self._cancel_orphan(info.order_index, now)
            self.tracker.on_probed(cid, now)  # still tracked only if REST could not settle it

    # -- stale orders, shutdown ---------------------------------------------------------------
    async def _active_orders(self) -> list[parse.OrderInfo]:
        body = await self.rest.active_orders(self.s.account_index, self.s.market_id, self._token(), max_wait=12.0)
        return [o for o in parse.orders_body(body, self.market, self.row_errors) if o.live]

    async def _clear_market(self, only_ours: bool, timeout_s: float) -> int:
        """Cancel every order in this market with ONE immediate single-market cancel-all (all of them at
        start; at shutdown too, the one-account-per-bot rule makes them ours), then confirm over REST,
        sending it again only while REST still lists orders (of ours, at shutdown).

        Returns how many were still open at the end (0 = confirmed, -1 = REST never answered)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        await self._send_items([_MarketCancelAll()])
        if only_ours:  # the account stream confirms most cancels before a REST listing could
            until = loop.time() + 3.0
            while self.tracker.orders and loop.time() < until and self.ws is not None and self.ws.connected:
                await asyncio.sleep(0.05)
        else:
            await asyncio.sleep(0.5)  # Lighter executes it after its 200-300 ms speed bump
        remaining = -1
        while loop.time() < deadline:
            try:
                live = await self._active_orders()
            except (RetryableVenueError, RejectedError) as exc:
                log.warning("active_orders_failed", error=str(exc))
                await asyncio.sleep(1.0)
                continue
            if only_ours:
                live = [o for o in live if self.tracker.ours(o.client_order_index)]
            remaining = len(live)
            if not live:
                self.tracker.orders.clear()  # whatever was in flight was sequenced before the cancel-all
                return 0
            await self._send_items([_MarketCancelAll()])
            await asyncio.sleep(1.0)
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

        Returns how many orders of ours still rest (0 = confirmed clean; -1 = could not check)."""
        if self._closed:
            return 0
        self._closing = True
        left = -1
        try:
            # Stop the sender once it has drained the queue: cancels and modifies in it are dropped
            # (the market-wide cancel-all below covers them), placements refused.
            self._outbox.put_nowait(None)
            sender = next((t for t in self._tasks if t.get_name() == "lighter-sender"), None)
            if sender is not None:
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(sender), 10.0)
            if self._signer is not None and self._spec is not None:
                left = await self._clear_market(only_ours=True, timeout_s=25.0)
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
