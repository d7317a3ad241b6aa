"""`lighter-bot record`: save Lighter's raw book/trade/market_stats frames for the simulator to replay."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer

from lighter_bot.cli import flags
from lighter_bot.cli.common import fail, user_errors
from lighter_bot.config import load_config
from lighter_bot.engine.clock import LiveClock
from lighter_bot.telemetry.logs import configure_logging
from lighter_bot.venues.lighter.recorder import Recorder
from lighter_bot.venues.lighter.venue import ws_url_for


@user_errors
def record(
    market: Annotated[int, flags.market_id("Lighter market index (e.g. 2 = SOL)", min=0)],
    out: Annotated[Path, flags.output("output file, zstd-compressed JSONL (name it *.jsonl.zst)")],
    base_url: Annotated[str | None, typer.Option("--base-url", help="Lighter REST base URL (default: api.base_url)")] = None,
    duration: Annotated[float | None, typer.Option("--duration", min=0.0, help="stop after this many seconds")] = None,
    config: Annotated[str | None, typer.Option("--config", help="config file (default: $LIGHTER_CONFIG or config.yaml)")] = None,
) -> None:
    """Record until Ctrl-C, SIGTERM or --duration; each line is {"ts": receive epoch s, "frame": raw frame}."""
    configure_logging()
    if out.suffix != ".zst":
        raise fail(f"--output {out}: the recording is zstd-compressed; name it *.jsonl.zst (e.g. {out.stem}.jsonl.zst)")
    if not out.parent.is_dir():
        raise fail(f"--output {out}: directory {out.parent} does not exist")
    if base_url is None:
        cfg = load_config(config)
        ws_url = cfg.api.ws_url or ws_url_for(cfg.api.base_url)
    else:
        ws_url = ws_url_for(base_url)
    frames = asyncio.run(_record(ws_url, market, out, duration))
    typer.echo(f"recorded {frames} frames of market {market} to {out}")


async def _record(ws_url: str, market: int, out: Path, duration: float | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await Recorder(ws_url, market, out, LiveClock()).run(duration, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
