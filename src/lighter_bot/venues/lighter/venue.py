"""LighterVenue: the live Lighter exchange behind the Venue protocol (lighter-sdk for signing).

Lifecycle (this module; the parts it composes do the rest: entry.py sends, frames.py reads the
stream, monitor.py + reconcile.py keep health and settle what the stream cannot, clearing.py
cancels and confirms the market at start and stop):
* start(): market metadata -> API key check -> auth token -> account snapshot (adopt the position)
  -> refuse to start when another live bot trades this account and market (instance_check.py)
  -> ONE immediate cancel-all of this market, confirmed over REST -> arm the dead-man switch ->
  WebSocket up with a first book snapshot. Returns PositionSnapshot, BookUpdate, VenueStatus.
* events(): BookUpdate / MarketTrade / MarkPrice from public channels, acks, cancels, modifies and
  fills from the account channels, PositionSnapshot when the exchange's position is confirmed,
  VenueStatus whenever health changes (and every few seconds while healthy).
* submit(): commands are queued and sent by one task, batched, budgeted, with explicit nonces.
* fills_since(): our fills of a downtime from the trade history (recovery.py), for the shell.
* shutdown(): ONE immediate cancel-all of this market, confirmed by the stream and REST, abort the
  dead-man switch, disconnect.

Every REST call and every send is counted in one request gate (Lighter's budget, ratelimit.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

import structlog

from lighter_bot.config import BotConfig, Secrets
from lighter_bot.domain.book import BookView
from lighter_bot.domain.commands import Command
from lighter_bot.domain.events import BookUpdate, Event, VenueStatus
from lighter_bot.domain.fills import AccountFill, FillHistory
from lighter_bot.domain.market import MarketSpec
from lighter_bot.engine.clock import Clock
from lighter_bot.errors import ConfigError, FatalVenueError, InstanceConflict, RetryableVenueError
from lighter_bot.venues.base import SHUTDOWN_BUDGET_S
from lighter_bot.venues.lighter import clearing, parse, parse_account, parse_markets, recovery
from lighter_bot.venues.lighter.auth import AuthTokens
from lighter_bot.venues.lighter.context import VenueContext, VenueSettings, ws_url_for
from lighter_bot.venues.lighter.entry import OrderEntry
from lighter_bot.venues.lighter.frames import FrameRouter
from lighter_bot.venues.lighter.monitor import Monitor
from lighter_bot.venues.lighter.orders import OrderBook
from lighter_bot.venues.lighter.ratelimit import Backoff, RequestGate
from lighter_bot.venues.lighter.reconcile import Reconciler
from lighter_bot.venues.lighter.rest import RestClient
from lighter_bot.venues.lighter.signer import SdkSigner, TxSigner
from lighter_bot.venues.lighter.txitems import DeadMan
from lighter_bot.venues.lighter.ws import WsSupervisor

__all__ = ["LighterVenue", "VenueSettings", "ws_url_for"]

log = structlog.get_logger("lighter.venue")
T = TypeVar("T")


class LighterVenue:
    def __init__(
        self,
        settings: VenueSettings,
        clock: Clock,
        signer_factory: Callable[[], TxSigner],
        fallback_token: str | None = None,
        provisional_market: MarketSpec | None = None,
    ) -> None:
        self.ctx = ctx = VenueContext.build(settings, clock, provisional_market)
        self._signer_factory = signer_factory
        self._fallback_token = fallback_token
        self._market_loaded = False
        self.entry = OrderEntry(ctx, on_failing=lambda: self.monitor.update_status())
        self.frames = FrameRouter(ctx, self.entry.queue, on_down=lambda: self.monitor.update_status(force=True))
        self.reconciler = Reconciler(ctx, self.frames.cancel_orphan)
        self.monitor = Monitor(ctx, self.frames, self.entry, self.reconciler)
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    # -- construction ---------------------------------------------------------------------------
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

    # -- what the rest of the bot (and tests) read ----------------------------------------------
    @property
    def s(self) -> VenueSettings:
        return self.ctx.s

    @property
    def market(self) -> MarketSpec:
        """The exchange's market spec once start() loaded it (the config's guess before that)."""
        return self.ctx.market

    @property
    def rest(self) -> RestClient:
        return self.ctx.rest

    @rest.setter
    def rest(self, client: RestClient) -> None:
        self.ctx.rest = client

    @property
    def stats(self) -> dict[str, int]:
        return self.ctx.stats

    @property
    def tracker(self) -> OrderBook:
        return self.ctx.tracker

    @property
    def gate(self) -> RequestGate:
        return self.ctx.gate

    @property
    def request_stats(self) -> dict[str, int]:
        """The request budget and parsing health as /metrics shows them (telemetry reads this)."""
        g = self.ctx.gate
        return {
            "requests_last_minute": g.used_last_minute(),
            "request_limit_per_minute": g.per_minute(),
            "requests": g.requests,
            "rate_limited": g.rate_limited,
            "refused_locally": g.refused,
            "bad_rows": self.ctx.row_errors.total,
        }

    def health(self) -> tuple[bool, bool, str]:
        """(market data ok, account stream ok, detail)."""
        return self.monitor.health()

    # -- start ----------------------------------------------------------------------------------
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
        s, ctx = self.s, self.ctx
        body = await self._retry("market metadata", lambda: ctx.rest.order_book_details(s.market_id))
        spec = parse_markets.market_spec(body, s.market_id)
        old = ctx.spec
        if old is not None and (old.price_decimals != spec.price_decimals or old.size_decimals != spec.size_decimals):
            log.warning(
                "config_decimals_disagree",
                market=s.market_id, price_decimals=spec.price_decimals, size_decimals=spec.size_decimals,
                hint="maker.price_scale/size_scale differ from the exchange's; using the exchange's",
            )
        ctx.spec = spec
        self._market_loaded = True
        return spec

    async def start(self) -> list[Event]:
        spec = self.ctx.spec if self._market_loaded and self.ctx.spec is not None else await self.load_market()
        try:
            return await self._start(spec)
        except BaseException:
            await self._stop_tasks()
            await self.ctx.rest.close()
            if self.ctx.signer is not None:
                with contextlib.suppress(Exception):
                    await self.ctx.signer.close()
            raise

    async def _check_key(self) -> None:
        ctx = self.ctx
        assert ctx.signer is not None
        # check_client's Go code fetches `apikeys` itself: a request Lighter counts like any other.
        wait = ctx.gate.rest_wait("apikeys")
        if wait > 0:
            await asyncio.sleep(wait)
        ctx.gate.take_rest("apikeys")
        err = await ctx.signer.check()
        if err and "does not match" not in err and "no api key" not in err:
            raise RetryableVenueError(err)  # the key list could not be fetched: try again
        if err:
            raise FatalVenueError(
                f"API key check failed for account {self.s.account_index} key {self.s.api_key_index}: {err} "
                "(check LIGHTER_API_PRIVATE_KEY / LIGHTER_API_KEY_INDEX)"
            )

    async def _start(self, spec: MarketSpec) -> list[Event]:
        s, ctx = self.s, self.ctx
        ctx.signer = self._signer_factory()
        await self._retry("API key check", self._check_key)
        ctx.tokens = AuthTokens(ctx.clock, ctx.signer.auth_token, self._fallback_token,
                                lifetime_s=s.token_lifetime_s, renew_before_s=s.token_renew_before_s)
        if ctx.token() is None:
            raise FatalVenueError(f"no auth token: {ctx.tokens.last_error}")
        body = await self._retry("account", lambda: ctx.rest.account(s.account_index))
        acct = parse_account.account(body, spec, s.account_index)
        ctx.tracker.position = acct.position.lots
        self.reconciler.position_polled_at = ctx.clock.now()
        self.entry.deadman_queued = acct.cancel_all_time_ms > 0
        position = ctx.tracker.on_exchange_position(acct.position.lots, acct.position.avg_entry_price, ctx.clock.now())
        ctx.foreign.started_at = ctx.clock.now()
        await self._refuse_if_another_bot()  # before we cancel (or schedule cancelling) anything
        await self._clear_market(only_ours=False, timeout_s=15.0)
        if s.deadman:
            await self.entry.send_items([DeadMan()])
        self._tasks.append(asyncio.create_task(self.entry.run(), name="lighter-sender"))
        fr = self.frames
        ctx.ws = WsSupervisor(s.ws_url, ctx.clock, fr.subscriptions, fr.on_frame, fr.on_connection, s.ws_silence_s,
                              on_connect=fr.on_connect)
        self._tasks.append(asyncio.create_task(ctx.ws.run(), name="lighter-ws"))
        book = await self._first_book(15.0)
        self._tasks.append(asyncio.create_task(self.monitor.run(), name="lighter-health"))
        now = ctx.clock.now()
        self.monitor.assume_healthy(now)  # the status returned below
        log.info(
            "lighter_venue_up", market=s.market_id, symbol=spec.symbol, account=s.account_index,
            position_lots=acct.position.lots, client_index_base=ctx.tracker.base,
        )
        return [*position, BookUpdate(now, book), VenueStatus(now, True, True, "")]

    async def _refuse_if_another_bot(self) -> None:
        """Foreign orders resting at start: list them again after a moment; one that appeared or moved
        belongs to a live bot (venues/lighter/instance_check.py)."""
        foreign = self.ctx.foreign
        first = await self._retry("active orders", self._active_orders)
        if not any(foreign.foreign(o.client_order_index) for o in first):
            return
        await asyncio.sleep(self.s.instance_probe_s)
        why = foreign.at_start(first, await self._retry("active orders", self._active_orders))
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
            if self.ctx.book.valid:
                return self.ctx.book.view()
            await asyncio.sleep(0.05)
        await self._stop_tasks()
        raise RetryableVenueError(f"no order book snapshot for market {self.s.market_id} within {timeout_s:.0f}s")

    # -- commands and events ----------------------------------------------------------------------
    def events(self) -> AsyncIterator[Event]:
        return self._event_stream()

    async def _event_stream(self) -> AsyncIterator[Event]:
        while True:
            e = await self.ctx.events.get()
            if e is None:
                return
            yield e

    async def submit(self, commands: Sequence[Command]) -> None:
        if commands:
            self.entry.queue(list(commands))

    async def fills_since(self, since_ts: float) -> FillHistory:
        """Our fills in this market since `since_ts` from the trade history, then our position
        (venues/lighter/recovery.py): what the shell records of a downtime at start."""
        s, ctx = self.s, self.ctx
        fills: list[AccountFill] = []
        complete, note = True, ""
        if since_ts != float("inf"):  # inf: a ledger with no history to reach back to; the position only
            fills, complete, note = await self._retry("trade history", lambda: recovery.fills_since(
                ctx.rest, s.account_index, s.market_id, ctx.token(), since_ts))
        body = await self._retry("account", lambda: ctx.rest.account(s.account_index))
        acct = parse_account.account(body, self.market, s.account_index)
        return FillHistory(tuple(fills), complete, acct.position.lots, note)

    # -- stale orders, shutdown -----------------------------------------------------------------
    async def _active_orders(self) -> list[parse_account.OrderInfo]:
        return await clearing.active_orders(self.ctx)

    async def _clear_market(self, only_ours: bool, timeout_s: float) -> int:
        """The single-market cancel-all, confirmed over REST (clearing.py): how many orders still rest
        (0 = confirmed, -1 = REST never answered in time)."""
        return await clearing.clear_market(self.ctx, self.entry, only_ours, timeout_s)

    async def _stop_tasks(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        if self.ctx.ws is not None:
            await self.ctx.ws.stop()

    async def shutdown(self) -> int:
        """Cancel every order in this market, confirm, abort the dead-man switch, disconnect.

        Returns how many orders of ours still rest (0 = confirmed clean; -1 = could not check). Every
        step is bounded so that the whole takes at most SHUTDOWN_BUDGET_S (Railway's drain)."""
        ctx = self.ctx
        if self._closed:
            return 0
        ctx.closing = True
        left = -1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_BUDGET_S - 1.0  # 1 s for closing the connections
        try:
            # Stop the sender once it has drained the queue: cancels and modifies in it are dropped
            # (the market-wide cancel-all below covers them), placements refused.
            self.entry.outbox.put_nowait(None)
            sender = next((t for t in self._tasks if t.get_name() == "lighter-sender"), None)
            if sender is not None:
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(sender), max(0.0, min(4.0, deadline - loop.time())))
            if ctx.signer is not None and ctx.spec is not None:
                left = await self._clear_market(only_ours=True, timeout_s=max(0.5, deadline - loop.time()))
                if left == 0 and self.s.deadman and self.entry.deadman_queued:
                    await self.entry.send_items([DeadMan(abort_only=True)])
        finally:
            await self._stop_tasks()
            await ctx.rest.close()
            if ctx.signer is not None:
                with contextlib.suppress(Exception):
                    await ctx.signer.close()
            self._closed = True
            ctx.events.put_nowait(None)
        if left == 0:
            log.info("shutdown_clean", market=self.s.market_id, resting_orders=0)
        elif left > 0:
            log.error("shutdown_orders_remain", market=self.s.market_id, resting_orders=left,
                      deadman_armed=self.entry.deadman_queued)
        else:
            log.error("shutdown_unconfirmed", market=self.s.market_id, deadman_armed=self.entry.deadman_queued,
                      msg=f"could not confirm within {SHUTDOWN_BUDGET_S:g} s that no order of ours rests")
        return left
