"""HTTP endpoints of the running bot: GET /health (JSON, 200/503) and GET /metrics (Prometheus)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lighter_bot.telemetry.health import HealthReport
from lighter_bot.telemetry.metrics import BotMetrics

HEALTH_KEY: web.AppKey[Callable[[], HealthReport]] = web.AppKey("health")
METRICS_KEY = web.AppKey("metrics", BotMetrics)
REFRESH_KEY: web.AppKey[Callable[[], None]] = web.AppKey("refresh")


async def health(request: web.Request) -> web.Response:
    report = request.app[HEALTH_KEY]()
    return web.json_response(report.body, status=200 if report.healthy else 503)


async def metrics(request: web.Request) -> web.Response:
    request.app[REFRESH_KEY]()
    body = generate_latest(request.app[METRICS_KEY].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def make_app(health_fn: Callable[[], HealthReport], bot_metrics: BotMetrics, refresh: Callable[[], None]) -> web.Application:
    app = web.Application()
    app[HEALTH_KEY] = health_fn
    app[METRICS_KEY] = bot_metrics
    app[REFRESH_KEY] = refresh
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    return app


async def start_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner
