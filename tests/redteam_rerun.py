"""A re-run of issue 17's red-team categories against this checkout, printing one table row per
category: attacks re-run, handled, failed (and what failed). Not collected by pytest (it mounts a
tmpfs, so it wants root, and runs for several minutes); run it by hand:

    sudo .venv/bin/python -m tests.redteam_rerun        # from the repository root

Every attack runs the real command (a subprocess, or the CLI in-process where it patches a crash
in) and checks the outcome the issue asks for: one clear message and exit 2 for a user mistake,
never a traceback, never a lost or duplicated fill, non-zero exits on crashes and unrecorded fills.
The heavier reproductions are the suite's own tests, run here with pytest and counted per case.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = str(Path(sys.executable).parent / "lighter-bot")


@dataclass
class Category:
    name: str
    handled: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def check(self, attack: str, ok: bool, detail: str = "") -> None:
        (self.handled if ok else self.failed).append(attack if ok else f"{attack}: {detail[:200]}")


def sh(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)


def clean_error(r: subprocess.CompletedProcess[str], needle: str) -> tuple[bool, str]:
    ok = r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr + r.stdout
    return ok, f"rc={r.returncode} {r.stderr.strip()[-300:]}"


def config(root: Path, **sections: Any) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"metrics": {"ledger_path": str(root / "data/metrics/fills.jsonl"),
                                        "archive_dir": str(root / "data/metrics/archive"),
                                        "positions_path": str(root / "data/metrics/positions.jsonl")},
                            "telemetry": {"port": 0}}
    for k, v in sections.items():
        data.setdefault(k, {}).update(v)
    p = root / "config.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


@contextlib.contextmanager
def tmpfs(size: str = "64k") -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="rt-tmpfs-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(d)], check=True)
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", str(d)], check=False)


# -- 1. fills lost while trading goes on ------------------------------------------------------------

def sim_disk_failure(c: Category, root: Path, how: str) -> None:
    """A simulator run whose ledger sits on a 64 KB tmpfs that fills up (or is remounted read-only)."""
    with tmpfs() as disk:
        cfg = config(root, metrics={"ledger_path": str(disk / "fills.jsonl"), "archive_dir": str(disk / "archive"),
                                    "positions_path": str(disk / "positions.jsonl")})
        (root / "tmp").mkdir(exist_ok=True)
        proc = subprocess.Popen([BIN, "run", "--config", str(cfg), "--scenario", "vol_spike", "--speed", "100",
                                 "--duration", "20000"], cwd=root, env={**os.environ, "TMPDIR": str(root / "tmp")},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 60
        while time.monotonic() < end and not any(p.stat().st_size for p in disk.glob("sim/*/fills.jsonl")):
            time.sleep(0.2)
        if how == "full":
            with contextlib.suppress(OSError), (disk / "filler").open("wb") as fh:
                fh.write(b"x" * 200_000)  # fills the rest of the 64 KB
        else:
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        time.sleep(25)  # 40 simulated minutes of trading on a disk that refuses writes
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        summary = next((ln for ln in out.splitlines() if ln.startswith("summary:")), "")
        fills = int(summary.split("fills=")[1].split()[0]) if summary else -1
        written = [json.loads(x)["trade_id"] for p in disk.glob("sim/*/fills.jsonl") for x in p.read_text().splitlines()]
        m = re.search(r"saved to (\S+?): recover", err)
        saved = [r["trade_id"] for r in json.loads(Path(m.group(1)).read_text())["trades"]] if m else []
        # REDUCING from the first refused write (HALTED only if 20 fills pile up meanwhile)
        halted = "ledger_unwritable_reducing_risk" in err + out
        ok = (proc.returncode == 1 and halted and fills == len(set(written) | set(saved)) == len(written) + len(saved)
              and "Traceback" not in err)
        c.check(f"simulator run, ledger disk {how} mid-run ({fills} fills: {len(written)} written, {len(saved)} saved)",
                ok, f"rc={proc.returncode} halted={halted} {err[-300:]}")


def ledger_dev_null(c: Category, root: Path) -> None:
    r = sh([BIN, "run", "--config", str(config(root, metrics={"ledger_path": "/dev/null"})), "--duration", "5"], root)
    c.check("metrics.ledger_path: /dev/null", *clean_error(r, "not a regular file"))


def pytest_cases(c: Category, node: str, label: str, env: dict[str, str] | None = None) -> str:
    r = sh([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", node], REPO, env, timeout=900)
    c.check(label, r.returncode == 0, r.stdout[-600:])
    return r.stdout


# -- 4. unbounded numbers ---------------------------------------------------------------------------

def numbers(c: Category, root: Path) -> None:
    from typer.testing import CliRunner

    from lighter_bot.cli.app import app
    from tests.unit.test_config_safety import NUMERIC, nest

    p = root / "n.yaml"
    for path, _ in NUMERIC:
        for bad in (math.inf, -math.inf, math.nan, 1e300):
            value: Any = [1.0, bad] if path.endswith("markout_horizons_seconds") else bad
            p.write_text(yaml.safe_dump(nest(path, value)))
            res = CliRunner().invoke(app, ["config", "check", "--config", str(p)])
            c.check(f"{path}={bad}", res.exit_code == 2 and path in res.output, res.output)
    for key, value in (("hedger.max_slippage_bps", ".inf"), ("guard.max_inventory_notional", ".inf"),
                       ("guard.max_position_units", ".inf"), ("maker.inventory_skew_bps", ".inf"),
                       ("maker.volatility.ema_halflife_seconds", ".inf"), ("fees.maker_actual_rate", ".nan"),
                       ("maker.quote_expiry_seconds", "2600000"), ("maker.quote_expiry_seconds", "60")):
        section, *mid, leaf = key.split(".")
        body = f"{section}:\n" + "".join(f"{'  ' * (i + 1)}{k}:\n" for i, k in enumerate(mid))
        p.write_text(body + f"{'  ' * (len(mid) + 1)}{leaf}: {value}\n")
        r = sh([BIN, "run", "--config", str(p), "--duration", "5"], root)
        c.check(f"run with {key}: {value}", *clean_error(r, key))


# -- 5. engine crash --------------------------------------------------------------------------------

def crashes(c: Category, root: Path) -> None:
    import structlog
    from typer.testing import CliRunner

    from lighter_bot.cli.app import app
    from lighter_bot.domain.events import Tick
    from lighter_bot.engine.core import EngineCore

    original = EngineCore.on_event
    for where, exc in (("pump", OverflowError("math range error")), ("ticker", ZeroDivisionError("float division"))):
        n = {"events": 0}

        def explode(self: EngineCore, event: Any, where: str = where, exc: Exception = exc,
                    n: dict[str, int] = n) -> Any:
            n["events"] += 1
            if n["events"] > 3000 and (isinstance(event, Tick) == (where == "ticker")):
                raise exc
            return original(self, event)

        EngineCore.on_event = explode  # type: ignore[method-assign]
        saved = structlog.get_config()
        try:
            res = CliRunner().invoke(app, ["run", "--config", str(config(root)), "--speed", "20", "--scenario",
                                           "vol_spike", "--duration", "3000"])
        finally:
            EngineCore.on_event = original  # type: ignore[method-assign]
            structlog.configure(**saved)
        ok = res.exit_code == 1 and f"engine task failed ({where}:" in res.output and "resting_orders_left=0" in res.output
        c.check(f"{type(exc).__name__} in the {where} task", ok, res.output[-300:])


# -- 6. missing config ------------------------------------------------------------------------------

def missing_config(c: Category, root: Path) -> None:
    empty = root / "empty"
    empty.mkdir(exist_ok=True)
    for args, env, needle in (
        (["config", "check"], {"LIGHTER_CONFIG": "/nonexistent.yaml"}, "named by LIGHTER_CONFIG"),
        (["run", "--duration", "5"], {"LIGHTER_CONFIG": "/nonexistent.yaml"}, "named by LIGHTER_CONFIG"),
        (["config", "check"], {"LIGHTER_CONFIG": ""}, "no config.yaml in"),
        (["run", "--duration", "5"], {"LIGHTER_CONFIG": ""}, "no config.yaml in"),
        (["config", "check", "--config", "/nonexistent.yaml"], {"LIGHTER_CONFIG": ""}, "named by --config"),
    ):
        r = sh([BIN, *args], empty, env)
        c.check(f"{' '.join(args)} with {env}", *clean_error(r, needle))
    r = sh([BIN, "config", "check", "--config", "builtin-defaults"], empty, {"LIGHTER_CONFIG": ""})
    c.check("--config builtin-defaults still works on purpose", r.returncode == 0, r.stderr)


# -- 7. secrets in config show ----------------------------------------------------------------------

def secrets(c: Category, root: Path) -> None:
    hook = "https://discord.com/api/webhooks/123456789/t0k3n-s3cr3t"
    p = root / "s.yaml"
    p.write_text(yaml.safe_dump({"alerts": {"discord_webhook_url": hook},
                                 "api": {"base_url": "https://bob:hunter2@example.org"}}))
    for args in (["config", "show"], ["config", "show", "--json"], ["config", "check"]):
        r = sh([BIN, *args, "--config", str(p)], root, {"DISCORD_WEBHOOK": hook})
        leaked = [s for s in ("t0k3n-s3cr3t", "123456789", "hunter2") if s in r.stdout + r.stderr]
        c.check(" ".join(args), r.returncode == 0 and not leaked, f"leaked {leaked}")
    p.write_text(yaml.safe_dump({"alerts": {"discord_webhook_url": 987654321}}))
    r = sh([BIN, "config", "check", "--config", str(p)], root)
    c.check("a malformed webhook in an error message", r.returncode == 2 and "987654321" not in r.stderr, r.stderr)


# -- 8. tracebacks for user mistakes ---------------------------------------------------------------

def user_mistakes(c: Category, root: Path) -> None:
    import numpy as np
    import zstandard

    creds = {"LIGHTER_API_PRIVATE_KEY": "0x" + "ab" * 40, "LIGHTER_ACCOUNT_INDEX": "7", "LIGHTER_API_KEY_INDEX": "4",
             "WS_TOKEN_FILE": str(root / "none")}
    cfg = config(root)
    live = [BIN, "run", "--venue", "lighter", "--base-url", "http://127.0.0.1:9", "--config", str(cfg)]
    for env, needle in (({"LIGHTER_API_PRIVATE_KEY": "0xnot-a-key"}, "not an API private key"),
                        ({"LIGHTER_ACCOUNT_INDEX": "-1"}, "LIGHTER_ACCOUNT_INDEX (-1) must be >= 0"),
                        ({"LIGHTER_API_KEY_INDEX": "999"}, "LIGHTER_API_KEY_INDEX (999)")):
        c.check(f"run --venue lighter with {env}", *clean_error(sh(live, root, {**creds, **env}), needle))
    files = {"binary.yaml": bytes(range(256)) * 8, "utf16.yaml": "maker:\n  size: 0.064\n".encode("utf-16"),
             "latin1.yaml": "maker:\n  pair: m\xe9\n".encode("latin-1"),
             "dupes.yaml": b"maker:\n  size: 0.064\n  size: 0.07\n", "dupes2.yaml": b"guard: {}\nguard: {}\n"}
    for name, raw in files.items():
        (root / name).write_bytes(raw)
        r = sh([BIN, "config", "check", "--config", str(root / name)], root)
        c.check(f"config {name}", *clean_error(r, {"binary.yaml": "binary", "utf16.yaml": "UTF-16",
                                                   "latin1.yaml": "not UTF-8"}.get(name, "duplicate key")))
    for ledger, needle in (("/", "is a directory"), (str(root), "is a directory")):
        r = sh([BIN, "run", "--config", str(config(root, metrics={"ledger_path": ledger})), "--duration", "5"], root)
        c.check(f"metrics.ledger_path: {ledger}", *clean_error(r, needle))
    for speed in ("inf", "nan", "1e6"):
        r = sh([BIN, "run", "--speed", speed, "--config", str(cfg), "--duration", "5"], root)
        c.check(f"run --speed {speed}", *clean_error(r, "--speed"))
    (root / "empty.npz").write_bytes(b"")
    np.savez(root / "noarrays.npz")
    rec = zstandard.ZstdCompressor().compress(
        "".join(json.dumps({"ts": i, "frame": {"type": "update/trade"}}) + "\n" for i in range(3000)).encode())
    (root / "cut.jsonl.zst").write_bytes(rec[:12])
    (root / "half.jsonl.zst").write_bytes(rec[: len(rec) // 2])
    for name, needle in (("empty.npz", "not a readable .npz"), ("noarrays.npz", "empty .npz"),
                         ("cut.jsonl.zst", "truncated zstd file"), ("half.jsonl.zst", "truncated zstd file")):
        r = sh([BIN, "backtest", "--data", str(root / name), "--config", "builtin-defaults"], root)
        c.check(f"backtest --data {name}", *clean_error(r, needle))
    led = root / "odd"
    (led / "data/metrics").mkdir(parents=True, exist_ok=True)
    row = {"timestamp": time.time() - 60, "market": "market:2", "role": "maker", "size": "0.064", "price": "170",
           "base_delta": "0.064", "fee_paid": "0"}
    rows = [{**row, "side": "sideways", "trade_id": "a"}, {**row, "side": "bid"},
            {**row, "side": "bid", "trade_id": "c", "timestamp": 4.1e10}]
    (led / "data/metrics/fills.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = sh([BIN, "metrics", "--config", str(config(led)), "dump"], led)
    for kind in ("unknown side", "no trade id", "absurd timestamp"):
        c.check(f"ledger row with {kind}", r.returncode == 0 and f"1 row(s) with {kind}" in r.stderr, r.stderr)


# -- 9. tokens on argv, urllib3 ---------------------------------------------------------------------

def tokens(c: Category) -> None:
    pytest_cases(c, "tests/integration/ops/test_ops_http.py::"
                    "test_fetch_trades_token_from_a_file_or_the_environment_and_a_warning_for_argv",
                 "fetch-trades: token from env / --token-file; --token warns")
    pytest_cases(c, "tests/integration/test_urllib3_unused.py", "urllib3 2.0.7: none of a live session's traffic uses it")
    doc = (REPO / "docs/operations.md").read_text()
    c.check("docs/operations.md states what the urllib3 pin means", "CVE-2025-50181" in doc and "CVE-2024-37891" in doc)


def main() -> int:
    cats: list[tuple[Category, Callable[[Category, Path], None]]] = []

    def add(name: str, fn: Callable[[Category, Path], None]) -> None:
        cats.append((Category(name), fn))

    def fills_lost(c: Category, root: Path) -> None:
        ledger_dev_null(c, root)
        sim_disk_failure(c, root / "full", "full")
        sim_disk_failure(c, root / "ro", "read-only")
        pytest_cases(c, "tests/integration/test_reliability.py::test_live_ledger_failure_then_kill9_or_stop_loses_no_fill",
                     "live: ledger gone mid-run, then kill -9 (recovered) and a stop (saved, imported)")
        pytest_cases(c, "tests/integration/test_ledger_loop.py", "in-process: REDUCING -> HALTED, /health, metrics")

    def downtime(c: Category, root: Path) -> None:
        out = pytest_cases(c, "tests/integration/test_kill9_cycles.py", "20 kill -9 cycles under --faults")
        m = re.search(r"lost (\d+), duplicated (\d+), orphans left (\d+); position ledger (\S+) venue (\S+)", out)
        if m:
            c.handled.append(f"[{m.group(0)}]")
        pytest_cases(c, "tests/unit/test_fill_recovery.py", "recovery: paging, dedupe, mismatch recheck (9 cases)")
        pytest_cases(c, "tests/integration/test_ledger_loop.py::"
                        "test_a_position_the_recovery_cannot_explain_is_logged_measured_and_alerted",
                     "an unexplained position: log + metric + alert")

    def instances(c: Category, root: Path) -> None:
        for test, label in (
            ("on_the_same_ledger_folder_exits_2_before_touching_the_exchange", "one ledger folder: exit 2 at once"),
            ("next_to_a_busy_first_one_refuses_at_start_and_cancels_nothing", "busy first bot: refused at start"),
            ("next_to_a_quiet_first_one_halts_once_it_sees_it_and_leaves_it_alone", "quiet first bot: halted"),
        ):
            pytest_cases(c, f"tests/integration/test_instances.py::test_second_bot_{test}", f"second bot, {label}")

    add("1 fills lost while trading goes on", fills_lost)
    add("2 downtime fills never reach the ledger", downtime)
    add("3 two instances on one account", instances)
    add("4 unbounded numbers accepted", numbers)
    add("5 an engine crash exits 0", crashes)
    add("6 a missing config falls back to defaults", missing_config)
    add("7 a secret in config show", secrets)
    add("8 tracebacks for user mistakes", user_mistakes)
    add("9 token on argv; urllib3 pin", lambda c, _root: tokens(c))
    only = set(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="redteam-") as tmp:
        for i, (cat, fn) in enumerate(cats):
            if only and cat.name.split()[0] not in only:
                continue
            root = Path(tmp) / str(i)
            root.mkdir()
            t0 = time.monotonic()
            try:
                fn(cat, root)
            except Exception as exc:  # the category's harness itself broke: count it as a failure
                cat.failed.append(f"harness: {type(exc).__name__}: {exc}")
            print(f"{cat.name}: {len(cat.handled)} handled, {len(cat.failed)} failed ({time.monotonic() - t0:.0f} s)",
                  flush=True)
    print("\n| category | attacks re-run | handled | failed |\n|---|---|---|---|")
    for cat, _ in cats:
        if cat.handled or cat.failed:
            failed = "; ".join(cat.failed) or "0"
            n = len([h for h in cat.handled if not h.startswith("[")])
            print(f"| {cat.name} | {n + len(cat.failed)} | {n} | {failed} |")
    for cat, _ in cats:
        for note in (h for h in cat.handled if h.startswith("[")):
            print(f"{cat.name}: {note}")
    return 1 if any(cat.failed for cat, _ in cats) else 0


if __name__ == "__main__":
    raise SystemExit(main())
