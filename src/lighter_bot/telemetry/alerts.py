"""Alerts: guard blocks, hedger failures, halts, stale feeds and reconnect storms, as greppable log
lines (`alert.<kind>`) and, when a webhook is configured, Discord-compatible webhook posts.

Raising an alert never blocks and never raises: it logs, deduplicates, and enqueues. A background
task posts the queue: deduplicated per (kind, key) within `alerts.min_interval_seconds` (the next
post says how many were suppressed), paced, retried after a 429 honouring `retry_after`, retried
with backoff after 5xx or network errors, and never disabled for good: a failure drops that one
alert and the next one is tried again (the old bot turned alerts off forever after any 4xx).
The webhook URL (it embeds a secret) is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import aiohttp
import structlog

from lighter_bot.config import AlertsConfig

log = structlog.get_logger("lighter_bot.alerts")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class AlertKind(StrEnum):
    GUARD_BLOCK = "guard_block"
    HEDGER_FAILURE = "hedger_failure"
    HALT = "halt"
    STALE_FEED = "stale_feed"
    RECONNECT_STORM = "reconnect_storm"
    LEDGER = "ledger"  # the ledger disagrees with the exchange, or could not be completed from it
    MODEL_DRIFT = "model_drift"
    RESOLVED = "resolved"


LEVELS: dict[AlertKind, str] = {
    AlertKind.GUARD_BLOCK: "warning",
    AlertKind.HEDGER_FAILURE: "error",
    AlertKind.HALT: "critical",
    AlertKind.STALE_FEED: "warning",
    AlertKind.RECONNECT_STORM: "error",
    AlertKind.LEDGER: "error",
    AlertKind.MODEL_DRIFT: "warning",
    AlertKind.RESOLVED: "info",
}
COLOURS = {"info": 0x2ECC71, "warning": 0xF1C40F, "error": 0xE67E22, "critical": 0xE74C3C}
_LONG_HEX = re.compile(r"(0x)?[0-9a-fA-F]{64,}")  # keys, signatures, token tails: never sent anywhere


def _redact(text: str) -> str:
    return _LONG_HEX.sub("***", text)


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    key: str
    message: str
    fields: tuple[tuple[str, str], ...]
    ts: float
    suppressed: int = 0

    @property
    def level(self) -> str:
        return LEVELS[self.kind]

    def payload(self) -> dict[str, Any]:
        """A Discord webhook body (also accepted by Slack-style `content` consumers)."""
        extra = f" (+{self.suppressed} similar suppressed)" if self.suppressed else ""
        content = f"[lighter-bot] {self.level.upper()} {self.kind}: {self.message}{extra}"
        return {
            "username": "lighter-bot",
            "content": content[:1990],
            "allowed_mentions": {"parse": []},  # an alert text must never ping @everyone
            "embeds": [
                {
                    "title": f"[lighter-bot] {self.kind}",
                    "description": (self.message + extra)[:4000],
                    "color": COLOURS[self.level],
                    "timestamp": datetime.fromtimestamp(self.ts, UTC).isoformat(),
                    "fields": [{"name": k[:256], "value": v[:1024] or "-", "inline": True} for k, v in self.fields[:24]],
                }
            ],
        }


@dataclass(slots=True)
class AlertStats:
    raised: int = 0
    suppressed: int = 0
    sent: int = 0
    failed: int = 0  # alerts given up on after retries or rejected by the webhook
    dropped: int = 0  # queue overflow
    retries_429: int = 0


@dataclass(slots=True)
class _Seen:
    last_queued: float
    suppressed: int = 0


@dataclass(slots=True)
class AlertManager:
    """Create once per process; `await start()` inside the event loop, `await close()` on shutdown."""

    webhook_url: str | None
    min_interval_s: float
    clock: Clock
    enabled: bool = True
    sleep: Sleep = asyncio.sleep
    max_queue: int = 100
    max_attempts: int = 5
    max_retry_after_s: float = 60.0
    min_post_gap_s: float = 0.5  # Discord allows ~5 posts per 2 s per webhook
    timeout_s: float = 10.0
    storm_count: int = 5
    storm_window_s: float = 60.0
    stats: AlertStats = field(default_factory=AlertStats)
    _seen: dict[tuple[AlertKind, str], _Seen] = field(default_factory=dict)
    _queue: deque[Alert] = field(default_factory=deque)
    _wake: asyncio.Event | None = None
    _task: asyncio.Task[None] | None = None
    _session: aiohttp.ClientSession | None = None
    _reconnects: dict[str, deque[float]] = field(default_factory=dict)
    _idle: asyncio.Event | None = None

    @classmethod
    def from_config(cls, cfg: AlertsConfig, clock: Clock, env: Mapping[str, str] | None = None) -> AlertManager:
        environ = os.environ if env is None else env
        url = (environ.get("DISCORD_WEBHOOK") or cfg.discord_webhook_url or "").strip() or None
        return cls(webhook_url=url, min_interval_s=cfg.min_interval_seconds, clock=clock, enabled=cfg.enabled)

    # -- raising (sync, never blocks, never raises) -----------------------------------------------
    def guard_block(self, reason: str, **fields: object) -> bool:
        return self.emit(AlertKind.GUARD_BLOCK, f"risk guard blocked an order: {reason}", key=reason, **fields)

    def hedger_failure(self, reason: str, **fields: object) -> bool:
        return self.emit(AlertKind.HEDGER_FAILURE, f"hedge failed: {reason}", key=reason, **fields)

    def halt(self, reason: str, **fields: object) -> bool:
        return self.emit(AlertKind.HALT, f"trading HALTED: {reason}", key=reason, **fields)

    def ledger(self, reason: str, **fields: object) -> bool:
        return self.emit(AlertKind.LEDGER, f"ledger: {reason}", key=reason, **fields)

    def stale_feed(self, feed: str, age_s: float, **fields: object) -> bool:
        return self.emit(AlertKind.STALE_FEED, f"{feed} feed stale for {age_s:.1f} s", key=feed, age_s=round(age_s, 1), **fields)

    def model_drift(self, side: str, gap_bps: float, fills: float, **fields: object) -> bool:
        return self.emit(AlertKind.MODEL_DRIFT, f"{side} fills mark out {-gap_bps:.1f} bps worse than the edge model "
                         f"expects over {fills:.0f} fills: the bot widens or stands aside on that side",
                         key=side, gap_bps=round(gap_bps, 2), fills=round(fills, 1), **fields)

    def note_reconnect(self, feed: str) -> bool:
        """Count a reconnect; raise `reconnect_storm` when storm_count happen within storm_window_s."""
        now = self.clock()
        times = self._reconnects.setdefault(feed, deque())
        times.append(now)
        while times and times[0] < now - self.storm_window_s:
            times.popleft()
        if len(times) < self.storm_count:
            return False
        return self.emit(
            AlertKind.RECONNECT_STORM,
            f"{feed}: {len(times)} reconnects in {self.storm_window_s:g} s",
            key=feed,
            reconnects=len(times),
        )

    def resolve(self, kind: AlertKind, key: str, message: str) -> bool:
        """The condition behind (kind, key) is over: log it, tell the webhook if it was told, re-arm."""
        key = _redact(key)
        seen = self._seen.pop((kind, key), None)
        log.info(f"alert.{AlertKind.RESOLVED}", of=str(kind), key=key, message=message)
        if seen is None:
            return False
        return self._enqueue(Alert(AlertKind.RESOLVED, f"{kind}:{key}", _redact(message), (("of", str(kind)),), self.clock()))

    def emit(self, kind: AlertKind, message: str, *, key: str | None = None, **fields: object) -> bool:
        """Log the alert; queue it for the webhook unless the same (kind, key) was queued within the
        last min_interval_s. Returns True when it was queued."""
        try:
            self.stats.raised += 1
            message = _redact(message)
            flat = tuple((k, _redact(str(v))) for k, v in fields.items())
            dedupe_key = _redact(key) if key is not None else message
            getattr(log, LEVELS[kind])(f"alert.{kind}", message=message, key=dedupe_key, **dict(flat))
            now = self.clock()
            seen = self._seen.get((kind, dedupe_key))
            if seen is not None and now - seen.last_queued < self.min_interval_s:
                seen.suppressed += 1
                self.stats.suppressed += 1
                return False
            suppressed = seen.suppressed if seen is not None else 0
            self._seen[(kind, dedupe_key)] = _Seen(last_queued=now)
            return self._enqueue(Alert(kind, dedupe_key, message, flat, now, suppressed))
        except Exception as exc:  # an alert must never take the trading loop down
            log.error("alert.internal_error", error=repr(exc))
            return False

    def _enqueue(self, alert: Alert) -> bool:
        if not (self.enabled and self.webhook_url):
            return False
        if len(self._queue) >= self.max_queue:
            self._queue.popleft()
            self.stats.dropped += 1
            log.warning("alert.queue_full", dropped=self.stats.dropped)
        self._queue.append(alert)
        if self._wake is not None:
            self._wake.set()
        if self._idle is not None:
            self._idle.clear()
        return True

    # -- delivery (async, background) -------------------------------------------------------------
    async def start(self) -> None:
        if self._task is not None:
            return
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        if not self._queue:
            self._idle.set()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        self._task = asyncio.create_task(self._run(), name="alerts")
        log.info("alerts.started", webhook="configured" if self.webhook_url and self.enabled else "none (log only)")

    async def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until the queue is empty (for tests and shutdown); False on timeout."""
        if self._idle is None:
            return not self._queue
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
            return True
        except TimeoutError:
            return False

    async def close(self, flush_timeout_s: float = 5.0) -> None:
        if self._task is None:
            return
        await self.flush(flush_timeout_s)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        assert self._wake is not None and self._idle is not None
        while True:
            if not self._queue:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            alert = self._queue[0]
            try:
                await self._deliver(alert)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep the sender alive whatever happens
                self.stats.failed += 1
                log.error("alert.webhook_error", kind=str(alert.kind), error=type(exc).__name__)
            if self._queue and self._queue[0] is alert:
                self._queue.popleft()
            if self.min_post_gap_s > 0:
                await self.sleep(self.min_post_gap_s)

    async def _deliver(self, alert: Alert) -> None:
        assert self._session is not None and self.webhook_url is not None
        body = alert.payload()
        backoff, wait = 1.0, 0.0
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                await self.sleep(wait)
            try:
                async with self._session.post(self.webhook_url, json=body) as resp:
                    status = resp.status
                    text = await resp.text()
                    header_retry = resp.headers.get("Retry-After")
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("alert.webhook_unreachable", kind=str(alert.kind), attempt=attempt, error=type(exc).__name__)
                wait, backoff = backoff, min(backoff * 2, 30.0)
                continue
            if 200 <= status < 300:
                self.stats.sent += 1
                return
            if status == 429:
                self.stats.retries_429 += 1
                wait = min(_retry_after(text, header_retry), self.max_retry_after_s)
                log.warning("alert.webhook_rate_limited", kind=str(alert.kind), retry_after_s=wait, attempt=attempt)
                continue
            if status >= 500:
                log.warning("alert.webhook_server_error", kind=str(alert.kind), status=status, attempt=attempt)
                wait, backoff = backoff, min(backoff * 2, 30.0)
                continue
            # Another 4xx: this alert is unacceptable to the webhook (or the URL is wrong). Drop it,
            # say so, and keep the webhook enabled for the next one.
            self.stats.failed += 1
            log.error("alert.webhook_rejected", kind=str(alert.kind), status=status)
            return
        self.stats.failed += 1
        log.error("alert.webhook_gave_up", kind=str(alert.kind), attempts=self.max_attempts)


def _retry_after(body: str, header: str | None) -> float:
    """Discord puts `retry_after` (seconds, float) in the JSON body; HTTP puts it in a header."""
    try:
        data = json.loads(body)
        if isinstance(data, dict) and data.get("retry_after") is not None:
            return max(0.0, float(data["retry_after"]))
    except (ValueError, TypeError):
        pass
    try:
        return max(0.0, float(header)) if header is not None else 1.0
    except ValueError:
        return 1.0
