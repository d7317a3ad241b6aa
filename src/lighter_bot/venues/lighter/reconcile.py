"""What REST settles when the stream cannot: orders whose outcome never showed, and the position.

* Orders: a placement, modify or cancel the account stream has not confirmed within the grace window
  (a lost answer; an acked no-op — Lighter accepts a cancel or modify of a gone order and it does
  nothing; a reconnect or re-authentication that lost the confirmation) is looked up by client order
  index, CHUNK per `accountOrders` request, as many requests as the budget spares. An order REST
  cannot settle is asked about again later and later (tracker.on_probed): never in a loop.
* Position: the positions channel carries it while the account stream is healthy. REST confirms a
  disagreement, stands in (every FALLBACK_POLL_S) while the stream is down, and otherwise checks
  every `position_check_s` (domain/request_budget.py: the core leaves room for it).
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from lighter_bot.errors import RejectedError, RetryableVenueError
from lighter_bot.venues.lighter import parse_account
from lighter_bot.venues.lighter.context import VenueContext
from lighter_bot.venues.lighter.ratelimit import TxPriority
from lighter_bot.venues.lighter.rest import CHUNK

log = structlog.get_logger("lighter.reconcile")

FALLBACK_POLL_S = 15.0


class Reconciler:
    def __init__(self, ctx: VenueContext, cancel_orphan: Callable[[int, float], None]) -> None:
        self.ctx = ctx
        self._cancel_orphan = cancel_orphan
        self.position_polled_at = 0.0

    # -- position -------------------------------------------------------------------------------
    def position_read_due(self, now: float, account_ok: bool) -> TxPriority | None:
        """Whether the position should be read over REST now, and how urgently."""
        since = now - self.position_polled_at
        mismatch = self.ctx.tracker.mismatch_since
        grace = self.ctx.s.position_grace_s
        if mismatch is not None and now - mismatch >= grace and since >= grace:
            return TxPriority.READ
        if not account_ok and since >= FALLBACK_POLL_S:
            return TxPriority.READ
        if since >= self.ctx.s.position_check_s:
            return TxPriority.OPTIONAL
        return None

    async def poll_position(self, now: float) -> None:
        ctx = self.ctx
        self.position_polled_at = now
        try:
            acct = parse_account.account(await ctx.rest.account(ctx.s.account_index), ctx.market, ctx.s.account_index)
        except (RetryableVenueError, RejectedError) as exc:
            log.warning("position_poll_failed", error=str(exc))
            return
        ctx.emit(ctx.tracker.on_exchange_position(acct.position.lots, acct.position.avg_entry_price, ctx.clock.now()))

    # -- orders ---------------------------------------------------------------------------------
    async def reconcile_overdue(self, now: float, lost_before: float | None = None) -> None:
        ctx = self.ctx
        tracker = ctx.tracker
        overdue = tracker.overdue(now, lost_before)
        if not overdue:
            return
        by_coi = {tracker.coi(t.client_id): t.client_id for t in overdue}
        cois = sorted(by_coi)
        found: dict[int, parse_account.OrderInfo] = {}
        asked: list[int] = []
        for i in range(0, len(cois), CHUNK):
            part = cois[i : i + CHUNK]
            if i and not ctx.rest.spare("accountOrders", TxPriority.READ):
                break  # the rest waits for the next round
            try:
                body = await ctx.rest.orders_by_client_index(ctx.s.account_index, part, ctx.token())
            except RejectedError:
                # No lookup by client index: the active orders tell which are still open.
                try:
                    body = await ctx.rest.active_orders(ctx.s.account_index, ctx.s.market_id, ctx.token())
                except (RejectedError, RetryableVenueError) as exc:
                    log.warning("reconcile_failed", error=str(exc))
                    break
                found.update({o.client_order_index: o for o in parse_account.orders_body(body, ctx.market, ctx.row_errors)})
                asked = cois
                break
            except RetryableVenueError as exc:
                log.warning("reconcile_failed", error=str(exc))
                for coi in part:  # asked, unanswered: not again before its backoff
                    tracker.on_probed(by_coi[coi], now)
                break
            found.update({o.client_order_index: o for o in parse_account.orders_body(body, ctx.market, ctx.row_errors)})
            asked += part
        now = ctx.clock.now()
        for coi in asked:
            cid = by_coi[coi]
            events, orphan = tracker.on_reconciled(cid, found.get(coi), now)
            ctx.emit(events)
            info = found.get(coi)
            if orphan and info is not None:
                self._cancel_orphan(info.order_index, now)
            tracker.on_probed(cid, now)  # still tracked only if REST could not settle it
