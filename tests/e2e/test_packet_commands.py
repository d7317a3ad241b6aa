"""Every command of the operator's state packet that can run here, typed as written into `bash -c`
from a plain shell: PATH has a `python` that is NOT the project's venv (the interpreter the venv was
made from, without the bot's dependencies) and no venv `bin/`. The scripts find the checkout's
`.venv` themselves (scripts/_venv.py); `lighter-bot` is called by its path in `.venv/bin`, as the
README says. Against: a bot on the simulator (for dump_metrics.py), the real-payload Lighter REST
fixture server (set_market, suggest_market_targets, fetch_trades) and a fake `railway` CLI.

The packet's literal `profiles/market_<id>.yaml`, unquoted, is cut by the shell itself (`<id` and
`>.yaml` are redirections): bash stops with `id: No such file or directory`, exit 1, before any tool
runs. Quoted, set_market fills the id in; apply_profile (which cannot know the id) says what to type.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.bot_harness import free_port
from tests.integration.ops.lighter_fixture_server import ACCOUNT, TOKEN, FixtureLighter, ServerThread
from tests.integration.ops.test_refresh_ws_token import fake_railway
from tests.integration.test_telemetry_live import get

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
pytestmark = [
    pytest.mark.filterwarnings("ignore:websockets.client.connect is deprecated:DeprecationWarning"),
    pytest.mark.skipif(not (VENV_BIN / "python").exists(), reason="needs the checkout's .venv (make venv)"),
]

# The packet's commands (= the table in docs/operations.md), placeholders the operator fills in marked.
PACKET = {
    "ledger": "python scripts/metrics_tool.py dump",
    "ledger_window": "python scripts/metrics_tool.py window --hours 6",
    "ledger_import": "python scripts/metrics_tool.py import-json --input data/metrics/backfill.json",
    "ledger_reset": "python scripts/metrics_tool.py reset --confirm",
    "telemetry": "python scripts/dump_metrics.py --filter portfolio_",
    "set_market": "python scripts/set_market.py --symbol SYMBOL --balance-usd 30 --sizing-multiplier 1.1 "
                  "--profile-out profiles/market_<id>.yaml --activate",
    "apply_profile": "python scripts/apply_profile.py --profile profiles/market_<id>.yaml --config config.yaml "
                     "--metadata-out data/instruments/market_<id>.json",
    "token": "python scripts/refresh_ws_token.py --config config.yaml --railway",
    "fetch_trades": "python scripts/fetch_trades.py --base-url https://mainnet.zklighter.elliot.ai --account 366110 "
                    "--market-id 102 --limit 200 --mark-mid <mid> --token <bearer>",
    "suggest": "python scripts/suggest_market_targets.py --top 10",
}


def plain_python(bindir: Path) -> Path:
    """A `python` on PATH that is the venv's base interpreter, not the venv."""
    bindir.mkdir(parents=True, exist_ok=True)
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (bindir / "python").symlink_to(base)
    return base


@pytest.fixture
def deployment(tmp_path: Path, lighter_fixtures: Path) -> Iterator[tuple[Path, dict[str, str], FixtureLighter, str]]:
    state = FixtureLighter(lighter_fixtures).load()
    with ServerThread(state.app()) as srv:
        root = tmp_path / "lighter-bot"
        root.mkdir()
        (root / "scripts").symlink_to(REPO / "scripts")
        (root / "profiles").mkdir()
        cfg = yaml.safe_load((REPO / "config.yaml").read_text())
        cfg["telemetry"]["port"] = free_port()
        cfg["api"]["base_url"] = srv.base_url  # the packet's tools default to the config's exchange
        (root / "config.yaml").write_text(yaml.safe_dump(cfg))
        from lighter.signer_client import create_api_key

        private, _public, err = create_api_key()
        assert err is None
        env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
               "LIGHTER_API_PRIVATE_KEY": str(private), "LIGHTER_ACCOUNT_INDEX": str(ACCOUNT),
               "LIGHTER_API_KEY_INDEX": "4", "NO_PROXY": "127.0.0.1,localhost"}
        yield root, env, state, srv.base_url


