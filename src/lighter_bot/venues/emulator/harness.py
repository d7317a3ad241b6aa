"""Start an emulator in-process: `async with running_emulator(...) as emu:` gives a base URL, a WS
URL, a registered test account/API key and the exchange itself, for tests and the CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from lighter_bot.domain.market import SOL_PERP, MarketSpec
from lighter_bot.engine.clock import Clock, LiveClock
from lighter_bot.errors import ConfigError
from lighter_bot.venues.emulator.backend import ExchangeBackend
from lighter_bot.venues.emulator.exchange import EmulatedExchange
from lighter_bot.venues.emulator.faults import FaultPlan, parse_faults
from lighter_bot.venues.emulator.memory import MemoryBackend
from lighter_bot.venues.emulator.server import EmulatorServer
from lighter_bot.venues.emulator.settings import EmulatorConfig
from lighter_bot.venues.emulator.sim_backend import sim_backend


@dataclass(frozen=True)
class EmulatorHandle:
    base_url: str  # http://127.0.0.1:PORT (what SignerClient / Configuration(host=...) take)
    ws_url: str  # ws://127.0.0.1:PORT/stream
    account_index: int
    api_key_index: int
    api_private_key: str | None  # None when the caller registered its own public key
    exchange: EmulatedExchange
    server: EmulatorServer

    def credentials_json(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "ws_url": self.ws_url,
            "account_index": self.account_index,
            "api_key_index": self.api_key_index,
            "api_private_key": self.api_private_key,
        }


def generate_api_key() -> tuple[str, str]:
    """A fresh (private, public) key pair from the SDK's bundled signer (offline)."""
    from lighter.signer_client import create_api_key

    priv, pub, err = create_api_key()  # type: ignore[no-untyped-call]
    if err or not priv or not pub:
        raise ConfigError([f"could not generate an API key with the bundled signer: {err}"], "emulator")
    return str(priv), str(pub)


def memory_backend(market: MarketSpec = SOL_PERP, seed: int = 1, **kw: Any) -> MemoryBackend:
    """The protocol-test backend: SOL-like book around 150.000 with trades every 0.5 s."""
    mid = market.price_to_ticks_down(150)
    opts: dict[str, Any] = {"trade_every_s": 0.5, "walk_every_s": 1.0, "level_size": 10 * market.min_size_lots}
    opts.update(kw)
    return MemoryBackend(market, mid, seed=seed, **opts)


def make_backend(scenario: str, seed: int, tier: str = "standard", market: MarketSpec = SOL_PERP) -> ExchangeBackend:
    """`memory` is the built-in protocol backend; any other name is a simulator scenario."""
    if scenario == "memory":
        return memory_backend(market, seed)
    return sim_backend(scenario, seed, market, tier)


@asynccontextmanager
async def running_emulator(
    backend: ExchangeBackend | None = None,
    *,
    config: EmulatorConfig | None = None,
    scenario: str = "sol_day",
    wall: Clock | None = None,
    **overrides: Any,
) -> AsyncIterator[EmulatorHandle]:
    """Serve an emulator on a free loopback port (unless `port=` is given) for the duration.

    Without `api_public_key` it generates a throwaway API key and returns its private key.
    `overrides` are EmulatorConfig fields (e.g. faults="ws_drop:every=2s", speed=5, seed=3).
    """
    cfg = config or EmulatorConfig(port=0)
    if overrides:
        cfg = replace(cfg, **overrides)
    faults = FaultPlan(parse_faults(cfg.faults), cfg.seed)
    private_key: str | None = None
    public_key = cfg.api_public_key
    if public_key is None:
        private_key, public_key = generate_api_key()
    be = backend if backend is not None else make_backend(scenario, cfg.seed, cfg.tier)
    exchange = EmulatedExchange(be, cfg, wall or LiveClock(), faults)
    exchange.register_key(cfg.account_index, cfg.api_key_index, public_key)
    server = EmulatorServer(exchange)
    port = await server.start()
    host = cfg.host
    try:
        yield EmulatorHandle(
            base_url=f"http://{host}:{port}",
            ws_url=f"ws://{host}:{port}/stream",
            account_index=cfg.account_index,
            api_key_index=cfg.api_key_index,
            api_private_key=private_key,
            exchange=exchange,
            server=server,
        )
    finally:
        await server.stop()
