"""The venue's health and its periodic duties, every 0.25 s while it runs.

Health (`VenueStatus`, on every change and every STATUS_HEARTBEAT_S while healthy): market data is
not ok while the WebSocket is down, the book resyncs after a gap, or no book change came for
`book_stale_s` (resubscribe; reconnect at twice that); the account stream is not ok when its
channels are not confirmed within ACCOUNT_ACK_GRACE_S of connecting, a subscribe failed, the auth
token is unusable, or order entry is failing (nonce storm, sends without answer). Duties: REST
reconciliation and position reads (reconcile.py), re-authentication of the account channels once
the token was renewed, and re-arming the dead-man switch every `deadman_rearm_s` while healthy.
"""

from __future__ import annotations

import asyncio

import structlog

from lighter_bot.domain.events import VenueStatus
from lighter_bot.errors import LighterBotError
from lighter_bot.venues.lighter.context import VenueContext
from lighter_bot.venues.lighter.entry import OrderEntry
from lighter_bot.venues.lighter.frames import REQUIRED_ACCOUNT_CHANNELS, FrameRouter
from lighter_bot.venues.lighter.ratelimit import TxPriority
from lighter_bot.venues.lighter.reconcile import Reconciler
from lighter_bot.venues.lighter.txitems import DeadMan

log = structlog.get_logger("lighter.monitor")

STATUS_HEARTBEAT_S = 5.0
ACCOUNT_ACK_GRACE_S = 5.0
TICK_S = 0.25


class Monitor:
    def __init__(self, ctx: VenueContext, frames: FrameRouter, entry: OrderEntry, reconciler: Reconciler) -> None:
        self.ctx = ctx
        self.frames = frames
        self.entry = entry
        self.reconciler = reconciler
        self.status: tuple[bool, bool, str] | None = None
        self._status_at = 0.0
        self._reconcile_at = 0.0
        self._reauth_at = 0.0
        self._other_bot = False

    def assume_healthy(self, now: float) -> None:
        """start() just returned VenueStatus(healthy): the next change is reported against that."""
        self.status, self._status_at = (True, True, ""), now

    def health(self) -> tuple[bool, bool, str]:
        """(market data ok, account stream ok, detail)."""
        ctx, fr = self.ctx, self.frames
        now = ctx.clock.now()
        problems: list[str] = []
        connected = ctx.ws_up()
        if not connected:
            problems.append(f"websocket down ({ctx.ws.last_reason if ctx.ws else 'not started'})")
        elif not ctx.book.valid:
            connected = False
            problems.append("order book resyncing")
        elif fr.last_book_at is not None and now - fr.last_book_at > ctx.s.book_stale_s:
            connected = False
            problems.append(f"order book silent for {now - fr.last_book_at:.0f}s")
        account_ok = ctx.ws_up()
        if fr.account_error:
            account_ok = False
            problems.append(fr.account_error)
        elif account_ok and fr.ws_up_at is not None and now - fr.ws_up_at > ACCOUNT_ACK_GRACE_S:
            missing = [c for c in REQUIRED_ACCOUNT_CHANNELS if c not in fr.account_acks]
            if missing:
                account_ok = False
                problems.append(f"account channels not confirmed: {', '.join(missing)}")
        if ctx.tokens is not None and not ctx.tokens.healthy():
            account_ok = False
            problems.append(ctx.tokens.last_error or "auth token unusable")
        entry_problems = self.entry.problems(now)
        if entry_problems:
            account_ok = False
            problems += entry_problems
        return connected, account_ok, "; ".join(problems)

    def update_status(self, force: bool = False) -> None:
        now = self.ctx.clock.now()
        st = self.health()
        foreign = self.ctx.foreign
        other = foreign.active(now)
        if other != self._other_bot:
            self._other_bot = other
            force = True
            if other:
                log.error("another_bot_on_account", detail=foreign.detail, action="halted")
            else:
                log.warning("another_bot_gone", quiet_s=foreign.hold_s, action="resuming")
        if force or st != self.status or (st[0] and st[1] and now - self._status_at >= STATUS_HEARTBEAT_S):
            if st != self.status and st[2]:
                log.warning("venue_degraded", detail=st[2], market_data_ok=st[0], account_ok=st[1])
            elif st != self.status:
                log.info("venue_healthy")
            self.status, self._status_at = st, now
            self.ctx.emit([VenueStatus(now, st[0], st[1], st[2], other_instance=other)])

    async def run(self) -> None:
        while not self.ctx.closing:
            await asyncio.sleep(TICK_S)
            try:
                await self.once()
            except LighterBotError as exc:
                log.warning("health_check_failed", error=str(exc))

    def _watch_book(self, now: float) -> None:
        ctx, fr = self.ctx, self.frames
        if ctx.ws is None or not ctx.ws.connected:
            return
        stale = fr.last_book_at is not None and now - fr.last_book_at > ctx.s.book_stale_s
        if (fr.book_invalid_since is not None and now - fr.book_invalid_since > 2.0) or (
            stale and fr.last_book_at is not None and now - fr.last_book_at > 2 * ctx.s.book_stale_s
        ):
            ctx.ws.request_reconnect("order book not recovering")
            fr.book_invalid_since = now
        elif stale and (fr.book_resubscribed_at is None or now - fr.book_resubscribed_at > ctx.s.book_stale_s):
            fr.resubscribe_book()

    async def once(self) -> None:
        ctx = self.ctx
        now = ctx.clock.now()
        self.update_status()
        self._watch_book(now)
        if now >= self._reconcile_at and ctx.rest.spare("accountOrders", TxPriority.READ):
            self._reconcile_at = now + 1.0
            lost_before, self.frames.reconcile_lost_before = self.frames.reconcile_lost_before, None
            await self.reconciler.reconcile_overdue(now, lost_before)
        account_ok = self.status is not None and self.status[1]
        priority = self.reconciler.position_read_due(now, account_ok)
        if priority is not None and ctx.rest.spare("account", priority):
            await self.reconciler.poll_position(now)
        if ctx.ws_up() and now >= self._reauth_at:
            tok = ctx.token()  # renews the token when it is close to expiry
            if tok is not None and tok != self.frames.subscribed_token:
                self._reauth_at = now + 1.0  # at most one attempt per second
                await self.frames.reauthenticate()
        healthy = self.status is not None and self.status[0] and self.status[1]
        armed_at = self.entry.deadman_armed_at
        if ctx.s.deadman and healthy and (armed_at is None or now - armed_at >= ctx.s.deadman_rearm_s):
            self.entry.deadman_armed_at = now  # one attempt per period, success or not
            self.entry.queue([DeadMan()])
