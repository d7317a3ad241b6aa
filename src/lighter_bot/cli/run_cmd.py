"""`lighter-bot run`: the bot on the simulator (default) or on Lighter, with /health, /metrics, /dashboard."""

from __future__ import annotations

import asyncio
import errno
import math
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
from lighter_bot.records.instance_lock import InstanceLock
from lighter_bot.records.locations import check_paths, sim_run_metrics
from lighter_bot.records.service import RecordsService
from lighter_bot.telemetry.logs import configure_logging, register_secrets
from lighter_bot.telemetry.services import BotServices
from lighter_bot.venues.base import SHUTDOWN_BUDGET_S

log = structlog.get_logger("run")


# The simulator paces the bot in real time: at 100x a 5 s stale-book limit is 50 ms of wall time, and
# above it a busy scenario falls behind its own clock (measured: 1000x on vol_spike, 0 fills and
# 337 MB; `inf` made the clock meaningless and grew ~80 MB/s).
MAX_SPEED = 100.0


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


@user_errors
def run(
    config: Annotated[str | None, typer.Option("--config", help="config file (default: $LIGHTER_CONFIG or config.yaml; builtin-defaults = none)")] = None,
    venue: Annotated[VenueChoice, typer.Option("--venue", help="sim (built-in simulator) or lighter")] = VenueChoice.sim,
    scenario: Annotated[str | None, typer.Option("--scenario", help="simulated market scenario (default: sim.scenario)")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="simulator seed (default: sim.seed)")] = None,
    duration: Annotated[float | None, typer.Option("--duration", min=0.0, callback=_finite, help="stop after this many (simulated) seconds")] = None,
    speed: Annotated[float, typer.Option("--speed", min=0.01, max=MAX_SPEED, callback=_finite, help=f"simulated market speed vs real time (at most {MAX_SPEED:g})")] = 1.0,
    port: Annotated[int | None, typer.Option("--port", min=0, max=65535, help="HTTP port (default: telemetry.port)")] = None,
    host: Annotated[str | None, typer.Option("--host", help="HTTP bind address (default: telemetry.host)")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Lighter REST base URL (--venue lighter)")] = None,
) -> None:
    """Quote, hedge and record fills until Ctrl-C, SIGTERM or --duration; then cancel and summarise.

    Exit codes: 0 clean; 1 an engine task crashed, fills could not be recorded, or orders still rest
    (each says so on stderr); 2 a user mistake (config, flags, ledger path, another instance)."""
    configure_logging()
    cfg = load_config(config)
    if venue is not VenueChoice.sim and speed != 1.0:
        raise fail("--speed only applies to --venue sim")
    check_paths(cfg.metrics)  # also for the simulator, whose run folder sits next to the live ledger
    lock = None
    if venue is VenueChoice.lighter:
        # One bot per ledger (and so per account and market): taken before anything reaches the venue.
        lock = InstanceLock(cfg.metrics.ledger_path, market=cfg.maker.market_id).acquire()
    try:
        summary, records = asyncio.run(_run(cfg, venue, scenario, seed, duration, speed, port, host, base_url))
    finally:
        if lock is not None:
            lock.release()
    typer.echo("summary: " + " | ".join(summary.lines()))
    code = 0
    if summary.error:
        typer.echo(f"error: engine task failed ({summary.error}); orders were cancelled, exiting 1", err=True)
        code = 1
    if records.unrecorded_at_exit:
        where = records.unrecorded_path or "stderr (ledger_unrecorded_fill lines)"
        typer.echo(f"error: {records.unrecorded_at_exit} fill(s) could not be written to the ledger "
                   f"({records.last_error}); saved to {where}: recover them with "
                   f"`lighter-bot metrics import-json --input FILE` (docs/ledger.md)", err=True)
        code = 1
    warning = resting_warning(summary.resting_orders_left)
    if warning:
        typer.echo(warning, err=True)
        code = 1
    if code:
        raise typer.Exit(code)


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
) -> tuple[RunSummary, RecordsService]:
    secrets = load_secrets()
    register_secrets(
        s.get_secret_value() if s else None for s in (secrets.api_private_key, secrets.ws_auth_token, secrets.api_bearer)
    )
    built = await build_venue(cfg, secrets, venue_choice, scenario=scenario, seed=seed, speed=speed, base_url=base_url)
    core = EngineCore(cfg, built.venue.market, built.clock, client_id_base=built.client_id_base)
    # The live ledger holds live fills only: a simulator run records into its own folder.
    metrics = sim_run_metrics(cfg.metrics, built.run_id) if built.run_id is not None else cfg.metrics
    services = BotServices(cfg, core, built.venue, built.clock, built.source, metrics=metrics,
                           clock_kind="simulated" if built.run_id is not None else "wall")
    runner = EngineRunner(core, services.venue, built.clock, sinks=services.sinks, observers=services.observers,
                          ledger=services.records, on_started=services.on_started)
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
             scenario=built.description, ledger=metrics.ledger_path)
    try:
        summary = await runner.run(duration=duration)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await services.close()
    log.info("bot_stopped", **{k: getattr(summary, k) for k in summary.__dataclass_fields__})
    sys.stdout.flush()
    return summary, services.records
