"""`lighter-bot run`: the bot on the simulator (default) or on Lighter, with /health, /metrics, /dashboard."""

from __future__ import annotations

import asyncio
import errno
import signal
import sys
from typing import Annotated

import structlog
import typer

from lighter_bot.cli.common import fail, user_errors
from lighter_bot.cli.wiring import VenueChoice, build_venue
from lighter_bot.config import BotConfig, load_config, load_secrets
from lighter_bot.engine.core import EngineCore
from lighter_bot.engine.runner import EngineRunner, RunSummary
from lighter_bot.telemetry.logs import configure_logging, register_secrets
from lighter_bot.telemetry.services import BotServices
from lighter_bot.venues.base import SHUTDOWN_BUDGET_S

log = structlog.get_logger("run")


@user_errors
def run(
    config: Annotated[str | None, typer.Option("--config", help="config file (default: $LIGHTER_CONFIG or config.yaml)")] = None,
    venue: Annotated[VenueChoice, typer.Option("--venue", help="sim (built-in simulator) or lighter")] = VenueChoice.sim,
    scenario: Annotated[str | None, typer.Option("--scenario", help="simulated market scenario (default: sim.scenario)")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="simulator seed (default: sim.seed)")] = None,
    duration: Annotated[float | None, typer.Option("--duration", min=0.0, help="stop after this many (simulated) seconds")] = None,
    speed: Annotated[float, typer.Option("--speed", min=0.01, help="simulated market speed vs real time")] = 1.0,
    port: Annotated[int | None, typer.Option("--port", min=0, max=65535, help="HTTP port (default: telemetry.port)")] = None,
    host: Annotated[str | None, typer.Option("--host", help="HTTP bind address (default: telemetry.host)")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Lighter REST base URL (--venue lighter)")] = None,
) -> None:
    """Quote, hedge and record fills until Ctrl-C, SIGTERM or --duration; then cancel and summarise."""
    configure_logging()
    cfg = load_config(config)
    if venue is not VenueChoice.sim and speed != 1.0:
        raise fail("--speed only applies to --venue sim")
    summary = asyncio.run(_run(cfg, venue, scenario, seed, duration, speed, port, host, base_url))
    typer.echo("summary: " + " | ".join(summary.lines()))
    warning = resting_warning(summary.resting_orders_left)
    if warning:
        typer.echo(warning, err=True)
        raise typer.Exit(1)


def resting_warning(left: int) -> str | None:
    """What to say when shutdown could not confirm a clean exchange (None when it did): -1 means the
    exchange did not answer in time, not "-1 orders"."""
    if left < 0:
        return (f"warning: could not confirm that no order of ours rests: the exchange did not answer within the "
                f"{SHUTDOWN_BUDGET_S:g} s shutdown budget. On Lighter the dead-man switch cancels anything left "
                "within 6 minutes; the next start cancels it at once.")
    if left:
        return (f"warning: {left} order(s) of ours still resting after shutdown (the exchange's listing); the next "
                "start cancels them, the dead-man switch within 6 minutes")
    return None


async def _run(
    cfg: BotConfig,
    venue_choice: VenueChoice,
    scenario: str | None,
    seed: int | None,
    duration: float | None,
    speed: float,
    port: int | None,
    host: str | None,
    base_url: str | None,
) -> RunSummary:
    secrets = load_secrets()
    register_secrets(
        s.get_secret_value() if s else None for s in (secrets.api_private_key, secrets.ws_auth_token, secrets.api_bearer)
    )
    built = await build_venue(cfg, secrets, venue_choice, scenario=scenario, seed=seed, speed=speed, base_url=base_url)
    core = EngineCore(cfg, built.venue.market, built.clock, client_id_base=built.client_id_base)
    services = BotServices(cfg, core, built.venue, built.clock, built.source)
    runner = EngineRunner(core, services.venue, built.clock, sinks=services.sinks, observers=services.observers)
    bind_host, bind_port = host or cfg.telemetry.host, cfg.telemetry.port if port is None else port
    try:
        await services.start(bind_host, bind_port, serve=cfg.telemetry.enabled)
    except OSError as exc:
        hint = " (another process is using it: stop it or pass --port)" if exc.errno == errno.EADDRINUSE else ""
        raise fail(f"cannot listen on {bind_host}:{bind_port}: {exc.strerror}{hint}") from None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runner.stop)
    log.info("bot_started", venue=venue_choice.value, market=built.venue.market.symbol, config_hash=cfg.config_hash(),
             scenario=built.description)
    try:
        summary = await runner.run(duration=duration)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await services.close()
    log.info("bot_stopped", **{k: getattr(summary, k) for k in summary.__dataclass_fields__})
    sys.stdout.flush()
    return summary
