"""Every `--faults` kind is observable on the wire, deterministic given the seed, and the grammar
rejects bad specs with a message naming the problem."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lighter.signer_client import SignerClient

from lighter_bot.domain.market import SOL_PERP
from lighter_bot.errors import ConfigError
from lighter_bot.venues.emulator import EmulatorHandle, memory_backend, running_emulator
from lighter_bot.venues.emulator.faults import FaultPlan, parse_duration, parse_faults

pytestmark = pytest.mark.filterwarnings("ignore:websockets.client.connect is deprecated:DeprecationWarning")
M = SOL_PERP.market_id


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))  # type: ignore[arg-type]


def moving() -> Any:
    return memory_backend(trade_every_s=None, walk_every_s=0.05)


async def book_frames(emu: EmulatorHandle, seconds: float) -> list[tuple[float, dict[str, Any]]]:
    """(seconds since emulator start, frame) of order_book frames received for `seconds`."""
    out: list[tuple[float, dict[str, Any]]] = []
    async with aiohttp.ClientSession() as http, http.ws_connect(emu.ws_url) as ws:
        await ws.send_json({"type": "subscribe", "channel": f"order_book/{M}"})
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await ws.receive_json(timeout=left)
            except TimeoutError:
                break
            if msg.get("type", "").endswith("order_book"):
                out.append((emu.exchange.elapsed(), msg))
    return out


def gaps(frames: list[tuple[float, dict[str, Any]]]) -> int:
    n, prev = 0, None
    for _, f in frames:
        ob = f["order_book"]
        if prev is not None and ob["begin_nonce"] != prev:
            n += 1
        prev = ob["nonce"]
    return n


def test_book_stream_is_continuous_without_faults_and_gaps_with_book_gap() -> None:
    async def body() -> None:
        async with running_emulator(moving()) as emu:
            frames = await book_frames(emu, 1.0)
            assert frames[0][1]["type"] == "subscribed/order_book" and len(frames) > 10
            assert gaps(frames) == 0
        async with running_emulator(moving(), faults="book_gap:p=0.3", seed=5) as emu:
            frames = await book_frames(emu, 1.0)
            assert gaps(frames) >= 1
            assert emu.exchange.book_gaps >= gaps(frames)

    run(body())


def test_frozen_book_stops_updates_then_resumes_continuously() -> None:
    async def body() -> None:
        async with running_emulator(moving(), faults="frozen_book:at=0.4s:for=0.8s") as emu:
            frames = await book_frames(emu, 1.8)
            during = [t for t, f in frames if 0.45 < t < 1.15 and f["type"] == "update/order_book"]
            after = [t for t, f in frames if t > 1.25]
            before = [t for t, f in frames if t < 0.38 and f["type"] == "update/order_book"]
            assert before and after and during == []
            assert gaps(frames) == 0  # the connection stayed up and the nonces still chain

    run(body())


def test_ws_drop_and_shutdown_frames() -> None:
    async def body() -> None:
        async with running_emulator(moving(), faults="ws_drop:every=0.5s") as emu, aiohttp.ClientSession() as http:
            async with http.ws_connect(emu.ws_url) as ws:
                started = time.monotonic()
                while True:
                    msg = await ws.receive(timeout=3)
                    if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.ERROR):
                        break
                assert time.monotonic() - started < 1.5
                assert ws.close_code != 1000  # abrupt: no normal close
            assert emu.exchange.faults.counts["ws_drop"] >= 1
        async with (
            running_emulator(moving(), faults="shutdown:at=0.3s:close_in_ms=200") as emu,
            aiohttp.ClientSession() as http,
            http.ws_connect(emu.ws_url) as ws,
        ):
            frames = []
            while True:
                msg = await ws.receive(timeout=3)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                frames.append(msg.json())
            assert {"type": "shutdown", "close_in_ms": 200} in frames
            assert ws.close_code == 1001

    run(body())


def test_pings_pongs_and_no_pong() -> None:
    async def app_pong(emu: EmulatorHandle) -> bool:
        async with aiohttp.ClientSession() as http, http.ws_connect(emu.ws_url, autoping=False) as ws:
            await ws.receive_json()  # connected
            await ws.send_json({"type": "ping"})
            try:
                return bool((await ws.receive_json(timeout=0.5)) == {"type": "pong"})
            except TimeoutError:
                return False

    async def frame_pong(emu: EmulatorHandle) -> bool:
        async with aiohttp.ClientSession() as http, http.ws_connect(emu.ws_url, autoping=False) as ws:
            await ws.receive_json()
            await ws.ping(b"hb")
            try:
                msg = await ws.receive(timeout=0.5)
            except TimeoutError:
                return False
            return msg.type == aiohttp.WSMsgType.PONG

    async def body() -> None:
        async with running_emulator(moving()) as emu:
            assert await app_pong(emu) and await frame_pong(emu)
        async with running_emulator(moving(), faults="no_pong") as emu:
            assert not await app_pong(emu) and not await frame_pong(emu)
        # the server's own {"type":"ping"}: unanswered => 1008 "no pong"; answered => stays open
        async with (
            running_emulator(moving(), ws_ping_interval_s=0.2, ws_pong_timeout_s=0.3) as emu,
            aiohttp.ClientSession() as http,
        ):
            async with http.ws_connect(emu.ws_url) as ws:
                while (msg := await ws.receive(timeout=3)).type == aiohttp.WSMsgType.TEXT:
                    pass
                assert (ws.close_code, msg.extra) == (1008, "no pong")
            async with http.ws_connect(emu.ws_url) as ws:
                end = time.monotonic() + 1.2
                pings = 0
                while time.monotonic() < end:
                    msg = await ws.receive(timeout=1)
                    assert msg.type == aiohttp.WSMsgType.TEXT
                    if msg.json() == {"type": "ping"}:
                        pings += 1
                        await ws.send_json({"type": "pong"})
                assert pings >= 3 and not ws.closed

    run(body())


def test_http_faults_429_burst_5xx_and_slow_ack() -> None:
    async def statuses(emu: EmulatorHandle, n: int) -> list[int]:
        out = []
        async with aiohttp.ClientSession() as http:
            for _ in range(n):
                async with http.get(f"{emu.base_url}/api/v1/orderBooks") as r:
                    out.append(r.status)
                    if r.status == 429:
                        assert await r.json() == {"code": 23000, "message": "Too Many Requests!"}
        return out

    async def body() -> None:
        async with running_emulator(moving(), faults="http429:burst=3@0.3s") as emu:
            assert await statuses(emu, 2) == [200, 200]
            await asyncio.sleep(0.35)
            assert await statuses(emu, 5) == [429, 429, 429, 200, 200]
        seqs = []
        for _ in range(2):
            async with running_emulator(moving(), faults="http5xx:p=0.5", seed=11) as emu:
                seqs.append(await statuses(emu, 20))
        assert seqs[0] == seqs[1] and 503 in seqs[0] and 200 in seqs[0]  # deterministic given the seed
        async with running_emulator(moving(), faults="http5xx:p=0.5", seed=12) as emu:
            assert await statuses(emu, 20) != seqs[0]

        backend = memory_backend(trade_every_s=None, walk_every_s=None)
        async with running_emulator(backend, faults="slow_ack:ms=400") as emu:
            assert emu.api_private_key is not None
            c = SignerClient(emu.base_url, emu.account_index, {emu.api_key_index: emu.api_private_key})
            try:
                t0 = time.monotonic()
                _, resp, err = await c.create_order(M, 1, 100, backend.best_bid - 3, False, 0, 2)
                assert err is None and resp.code == 200
                assert time.monotonic() - t0 >= 0.4
                # the tx was applied on arrival: the order is on the book before the ack came back
                (rec,) = emu.exchange.orders.values()
                assert rec.status == "open" and rec.updated_ms < int(time.time() * 1000) - 200
            finally:
                await c.close()

    run(body())


# -- grammar and determinism (pure) --------------------------------------------------------------


def test_spec_from_the_docs_parses() -> None:
    spec = "ws_drop:every=30s,shutdown:at=60s,no_pong,book_gap:p=0.01,http429:burst=5@40s,http5xx:p=0.02,slow_ack:ms=800,frozen_book:at=90s:for=20s"
    faults = parse_faults(spec)
    assert [f.kind for f in faults] == [
        "ws_drop",
        "shutdown",
        "no_pong",
        "book_gap",
        "http429",
        "http5xx",
        "slow_ack",
        "frozen_book",
    ]
    assert faults[0].every == 30 and faults[4].count == 5 and faults[4].at == 40 and faults[6].ms == 800
    assert faults[7].at == 90 and faults[7].duration == 20


@pytest.mark.parametrize(
    "spec,needle",
    [
        ("wsdrop:every=1s", "unknown fault kind 'wsdrop'"),
        ("ws_drop", "ws_drop needs at=T or every=D"),
        ("book_gap:p=2", "must be a probability"),
        ("http429:burst=5", "burst=N@T"),
        ("frozen_book:for=3s", "frozen_book needs at=T"),
        ("slow_ack:ms=x", "slow_ack needs ms=N"),
        ("ws_drop:every=soon", "not a duration"),
        ("http5xx:p=0.1:colour=red", "unknown parameter 'colour'"),
    ],
)
def test_bad_specs_name_the_problem(spec: str, needle: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_faults(spec)
    assert needle in str(exc.value)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10**6), p=st.floats(0.0, 1.0), n=st.integers(1, 200))
def test_probability_faults_are_deterministic_per_seed(seed: int, p: float, n: int) -> None:
    faults = parse_faults(f"http5xx:p={p},book_gap:p={p}")
    a, b = FaultPlan(faults, seed), FaultPlan(faults, seed)
    seq_a = [(a.http_fault(i) is not None, a.chance("book_gap", i)) for i in range(n)]
    seq_b = [(b.http_fault(i) is not None, b.chance("book_gap", i)) for i in range(n)]
    assert seq_a == seq_b
    assert a.log == b.log


@given(value=st.floats(0.001, 10_000), unit=st.sampled_from(["ms", "s", "m", "h", ""]))
def test_durations(value: float, unit: str) -> None:
    text = f"{value:.3f}{unit}"
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "": 1.0}[unit]
    assert parse_duration(text, "x") == pytest.approx(float(f"{value:.3f}") * scale)


def test_timer_faults_fire_on_schedule() -> None:
    plan = FaultPlan(parse_faults("ws_drop:every=10s,shutdown:at=25s"), 1)
    fired = [t for t in range(0, 60) if plan.fired("ws_drop", t)]
    assert fired == [10, 20, 30, 40, 50]
    assert [t for t in range(0, 60) if plan.fired("shutdown", t)] == [25]
    window = FaultPlan(parse_faults("frozen_book:at=5s:for=3s:every=10s"), 1)
    assert [t for t in range(0, 30) if window.active("frozen_book", t)] == [5, 6, 7, 15, 16, 17, 25, 26, 27]


def test_simulator_backed_book_stream_is_continuous_and_matches_the_sim() -> None:
    async def body() -> None:
        async with running_emulator(scenario="calm", seed=4, speed=2.0) as emu:
            frames = await book_frames(emu, 1.5)
            updates = [f for _, f in frames if f["type"] == "update/order_book"]
            assert len(updates) >= 5 and gaps(frames) == 0
            # the published levels are the simulator's book (no orders of ours rest)
            sim_book = emu.exchange.market_book
            assert sim_book.best_bid is not None and emu.exchange.book().best_bid == sim_book.best_bid

    run(body())
