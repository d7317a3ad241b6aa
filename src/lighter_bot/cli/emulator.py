"""`lighter-bot emulator`: serve a Lighter-compatible API on loopback, backed by the simulator.

Without --account-index/--api-key-index/--api-public-key it generates a throwaway API key and
prints, as the FIRST stdout line, one JSON object with base_url, ws_url, account_index,
api_key_index and api_private_key (the one place a key is printed, by design: it is a test key
for a server that only exists on this machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import sys
from typing import Annotated

import typer

from lighter_bot.cli.common import user_errors
from lighter_bot.domain.request_budget import TIERS
from lighter_bot.errors import ConfigError
from lighter_bot.venues.emulator.faults import parse_faults
from lighter_bot.venues.emulator.harness import make_backend, running_emulator
from lighter_bot.venues.emulator.settings import EmulatorConfig

_PUBKEY = re.compile(r"^(0x)?[0-9a-fA-F]{80}$")


def _config(
    host: str,
    port: int,
    seed: int,
    speed: float,
    faults: str,
    tier: str,
    account_index: int | None,
    api_key_index: int | None,
    api_public_key: str | None,
) -> EmulatorConfig:
    problems: list[str] = []
    given = [v is not None for v in (account_index, api_key_index, api_public_key)]
    if any(given) and not all(given):
        problems.append("--account-index, --api-key-index and --api-public-key go together (or omit all three)")
    if api_public_key is not None and not _PUBKEY.match(api_public_key):
        problems.append(
            "--api-public-key must be 80 hex characters (as create_api_key() returns), optionally 0x-prefixed"
        )
    if api_key_index is not None and not 0 <= api_key_index <= 254:
        problems.append("--api-key-index must be 0..254")
    if account_index is not None and account_index < 0:
        problems.append("--account-index must be >= 0")
    if not 0 <= port <= 65535:
        problems.append("--port must be 0..65535")
    if not 0 < speed <= 100:  # also refuses inf and nan: a paced market cannot run infinitely fast
        problems.append("--speed must be > 0 and at most 100")
    if tier not in TIERS:
        problems.append(f"--tier must be one of {sorted(TIERS)}")
    if problems:
        raise ConfigError(problems, "emulator flags")
    parse_faults(faults)  # fail fast with the grammar error
    base = EmulatorConfig()
    return EmulatorConfig(
        host=host,
        port=port,
        seed=seed,
        speed=speed,
        faults=faults,
        tier=tier,
        account_index=base.account_index if account_index is None else account_index,
        api_key_index=base.api_key_index if api_key_index is None else api_key_index,
        api_public_key=api_public_key,
    )


async def _serve(cfg: EmulatorConfig, scenario: str, duration: float | None) -> None:
    backend = make_backend(scenario, cfg.seed, cfg.tier)
    async with running_emulator(backend, config=cfg) as emu:
        print(json.dumps(emu.credentials_json()), flush=True)
        print(
            f"lighter emulator on {emu.base_url} (ws {emu.ws_url}), scenario {scenario}, seed {cfg.seed}, "
            f"speed {cfg.speed}, faults {cfg.faults or 'none'}; Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=duration)


@user_errors
def serve(
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port)")] = 8787,
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    scenario: Annotated[
        str, typer.Option(help="simulator scenario, or 'memory' for the built-in test book")
    ] = "memory",
    seed: Annotated[int, typer.Option(help="seed for the market and the faults")] = 1,
    speed: Annotated[float, typer.Option(help="simulated seconds per wall second")] = 1.0,
    faults: Annotated[
        str, typer.Option(help="fault spec, e.g. ws_drop:every=30s,http5xx:p=0.02 (docs/emulator.md)")
    ] = "",
    tier: Annotated[str, typer.Option(help="account tier: standard (60 tx/min) or premium")] = "standard",
    account_index: Annotated[int | None, typer.Option(help="register this account (with the two key flags)")] = None,
    api_key_index: Annotated[int | None, typer.Option(help="API key index to register")] = None,
    api_public_key: Annotated[
        str | None, typer.Option(help="public key from lighter.signer_client.create_api_key()")
    ] = None,
    duration: Annotated[float | None, typer.Option(help="stop after this many seconds")] = None,
) -> None:
    """Serve Lighter's REST API and /stream WebSocket on loopback, backed by the simulator."""
    cfg = _config(host, port, seed, speed, faults, tier, account_index, api_key_index, api_public_key)
    try:
        asyncio.run(_serve(cfg, scenario, duration))
    except OSError as exc:
        raise ConfigError(
            [f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick another --port"], "emulator"
        ) from None
