"""The real bot against the emulator for N minutes: does it live within Lighter's request budget?

    python -m benchmarks.live_budget --minutes 30 --scenario vol_spike --seed 1 --config config.yaml \
        --json-out live_budget.json

Starts the emulator in-process (Standard tier: 60 requests per rolling minute for REST and
sendTx/sendTxBatch together, 429 / code 23000 beyond, exactly as docs/emulator.md describes) and
`lighter-bot run --venue lighter` as a subprocess against it, at the emulator's real-time pace
(speed 1: the budget is per wall minute, so a faster market would only test a harder problem). Every
second it reads the bot's /metrics and the emulator's own truth: which quotes of ours rest (a bid
and an ask = both sides quoted), what the account's budget counted and how many requests it
answered 429. SIGTERM at the end; nothing of ours may be left resting. Not part of `make bench` or
`make test` (it takes the whole duration); the results are in docs/live-venue.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from prometheus_client.parser import text_string_to_metric_families

from lighter_bot.venues.emulator.harness import running_emulator

BOT = str(Path(sys.executable).parent / "lighter-bot")


def _metrics(text: str) -> dict[str, float]:
    """The unlabelled samples of a /metrics page, by name (prometheus_client's parser, as telemetry/dump.py)."""
    return {s.name: float(s.value) for fam in text_string_to_metric_families(text) for s in fam.samples
            if not s.labels}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _bot_config(base: Path | None, root: Path, port: int) -> Path:
    data: dict[str, Any] = yaml.safe_load(base.read_text()) if base is not None else {}
    data = data or {}
    data["metrics"] = {**data.get("metrics", {}), "ledger_path": str(root / "fills.jsonl"),
                       "archive_dir": str(root / "archive"), "positions_path": str(root / "positions.jsonl")}
    data["telemetry"] = {**data.get("telemetry", {}), "host": "127.0.0.1", "port": port}
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


async def measure(minutes: float, scenario: str, seed: int, config: Path | None) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="live-budget-"))
    port = _free_port()
    cfg = _bot_config(config, root, port)
    async with running_emulator(scenario=scenario, seed=seed, speed=1.0) as emu:
        a = emu.account_index
        ex = emu.exchange
        env = dict(os.environ, LIGHTER_API_PRIVATE_KEY=str(emu.api_private_key), LIGHTER_ACCOUNT_INDEX=str(a),
                   LIGHTER_API_KEY_INDEX=str(emu.api_key_index), NO_PROXY="127.0.0.1,localhost",
                   WS_TOKEN_FILE=str(root / "no-token-file"))
        log = (root / "bot.log").open("wb")
        proc = await asyncio.create_subprocess_exec(
            BOT, "run", "--venue", "lighter", "--base-url", emu.base_url, "--config", str(cfg),
            stdout=log, stderr=asyncio.subprocess.STDOUT, env=env)
        polls: list[dict[str, float]] = []
        loop = asyncio.get_running_loop()
        started = loop.time()
        first_quote: float | None = None
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2.0)) as http:
            while loop.time() - started < minutes * 60.0 and proc.returncode is None:
                await asyncio.sleep(1.0)
                try:
                    async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
                        m = _metrics(await r.text())
                except (aiohttp.ClientError, TimeoutError):
                    continue
                mine = [o for o in ex.open_orders(a) if o.visible and o.status == "open" and not o.reduce_only]
                sides = {o.is_ask for o in mine}
                if first_quote is None and sides:
                    first_quote = loop.time() - started
                budget = ex.accounts[a].budget
                assert budget is not None
                polls.append({
                    "t": loop.time() - started, "both": float(sides == {True, False}), "any": float(bool(sides)),
                    "metrics_sides": m.get("maker_quoted_sides", 0.0),
                    "requests_last_minute": m.get("venue_requests_last_minute", -1.0),
                    "rate_limited_bot": m.get("venue_rate_limited_total", 0.0),
                    "refused_locally": m.get("venue_requests_refused_locally_total", 0.0),
                    "emu_requests": float(budget.requests), "emu_rate_limited": float(budget.rate_limited),
                    "state": m.get("guard_trading_state", -1.0),
                })
        proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(proc.wait(), 90)
        log.close()
        budget = ex.accounts[a].budget
        assert budget is not None
        quoting = [p for p in polls if first_quote is not None and p["t"] >= first_quote]
        elapsed = polls[-1]["t"] if polls else 0.0
        rpm = [p["requests_last_minute"] for p in quoting if p["t"] >= 60.0 and p["requests_last_minute"] >= 0]
        text = (root / "bot.log").read_text(errors="replace")
        summary = next((ln for ln in text.splitlines() if ln.startswith("summary:")), "")
        return {
            "scenario": scenario, "seed": seed, "minutes": minutes, "config": str(config or "defaults"),
            "exit_code": rc, "first_quote_s": first_quote, "polls": len(polls),
            "both_sides_quoted": statistics.fmean(p["both"] for p in quoting) if quoting else 0.0,
            "any_side_quoted": statistics.fmean(p["any"] for p in quoting) if quoting else 0.0,
            "both_sides_per_metrics": statistics.fmean(p["metrics_sides"] == 2 for p in quoting) if quoting else 0.0,
            "requests_per_minute_emulator": budget.requests / (elapsed / 60.0) if elapsed else 0.0,
            "requests_last_minute_mean": statistics.fmean(rpm) if rpm else 0.0,
            "requests_last_minute_max": max(rpm) if rpm else 0.0,
            "http_429_emulator": budget.rate_limited,
            "http_429_seen_by_bot": polls[-1]["rate_limited_bot"] if polls else 0.0,
            "refused_locally": polls[-1]["refused_locally"] if polls else 0.0,
            "fills": len(ex.fills.get(a, [])),
            "resting_after_sigterm": len(ex.open_orders(a)),
            "halted_share": statistics.fmean(p["state"] == 2 for p in quoting) if quoting else 0.0,
            "summary": summary, "log": str(root / "bot.log"),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--scenario", default="vol_spike")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--json-out", type=Path, default=None, help="also write the JSON result to this file")
    args = ap.parse_args()
    res = asyncio.run(measure(args.minutes, args.scenario, args.seed, args.config))
    text = json.dumps(res, indent=2)
    print(text)
    if args.json_out is not None:
        args.json_out.write_text(text + "\n")


if __name__ == "__main__":
    main()
