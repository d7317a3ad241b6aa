"""Deployment files, checked statically (Docker is not available where the tests run): the
Dockerfile's required instructions, railway.json, .dockerignore, and docs/operations.md carrying the
operator's exact commands. Also the TELEMETRY_HOST/TELEMETRY_PORT override the image relies on."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from lighter_bot.config import apply_env_overrides, load_config
from lighter_bot.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = (REPO / "Dockerfile").read_text()
    logical = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    out = []
    for line in logical.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


def test_dockerfile_has_the_required_instructions() -> None:
    ins = instructions()
    names = [n for n, _ in ins]
    assert ins[0] == ("FROM", "python:3.11-slim")
    assert set(names) <= {"FROM", "ENV", "RUN", "WORKDIR", "COPY", "USER", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT", "CMD"}
    runs = [a for n, a in ins if n == "RUN"]
    assert any("pip install --no-cache-dir -r requirements.lock" in r for r in runs)
    assert any("--no-deps ." in r for r in runs)  # the package itself, without resolving anything new
    copy_lock = names.index("COPY")
    assert ins[copy_lock] == ("COPY", "requirements.lock ./")  # deps layer before the source
    user = [a for n, a in ins if n == "USER"]
    assert user == ["bot"] and any("useradd" in r and "bot" in r for r in runs)
    assert names.index("USER") > max(i for i, n in enumerate(names) if n == "RUN")  # nothing runs as root after
    env = " ".join(a for n, a in ins if n == "ENV")
    assert "TELEMETRY_HOST=0.0.0.0" in env and "TELEMETRY_PORT=8000" in env
    [health] = [a for n, a in ins if n == "HEALTHCHECK"]
    assert "CMD curl -fsS http://127.0.0.1:8000/health" in health and "--interval=" in health
    assert ("EXPOSE", "8000") in ins
    [entry] = [a for n, a in ins if n == "ENTRYPOINT"]
    assert json.loads(entry) == ["python", "-m", "lighter_bot.ops.container"]  # exec form: SIGTERM reaches the bot
    [cmd] = [a for n, a in ins if n == "CMD"]
    assert json.loads(cmd)[0] == "lighter-bot"
    for n, a in ins:
        if n == "COPY":
            for src in shlex.split(a)[:-1]:
                assert (REPO / src).exists(), f"COPY source {src} missing"


def test_dockerignore_keeps_secrets_and_state_out() -> None:
    lines = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()}
    assert {".env", ".env.*", "data/", ".git", ".venv"} <= lines
    assert {"build/", "**/*.so"} <= lines  # a local compiled build (make native) is for its own machine
    copied = [a for n, a in instructions() if n == "COPY"]
    assert not any(".env" in c for c in copied)


def test_railway_json() -> None:
    doc = json.loads((REPO / "railway.json").read_text())
    assert doc["build"] == {"builder": "DOCKERFILE", "dockerfilePath": "Dockerfile"}
    d = doc["deploy"]
    assert d["healthcheckPath"] == "/health" and d["restartPolicyType"] == "ON_FAILURE"
    assert d["numReplicas"] == 1  # two bots on one API key would fight over nonces and orders
    assert d["restartPolicyMaxRetries"] >= 1 and d["healthcheckTimeout"] >= 60
    # Railway's teardown settings are numbers (a string fails its parser): the old deployment gets SIGTERM as
    # soon as the new one is active, and 30 s to cancel its orders before SIGKILL (docs/operations.md, Deploy).
    assert d["overlapSeconds"] == 0 and d["drainingSeconds"] == 30


def test_operations_doc_has_the_operators_commands() -> None:
    doc = (REPO / "docs" / "operations.md").read_text()
    for cmd in (
        "railway up",
        "railway logs --service lighter-bot --lines 200",
        "railway run --service lighter-bot -- curl -sf http://127.0.0.1:8000/health",
        "python scripts/metrics_tool.py dump",
        "railway ssh --service lighter-bot -- python scripts/dump_metrics.py --filter portfolio_",
        "python scripts/set_market.py --symbol SYMBOL --balance-usd 30 --sizing-multiplier 1.1 --profile-out profiles/market_<id>.yaml --activate",
        "python scripts/apply_profile.py --profile profiles/market_<id>.yaml --config config.yaml --metadata-out data/instruments/market_<id>.json",
        "python scripts/refresh_ws_token.py --config config.yaml --railway",
        "python scripts/fetch_trades.py --base-url https://mainnet.zklighter.elliot.ai --account 366110 --market-id 102 --limit 200 --mark-mid <mid> --token <bearer>",
        "python scripts/suggest_market_targets.py --top 10",
        "/app/data",
        "RAILWAY_RUN_UID=0",
    ):
        assert cmd in doc, cmd


def test_telemetry_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEMETRY_HOST", "0.0.0.0")
    monkeypatch.setenv("TELEMETRY_PORT", "9100")
    cfg = load_config(REPO / "config.yaml")
    assert (cfg.telemetry.host, cfg.telemetry.port) == ("0.0.0.0", 9100)
    assert apply_env_overrides({"telemetry": {"host": "127.0.0.1"}}, {}) == {"telemetry": {"host": "127.0.0.1"}}
    with pytest.raises(ConfigError, match="TELEMETRY_PORT"):
        apply_env_overrides({}, {"TELEMETRY_PORT": "http"})
