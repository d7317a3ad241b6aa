"""The /health verdict: every critical check ANDed, the failing ones named.

Checks: venue_connected, book_fresh (book age <= guard.max_book_age_seconds), account_stream_fresh
(the venue reports the account stream healthy), quotes_fresh (while ACTIVE, quotes decided within
telemetry.quote_stale_seconds: a side quoted, a pause, or both sides left out for a stated reason such as
the edge model finding no edge, which is not a fault; a grace period after start), single_instance (the venue sees no other
bot on our account and market), plus any extra checks the caller adds (the running bot adds
ledger_writable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lighter_bot.engine.core import EngineCore, TradingState


@dataclass(frozen=True, slots=True)
class HealthReport:
    healthy: bool
    failing: tuple[str, ...]
    body: dict[str, Any]


def evaluate(
    core: EngineCore,
    now: float,
    started_at: float,
    config_hash: str,
    quote_stale_s: float,
    extra: Mapping[str, bool] | None = None,
) -> HealthReport:
    s = core.state
    st = core.status()
    book_age = s.book_age()
    quote_age = None if st.last_quote_ts is None else now - st.last_quote_ts
    checks = {
        "venue_connected": s.venue_connected,
        "book_fresh": book_age is not None and book_age <= core.config.guard.max_book_age_seconds,
        "account_stream_fresh": s.account_ok,
        "quotes_fresh": st.trading_state is not TradingState.ACTIVE
        or (quote_age is not None and quote_age <= quote_stale_s)
        or now - started_at < quote_stale_s,
        "single_instance": not s.other_instance,
        **(extra or {}),
    }
    failing = tuple(k for k, ok in checks.items() if not ok)
    body: dict[str, Any] = {
        "status": "healthy" if not failing else "unhealthy",
        "failing": list(failing),
        "reason": "ok" if not failing else "failing: " + ", ".join(failing),
        "checks": checks,
        "trading_state": st.trading_state.value,
        "trading_state_reasons": list(st.reasons),
        "venue_connected": s.venue_connected,
        "book_age_seconds": None if book_age is None else round(book_age, 3),
        "last_quote_age_seconds": None if quote_age is None else round(quote_age, 3),
        "position": float(core.market.sz(s.position_lots)),
        "uptime_seconds": round(now - started_at, 3),
        "config_hash": config_hash,
        "timestamp": now,
    }
    return HealthReport(not failing, failing, body)
