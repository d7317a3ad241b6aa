"""HTTP endpoints of the running bot: GET /health (JSON, 200/503), GET /metrics (Prometheus),
GET / (redirects to the dashboard), GET /dashboard (one page), /dashboard/data.json (its data) and /static/* (its scripts, incl.
plotly.min.js served from the installed `plotly` package: no CDN, works offline)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lighter_bot.telemetry.health import HealthReport
from lighter_bot.telemetry.metrics import BotMetrics

HEALTH_KEY: web.AppKey[Callable[[], HealthReport]] = web.AppKey("health")
METRICS_KEY = web.AppKey("metrics", BotMetrics)
REFRESH_KEY: web.AppKey[Callable[[], None]] = web.AppKey("refresh")
DATA_KEY: web.AppKey[Callable[[], dict[str, Any]]] = web.AppKey("dashboard_data")

STATIC_DIR = Path(__file__).resolve().parent / "static"
_STATIC_TYPES = {".js": "application/javascript", ".html": "text/html", ".css": "text/css"}


def plotly_js_path() -> Path:
    """plotly.min.js: a copy in telemetry/static if present, else the installed plotly package's."""
    local = STATIC_DIR / "plotly.min.js"
    if local.is_file():
        return local
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


async def health(request: web.Request) -> web.Response:
    report = request.app[HEALTH_KEY]()
    return web.json_response(report.body, status=200 if report.healthy else 503)


async def metrics(request: web.Request) -> web.Response:
    request.app[REFRESH_KEY]()
    body = generate_latest(request.app[METRICS_KEY].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def index(request: web.Request) -> web.Response:
    """GET /: the dashboard when it is served, else what is."""
    if DATA_KEY in request.app:
        raise web.HTTPFound("/dashboard")
    return web.json_response({"endpoints": ["/health", "/metrics"]})


async def dashboard(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "dashboard.html", headers={"Cache-Control": "no-cache"})


async def dashboard_data(request: web.Request) -> web.Response:
    return web.json_response(request.app[DATA_KEY](), headers={"Cache-Control": "no-store"})


async def static(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    path = plotly_js_path() if name == "plotly.min.js" else STATIC_DIR / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise web.HTTPNotFound()
    ctype = _STATIC_TYPES.get(path.suffix, "application/octet-stream")
    return web.FileResponse(path, headers={"Content-Type": ctype, "Cache-Control": "max-age=3600"})


def make_app(
    health_fn: Callable[[], HealthReport],
    bot_metrics: BotMetrics,
    refresh: Callable[[], None],
    data_fn: Callable[[], dict[str, Any]] | None = None,
) -> web.Application:
    app = web.Application()
    app[HEALTH_KEY] = health_fn
    app[METRICS_KEY] = bot_metrics
    app[REFRESH_KEY] = refresh
    app.router.add_get("/", index)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    if data_fn is not None:
        app[DATA_KEY] = data_fn
        app.router.add_get("/dashboard", dashboard)
        app.router.add_get("/dashboard/", dashboard)
        app.router.add_get("/dashboard/data.json", dashboard_data)
        app.router.add_get("/static/{name}", static)
    return app


async def start_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The actual port (useful with port 0)."""
    for site in runner.sites:
        server = getattr(site, "_server", None)
        socks = getattr(server, "sockets", None) or []
        for s in socks:
            port: int = s.getsockname()[1]
            return port
    raise RuntimeError("server not started")