def sh(root: Path, env: dict[str, str], cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", cmd], cwd=root, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_every_packet_command_runs_as_written_from_a_plain_shell(deployment: tuple[Path, dict[str, str], FixtureLighter, str]) -> None:
    root, env, _state, url = deployment
    docs = (REPO / "docs" / "operations.md").read_text()
    for key, cmd in PACKET.items():
        assert (cmd if not key.startswith("ledger_") else cmd.removeprefix("python scripts/metrics_tool.py ")) in docs
    plain_python(Path(env["PATH"].split(":")[0]))
    assert sh(root, env, "command -v python").stdout.strip() == str(Path(env["PATH"].split(":")[0]) / "python")

    # `lighter-bot` directly, by its path (README): a bot on the simulator for the telemetry command
    bot = subprocess.Popen([str(VENV_BIN / "lighter-bot"), "run", "--duration", "3600", "--speed", "20"], cwd=root,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = yaml.safe_load((root / "config.yaml").read_text())["telemetry"]["port"]
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            assert bot.poll() is None, bot.communicate()[1][-2000:]
            try:
                if get(f"http://127.0.0.1:{port}/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        r = sh(root, env, PACKET["telemetry"])
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines() and all(ln.startswith("portfolio_") for ln in r.stdout.splitlines())
    finally:
        bot.terminate()
        bot.communicate(timeout=60)

    for key in ("ledger", "ledger_window"):
        r = sh(root, env, PACKET[key])
        assert r.returncode == 0, (key, r.stderr)
        json.loads(r.stdout)
    (root / "data" / "metrics").mkdir(parents=True, exist_ok=True)
    (root / "data" / "metrics" / "backfill.json").write_text(json.dumps({"trades": _state.trades}))
    r = sh(root, env, PACKET["ledger_import"])
    assert r.returncode == 0 and f"imported {len(_state.trades)} new fill(s)" in r.stdout, r.stdout + r.stderr

    # set_market / apply_profile: literally (the shell refuses), quoted (the tools fill in or explain), with the id
    literal = sh(root, env, PACKET["set_market"].replace("SYMBOL", "SOL"))
    assert literal.returncode == 1 and "id: No such file or directory" in literal.stderr
    r = sh(root, env, PACKET["set_market"].replace("SYMBOL", "SOL").replace("profiles/market_<id>.yaml",
                                                                            "'profiles/market_<id>.yaml'"))
    assert r.returncode == 0, r.stderr
    assert (root / "profiles" / "market_2.yaml").is_file() and "updated config.yaml" in r.stdout
    literal = sh(root, env, PACKET["apply_profile"])
    assert literal.returncode == 1 and "id: No such file or directory" in literal.stderr
    quoted = sh(root, env, PACKET["apply_profile"].replace("profiles/market_<id>.yaml", "'profiles/market_<id>.yaml'")
                .replace("data/instruments/market_<id>.json", "'data/instruments/market_<id>.json'"))
    assert quoted.returncode == 2 and "Traceback" not in quoted.stderr
    assert "<id> stands for the market id" in quoted.stderr and "profiles/market_2.yaml" in quoted.stderr
    r = sh(root, env, PACKET["apply_profile"].replace("<id>", "2"))
    assert r.returncode == 0, r.stderr
    assert json.loads((root / "data" / "instruments" / "market_2.json").read_text())["market"] == 2

    # refresh_ws_token: with the railway CLI (fake) -> 0; without it -> 3, as documented
    no_railway = sh(root, env, PACKET["token"])
    assert no_railway.returncode == 3 and "railway" in no_railway.stderr
    args = fake_railway(Path(env["PATH"].split(":")[0]))
    r = sh(root, env, PACKET["token"])
    assert r.returncode == 0, r.stderr
    assert "WS_AUTH_TOKEN=" in args.read_text() and (root / ".env.ws_token").is_file()

    r = sh(root, env, PACKET["fetch_trades"].replace("https://mainnet.zklighter.elliot.ai", url)
           .replace("<mid>", "2361.5").replace("<bearer>", TOKEN))
    assert r.returncode == 0 and f"account {ACCOUNT}" in r.stdout, r.stderr
    r = sh(root, env, PACKET["suggest"])
    assert r.returncode == 0 and "SOL" in r.stdout, r.stderr
    r = sh(root, env, PACKET["suggest"] + " --target-symbol SOL")
    assert r.returncode == 0 and "SOL (market 2) ranks" in r.stdout, r.stderr

    r = sh(root, env, PACKET["ledger_reset"])
    assert r.returncode == 0, r.stderr
    assert json.loads(sh(root, env, PACKET["ledger"]).stdout)["total"]["fills"] == 0
