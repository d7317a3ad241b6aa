"""The market's resting orders over REST, and clearing them: what start and shutdown do before
anything else (start) and last (shutdown).

`clear_market` sends ONE immediate single-market cancel-all (every order of the account in our
market, not other markets'), then confirms over REST, sending it again only while REST still lists
orders (of ours, at shutdown). Never past its deadline. At start the orders it lists are noted as
earlier runs' orphans (instance_check.py), so none of them later passes for another live bot.
"""

from __future__ import annotations

import asyncio

import structlog

from lighter_bot.errors import RejectedError, RetryableVenueError
from lighter_bot.venues.lighter import parse_account
from lighter_bot.venues.lighter.context import VenueContext
from lighter_bot.venues.lighter.entry import OrderEntry
from lighter_bot.venues.lighter.txitems import MarketCancelAll

log = structlog.get_logger("lighter.clearing")


async def active_orders(ctx: VenueContext) -> list[parse_account.OrderInfo]:
    """The live orders of our account in our market (REST accountActiveOrders)."""
    body = await ctx.rest.active_orders(ctx.s.account_index, ctx.s.market_id, ctx.token(), max_wait=12.0)
    return [o for o in parse_account.orders_body(body, ctx.market, ctx.row_errors) if o.live]


async def clear_market(ctx: VenueContext, entry: OrderEntry, only_ours: bool, timeout_s: float) -> int:
    """Cancel every order in this market with ONE immediate single-market cancel-all (all of them at
    start; at shutdown too, the one-account-per-bot rule makes them ours), then confirm over REST,
    sending it again only while REST still lists orders (of ours, at shutdown). Never past
    `timeout_s`.

    Returns how many were still open at the end (0 = confirmed, -1 = REST never answered in time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    await entry.send_items([MarketCancelAll()])
    if only_ours:  # the account stream confirms most cancels before a REST listing could
        until = min(loop.time() + 3.0, deadline)
        while ctx.tracker.orders and loop.time() < until and ctx.ws_up():
            await asyncio.sleep(0.05)
    else:
        await asyncio.sleep(0.5)  # Lighter executes it after its 200-300 ms speed bump
    remaining = -1
    while loop.time() < deadline:
        try:  # one listing may wait for the REST budget and then time out: never past the deadline
            live = await asyncio.wait_for(active_orders(ctx), max(0.1, deadline - loop.time()))
        except (RetryableVenueError, RejectedError, TimeoutError) as exc:
            log.warning("active_orders_failed", error=str(exc) or type(exc).__name__)
            await asyncio.sleep(min(1.0, max(0.0, deadline - loop.time())))
            continue
        if only_ours:
            live = [o for o in live if ctx.tracker.ours(o.client_order_index)]
        else:
            ctx.foreign.note_listed(live)  # earlier runs' orphans, not a live bot
        remaining = len(live)
        if not live:
            ctx.tracker.orders.clear()  # whatever was in flight was sequenced before the cancel-all
            return 0
        await entry.send_items([MarketCancelAll()])
        await asyncio.sleep(min(1.0, max(0.0, deadline - loop.time())))
    if remaining < 0 and only_ours and not ctx.tracker.orders and ctx.ws_up():
        # REST never answered (rate limited); the account stream saw every order of ours go.
        log.warning("shutdown_confirmed_by_stream_only", market=ctx.s.market_id)
        return 0
    return remaining
