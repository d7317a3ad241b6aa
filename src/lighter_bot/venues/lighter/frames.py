"""WebSocket frames to events: the subscriptions, and what each frame means for the bot.

Public channels give BookUpdate (our own L2 book, nonce-checked: a gap resubscribes), MarketTrade and
MarkPrice. Account channels give acks, cancels, modifies (order updates, via the tracker), fills
(deduplicated by trade id; the first trades snapshot is history already inside the adopted position)
and the exchange's position (account_all_positions frames are full snapshots: a market they leave
out is flat). One bad row costs that row (counted in `row_errors`), error frames are read in both
shapes Lighter sends, and an account_orders snapshot that leaves out an order of ours makes REST
verify it. The account channels are re-authenticated on the running connection whenever the auth
token is renewed (Lighter sends no account data to an expired token).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog

from lighter_bot.domain.events import BookUpdate, MarketTrade, MarkPrice
from lighter_bot.errors import LighterBotError
from lighter_bot.venues.lighter import parse, parse_account, parse_trades
from lighter_bot.venues.lighter.book import BookResult
from lighter_bot.venues.lighter.context import VenueContext
from lighter_bot.venues.lighter.txitems import CancelIndex, Item

log = structlog.get_logger("lighter.frames")

REQUIRED_ACCOUNT_CHANNELS = ("account_orders", "account_all_trades")
ORPHAN_RECANCEL_S = 5.0


class FrameRouter:
    def __init__(self, ctx: VenueContext, queue: Callable[[list[Item]], None], on_down: Callable[[], None]) -> None:
        self.ctx = ctx
        self._queue = queue  # order entry's queue (orphan cancels)
        self._on_down = on_down  # the connection dropped, or another bot showed: report health now
        self.last_book_at: float | None = None
        self.book_invalid_since: float | None = None
        self.book_resubscribed_at: float | None = None
        self.ws_up_at: float | None = None
        self.account_acks: set[str] = set()
        self.account_error = ""
        self.reconcile_lost_before: float | None = None  # a reconnect: ask REST about what was in flight
        self.subscribed_token: str | None = None  # the token the account channels were last subscribed with
        self._trades_history_marked = False
        self._orphans_cancelling: dict[int, float] = {}

    # -- subscriptions --------------------------------------------------------------------------
    def subscriptions(self) -> list[dict[str, Any]]:
        m = self.ctx.s.market_id
        subs: list[dict[str, Any]] = [
            {"type": "subscribe", "channel": f"order_book/{m}"},
            {"type": "subscribe", "channel": f"trade/{m}"},
            {"type": "subscribe", "channel": f"market_stats/{m}"},
        ]
        return subs + self._account_subscriptions()

    def _account_subscriptions(self) -> list[dict[str, Any]]:
        m, a = self.ctx.s.market_id, self.ctx.s.account_index
        tok = self.ctx.token()
        self.subscribed_token = tok
        if not tok:
            return []
        return [{"type": "subscribe", "channel": ch, "auth": tok}
                for ch in (f"account_orders/{m}/{a}", f"account_all_trades/{a}", f"account_all_positions/{a}")]

    async def reauthenticate(self) -> None:
        """The auth token was renewed: re-authenticate the account channels on the running connection
        (a reconnect would drop the book too). Each channel is unsubscribed and subscribed again with
        the new token; its fresh snapshot replays recent trades (deduplicated) and lists the open
        orders (ours it omits are verified over REST)."""
        ws = self.ctx.ws
        if ws is None or not ws.connected:
            return
        subs = self._account_subscriptions()
        for sub in subs:
            await ws.send({"type": "unsubscribe", "channel": sub["channel"]})
            await ws.send(sub)
        tokens = self.ctx.tokens
        log.info("account_channels_reauthenticated", channels=len(subs),
                 token_expiry=tokens.expiry if tokens is not None else None)

    def resubscribe_book(self) -> None:
        ws = self.ctx.ws
        if ws is None:
            return
        self.book_resubscribed_at = self.ctx.clock.now()
        asyncio.get_running_loop().create_task(ws.resubscribe(f"order_book/{self.ctx.s.market_id}"))

    # -- connection events ----------------------------------------------------------------------
    def on_connect(self) -> None:
        """A new connection: every channel starts over from its snapshot."""
        self.ctx.book.invalidate()
        self.book_invalid_since = self.ctx.clock.now()
        self.account_acks.clear()
        self.account_error = ""

    def on_connection(self, up: bool, reason: str) -> None:
        now = self.ctx.clock.now()
        if up:
            self.ws_up_at = now
            # Confirmations sent while we were disconnected are lost: ask REST about every order
            # in flight at the next reconcile (<= 1 s) instead of after the grace window: the engine
            # counts them in its caps worst case until then, which held new quotes back 5 s.
            self.reconcile_lost_before = now
        else:
            self.ws_up_at = None
            self.ctx.stats["reconnects"] += 1
            self.ctx.book.invalidate()
            self.book_invalid_since = now
            self.account_acks.clear()
            self._on_down()

    # -- frames ---------------------------------------------------------------------------------
    def on_frame(self, msg: parse.Json) -> None:
        try:
            self.dispatch(msg)
        except LighterBotError as exc:
            log.error("undecodable_frame", type=parse.frame_type(msg) or "?", error=str(exc))
        except Exception:  # a frame we mishandle must not take the stream down
            log.exception("frame_handler_failed", type=parse.frame_type(msg) or "?")

    def dispatch(self, msg: parse.Json) -> None:
        ctx = self.ctx
        spec = ctx.market
        now = ctx.clock.now()
        err = parse.error_frame(msg)  # `{"type":"error",...}` or `{"error":{...}}`
        if err is not None:
            code, message, ch = err
            log.warning("ws_error_frame", code=code, channel=ch or "-", message=message)
            if ch.startswith("account") or code in (30012, 20013):
                self.account_error = f"account channel error {code}"
            return
        kind, _, name = parse.frame_type(msg).partition("/")
        snapshot = kind == "subscribed"
        if name == "order_book":
            res = ctx.book.apply(parse.book_frame(msg, spec))
            if res is BookResult.APPLIED:
                self.last_book_at = now
                self.book_invalid_since = None
                ctx.emit([BookUpdate(now, ctx.book.view())])
            elif res is BookResult.GAP:
                ctx.stats["gaps"] += 1
                self.book_invalid_since = now
                log.warning("book_nonce_gap_resubscribing", market=spec.market_id)
                self.resubscribe_book()
            return
        if name == "trade":
            if not snapshot:
                ctx.emit([MarketTrade(now, t.price, t.size, t.taker_side) for t in parse_trades.trade_frame(msg, spec)])
            return
        if name == "market_stats":
            mp = parse.mark_price(msg, spec)
            if mp is not None:
                ctx.emit([MarkPrice(now, mp)])
            return
        if name.startswith("account"):
            self._account_frame(name, snapshot, msg, now)

    def _account_frame(self, name: str, snapshot: bool, msg: parse.Json, now: float) -> None:
        ctx = self.ctx
        spec, errors, tracker = ctx.market, ctx.row_errors, ctx.tracker
        if snapshot or name in REQUIRED_ACCOUNT_CHANNELS:
            self.account_acks.add(name)
        if name in ("account_orders", "account_all_orders", "account_market"):
            infos = parse_account.orders_body(msg, spec, errors)
            for info in infos:
                events, orphan = tracker.on_order(info, now)
                ctx.emit(events)
                if orphan and ctx.foreign.on_orphan(info, now):
                    self._on_down()  # an older bot is alive: report it now (halt), leave its orders alone
                elif orphan:
                    self.cancel_orphan(info.order_index, now)
            if snapshot and name == "account_orders":
                # A snapshot lists every open order: ours it leaves out ended while we were not
                # listening (a reconnect, a re-authentication). REST tells how.
                tracker.verify_missing({i.client_order_index for i in infos}, now)
        if name in ("account_all_trades", "account_trades", "account_market", "account_all"):
            trades = parse_trades.account_trades(msg, spec, errors)
            fills = [f for t in trades for f in parse_trades.our_fills(t, ctx.s.account_index)]
            if snapshot and not self._trades_history_marked:
                # The first snapshot is history already inside the position we adopted at start.
                tracker.mark_history([f.trade_id for f in fills])
                self._trades_history_marked = True
            else:
                for f in fills:
                    ctx.emit(tracker.on_fill(f, now))
        if name in ("account_all_positions", "account_all", "account_market"):
            # account_all_positions frames are full snapshots: a market they leave out is flat.
            pos = parse_account.positions_frame(msg, spec, snapshot=name == "account_all_positions", errors=errors)
            if pos is not None:
                ctx.emit(tracker.on_exchange_position(pos.lots, pos.avg_entry_price, now))

    def cancel_orphan(self, order_index: int, now: float) -> None:
        """A live order of ours nobody tracks (an earlier run's, or one given up on): cancel it."""
        last = self._orphans_cancelling.get(order_index)
        if last is not None and now - last < ORPHAN_RECANCEL_S:
            return
        self._orphans_cancelling[order_index] = now
        log.warning("cancelling_untracked_order", market=self.ctx.s.market_id, order_index=order_index)
        self._queue([CancelIndex(order_index)])
