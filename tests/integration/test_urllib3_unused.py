"""lighter-sdk 1.1.8 holds urllib3 at 2.0.7 (< 2.1), below the fixes for CVE-2024-37891 and
CVE-2025-50181. docs/operations.md states what that means for the bot: none of its own traffic goes
through urllib3 (REST and WebSocket are aiohttp; the SDK's only urllib3/requests call is a blocking
nonce fallback the bot never uses, as it manages nonces itself). This test keeps that true: a live
venue session against the emulator (start, quotes, trade history, shutdown) with urllib3's and
requests' request paths made to fail loudly if anything calls them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import requests
import urllib3
from pydantic import SecretStr

from lighter_bot.config import BotConfig, Secrets
from lighter_bot.domain.commands import PlaceOrder
from lighter_bot.domain.orders import Side, TimeInForce
from lighter_bot.engine.clock import LiveClock

harness = pytest.importorskip("lighter_bot.venues.emulator.harness")


def test_a_live_session_sends_nothing_through_urllib3_or_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def refuse(name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"{name} was used")

        return call

    monkeypatch.setattr(urllib3.connectionpool.HTTPConnectionPool, "urlopen", refuse("urllib3"))
    monkeypatch.setattr(requests.Session, "request", refuse("requests"))

    async def go() -> None:
        from lighter_bot.venues.lighter.venue import LighterVenue

        be = harness.memory_backend(trade_every_s=1e9)
        async with harness.running_emulator(be, cancel_all_min_delay_s=1.0) as emu:
            secrets = Secrets(api_private_key=SecretStr(emu.api_private_key), account_index=emu.account_index,
                              api_key_index=emu.api_key_index)
            venue = LighterVenue.create(BotConfig(), secrets, LiveClock(), base_url=emu.base_url)
            await venue.load_market()
            await venue.start()
            await venue.submit([PlaceOrder(1, Side.BID, be.best_bid - 50, 80, TimeInForce.POST_ONLY)])
            for _ in range(50):
                if emu.exchange.open_orders(emu.account_index):
                    break
                await asyncio.sleep(0.05)
            assert emu.exchange.open_orders(emu.account_index), "the quote never reached the emulator"
            history = await venue.fills_since(0.0)
            assert history.complete and history.position_lots == 0
            assert await venue.shutdown() == 0

    asyncio.run(asyncio.wait_for(go(), 60))
    assert calls == []
