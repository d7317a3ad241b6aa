"""Alerts against a real Discord-compatible webhook server on 127.0.0.1: dedupe, rate limit, 429
retry_after, recovery after errors, never blocking, greppable logs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from structlog.testing import capture_logs

from lighter_bot.config import AlertsConfig
from lighter_bot.telemetry.alerts import AlertKind, AlertManager


@dataclass
class Webhook:
    """Answers from a script of (status, json body) per request, then 204; records what it got."""

    script: list[tuple[int, dict[str, Any] | None]] = field(default_factory=list)
    delay_s: float = 0.0
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append((time.monotonic(), body))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        status, payload = self.script.pop(0) if self.script else (204, None)
        if payload is None:
            return web.Response(status=status)
        return web.json_response(payload, status=status)


async def serve(hook: Webhook) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/api/webhooks/1/secret", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/api/webhooks/1/secret"


class Clock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


def run(test: Callable[[Webhook, str], Awaitable[None]], hook: Webhook) -> None:
    async def main() -> None:
        runner, url = await serve(hook)
        try:
            await test(hook, url)
        finally:
            await runner.cleanup()

    asyncio.run(main())


def test_dedupe_and_suppressed_count() -> None:
    clock = Clock()

    async def body(hook: Webhook, url: str) -> None:
        am = AlertManager(webhook_url=url, min_interval_s=60, clock=clock, min_post_gap_s=0)
        await am.start()
        for _ in range(3):
            am.guard_block("max_inventory_notional", inventory=0.31)
        am.guard_block("max_position_units")  # another key: its own alert
        clock.t += 61
        assert am.guard_block("max_inventory_notional")
        assert await am.flush(5)
        await am.close()
        contents = [b["content"] for _, b in hook.received]
        assert len(contents) == 3
        assert "max_inventory_notional" in contents[0] and "suppressed" not in contents[0]
        assert "max_position_units" in contents[1]
        assert "(+2 similar suppressed)" in contents[2]
        assert am.stats.suppressed == 2 and am.stats.sent == 3
        embed = hook.received[0][1]["embeds"][0]
        assert embed["title"] == "[lighter-bot] guard_block" and {"name": "inventory", "value": "0.31", "inline": True} in embed["fields"]
        assert hook.received[0][1]["allowed_mentions"] == {"parse": []}

    run(body, Webhook())


def test_429_is_retried_after_retry_after() -> None:
    async def body(hook: Webhook, url: str) -> None:
        am = AlertManager(webhook_url=url, min_interval_s=60, clock=Clock(), min_post_gap_s=0)
        await am.start()
        am.halt("reject storm: 8 rejects in 30 s")
        assert await am.flush(10)
        await am.close()
        (t0, first), (t1, second) = hook.received
        assert first == second and t1 - t0 >= 0.3
        assert am.stats.retries_429 == 1 and am.stats.sent == 1 and am.stats.failed == 0

    run(body, Webhook(script=[(429, {"message": "You are being rate limited.", "retry_after": 0.3, "global": False})]))


def test_errors_never_disable_the_webhook() -> None:
    sleeps: list[float] = []

    async def fake_sleep(s: float) -> None:  # the injected sleep: backoffs are recorded, not waited
        sleeps.append(s)
        await asyncio.sleep(0)

    async def body(hook: Webhook, url: str) -> None:
        am = AlertManager(webhook_url=url, min_interval_s=0, clock=Clock(), sleep=fake_sleep, min_post_gap_s=0, max_attempts=3)
        await am.start()
        am.hedger_failure("IOC not filled")  # 400: dropped, webhook stays on
        am.stale_feed("order book", 7.5)  # 500, 500, 500: given up after 3 attempts
        am.halt("account stream lost")  # 502 then 204: delivered
        assert await am.flush(5)
        await am.close()
        kinds = [b["embeds"][0]["title"].split()[-1] for _, b in hook.received]
        assert kinds == ["hedger_failure", "stale_feed", "stale_feed", "stale_feed", "halt", "halt"]
        assert am.stats.sent == 1 and am.stats.failed == 2
        assert sleeps == [1.0, 2.0, 1.0]  # backoff between attempts, none after the last

    run(body, Webhook(script=[(400, {"message": "Cannot send an empty message", "code": 50006}), (500, None), (500, None), (500, None), (502, None)]))


def test_raising_never_waits_for_the_webhook() -> None:
    async def body(hook: Webhook, url: str) -> None:
        am = AlertManager(webhook_url=url, min_interval_s=0, clock=Clock(), min_post_gap_s=0, timeout_s=5)
        await am.start()
        t0 = time.perf_counter()
        for i in range(200):  # more than the queue holds, while the webhook hangs
            am.guard_block(f"reason {i}")
        elapsed = time.perf_counter() - t0
        assert elapsed < 0.5, elapsed
        assert am.stats.dropped >= 200 - am.max_queue - 1  # bounded queue: the oldest go first
        t1 = time.perf_counter()
        await am.close(flush_timeout_s=0.2)
        assert time.perf_counter() - t1 < 2

    run(body, Webhook(delay_s=2.0))


def test_greppable_logs_redaction_and_log_only_mode() -> None:
    secret = "ab" * 40
    am = AlertManager.from_config(AlertsConfig(), clock=Clock(), env={})
    assert am.webhook_url is None
    with capture_logs() as logs:
        assert not am.guard_block(f"bad key {secret}")  # logged, nothing to send
        am.note_reconnect("ws")
    assert logs[0]["event"] == "alert.guard_block" and logs[0]["log_level"] == "warning"
    assert secret not in str(logs) and "***" in logs[0]["message"]
    am2 = AlertManager.from_config(AlertsConfig(discord_webhook_url="http://cfg"), clock=Clock(), env={"DISCORD_WEBHOOK": "http://env"})
    assert am2.webhook_url == "http://env"
    assert AlertManager.from_config(AlertsConfig(enabled=False, discord_webhook_url="http://x"), clock=Clock(), env={}).halt("x") is False


def test_reconnect_storm_and_resolve() -> None:
    clock = Clock()
    am = AlertManager(webhook_url="http://127.0.0.1:9/x", min_interval_s=60, clock=clock, storm_count=3, storm_window_s=10)
    with capture_logs() as logs:
        assert not am.note_reconnect("ws")
        clock.t += 11  # the first one leaves the window
        assert not am.note_reconnect("ws")
        assert not am.note_reconnect("ws")
        assert am.note_reconnect("ws")  # 3 within 10 s
        assert not am.note_reconnect("ws")  # same storm: deduplicated
        assert am.resolve(AlertKind.RECONNECT_STORM, "ws", "ws stable again")
        assert am.note_reconnect("ws")  # re-armed by resolve
    assert [e["event"] for e in logs].count("alert.reconnect_storm") == 3
    assert any(e["event"] == "alert.resolved" for e in logs)
