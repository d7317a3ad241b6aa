"""`lighter-bot emulator` as a process: first stdout line, key registration flags, bad flags, a
simulator-backed market the SDK trades on, and a clean exit on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import lighter
from lighter.signer_client import SignerClient, create_api_key

from lighter_bot.domain.market import SOL_PERP

CLI = [str(Path(sys.executable).parent / "lighter-bot"), "emulator"]
M = SOL_PERP.market_id


def start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    proc = subprocess.Popen(
        [*CLI, "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, proc.stderr.read() if proc.stderr else ""
    return proc, json.loads(line)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    return err


def test_generated_key_trades_on_a_simulated_market() -> None:
    proc, creds = start("--scenario", "calm", "--seed", "3", "--speed", "4")
    try:
        assert set(creds) == {"base_url", "ws_url", "account_index", "api_key_index", "api_private_key"}
        assert creds["ws_url"] == creds["base_url"].replace("http://", "ws://") + "/stream"

        async def body() -> tuple[int, int]:
            c = SignerClient(
                creds["base_url"], creds["account_index"], {creds["api_key_index"]: creds["api_private_key"]}
            )
            api = lighter.ApiClient(lighter.Configuration(host=creds["base_url"]))
            try:
                assert c.check_client() is None  # another process serves it: blocking is fine here
                obo = await lighter.OrderApi(api).order_book_orders(market_id=M, limit=1)
                for _ in range(50):
                    if obo.bids and obo.asks:
                        break
                    await asyncio.sleep(0.1)
                    obo = await lighter.OrderApi(api).order_book_orders(market_id=M, limit=1)
                bid = int(obo.bids[0].price.replace(".", ""))
                ask = int(obo.asks[0].price.replace(".", ""))
                assert 0 < bid < ask
                # rest post-only quotes at the touch; the simulated flow fills some of them
                accepted = 0
                for i in range(6):
                    for coi, px, is_ask in ((10 + 2 * i, bid, False), (11 + 2 * i, ask, True)):
                        _, resp, err = await c.create_order(M, coi, 100, px, is_ask, 0, 2)
                        assert err is None and resp.code == 200
                        accepted += 1
                    await asyncio.sleep(0.5)
                token, _ = c.create_auth_token_with_expiry()
                trades = await lighter.OrderApi(api).trades(
                    sort_by="timestamp", limit=100, account_index=creds["account_index"], authorization=token
                )
                return accepted, len(trades.trades)
            finally:
                await api.close()
                await c.close()

        accepted, fills = asyncio.run(asyncio.wait_for(body(), 60))
        assert accepted == 12 and fills >= 1
    finally:
        err = stop(proc)
    assert creds["api_private_key"] not in err  # printed once, on stdout, by design


def test_registering_a_caller_key_and_bad_flags() -> None:
    priv, pub, _ = create_api_key()
    proc, creds = start("--scenario", "memory", "--account-index", "7", "--api-key-index", "9", "--api-public-key", pub)
    try:
        assert (creds["account_index"], creds["api_key_index"], creds["api_private_key"]) == (7, 9, None)

        async def check() -> Any:
            c = SignerClient(creds["base_url"], 7, {9: priv})
            try:
                return c.check_client()
            finally:
                await c.close()

        assert asyncio.run(check()) is None
    finally:
        stop(proc)
    for args, needle in (
        (["--account-index", "7"], "go together"),
        (["--account-index", "7", "--api-key-index", "9", "--api-public-key", "abc"], "80 hex"),
        (["--faults", "ws_drop"], "ws_drop needs at=T or every=D"),
        (["--scenario", "nope"], "unknown scenario 'nope'"),
        (["--speed", "0"], "--speed must be > 0"),
    ):
        t0 = time.monotonic()
        res = subprocess.run([*CLI, "--port", "0", *args], capture_output=True, text=True, timeout=30)
        assert res.returncode == 2 and needle in res.stderr and "Traceback" not in res.stderr, (args, res.stderr)
        assert res.stdout == "" and time.monotonic() - t0 < 30
