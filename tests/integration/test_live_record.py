"""`lighter-bot record` against the emulator: raw frames with receive times, zstd JSONL, replayable."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import sys
from pathlib import Path

import pytest
import zstandard

harness = pytest.importorskip(
    "lighter_bot.venues.emulator.harness", reason="the Lighter API emulator (branch `emulator`) is not merged yet"
)
BOT = str(Path(sys.executable).parent / "lighter-bot")


def read_lines(path: Path) -> list[dict[str, object]]:
    with path.open("rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as zr:
        return [json.loads(line) for line in io.TextIOWrapper(zr, encoding="utf-8") if line.strip()]


def test_record_writes_replayable_frames_and_stops_on_sigterm(tmp_path: Path) -> None:
    out = tmp_path / "sol.jsonl.zst"

    async def go() -> None:
        async with harness.running_emulator() as emu:
            env = dict(os.environ, NO_PROXY="127.0.0.1,localhost")
            proc = await asyncio.create_subprocess_exec(
                BOT, "record", "--market", "2", "--out", str(out), "--base-url", emu.base_url,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
            )
            await asyncio.sleep(4.0)
            emu.server.drop_ws()  # the recorder reconnects and keeps going
            await asyncio.sleep(3.0)
            proc.send_signal(signal.SIGTERM)
            stdout, _ = await asyncio.wait_for(proc.communicate(), 30)
            assert proc.returncode == 0
            assert b"recorded" in stdout

    asyncio.run(go())
    rows = read_lines(out)
    kinds = {str(r["frame"]["type"]) for r in rows}  # type: ignore[index]
    assert {"subscribed/order_book", "update/order_book", "subscribed/trade"} <= kinds
    assert sum(1 for r in rows if r["frame"]["type"] == "subscribed/order_book") >= 2  # type: ignore[index]
    ts = [float(r["ts"]) for r in rows]  # type: ignore[arg-type]
    assert ts == sorted(ts) and ts[-1] - ts[0] > 5
    replay = pytest.importorskip("lighter_bot.venues.sim.replay")
    loaded = replay.load([out])
    assert loaded.market.market_id == 2 and sum(len(c) for c in loaded.chunks()) > 10


def test_record_rejects_a_non_zst_name(tmp_path: Path) -> None:
    import subprocess

    r = subprocess.run([BOT, "record", "--market", "2", "--out", str(tmp_path / "x.jsonl"), "--duration", "1"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "zstd" in r.stderr and "Traceback" not in r.stderr
