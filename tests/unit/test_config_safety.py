"""Only finite, bounded configs (issue 17 items 4, 6, 7, 8): every number finite and within its unit's
bound, Lighter's order-expiry bounds, duplicate keys, unreadable files, a missing config file, and
`config show` never printing a secret. Each of the red-team's configs gets exit 2 and one message
naming the key, never a traceback and never a bot trading on it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import structlog
import yaml
from pydantic import BaseModel
from typer.testing import CliRunner

from lighter_bot.cli.app import app
from lighter_bot.config import (
    MAX_ORDER_EXPIRY_S,
    MIN_ORDER_EXPIRY_S,
    UNIT_LIMITS,
    BotConfig,
    describe_fields,
    load_config,
    parse_config,
    unit_of,
)
from lighter_bot.domain.market import SOL_PERP
from lighter_bot.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def numeric_fields(model: type[BaseModel] = BotConfig, prefix: str = "") -> list[tuple[str, float]]:
    """(key path, largest value the field allows) for every number in the config."""
    out: list[tuple[str, float]] = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        path = f"{prefix}{name}"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += numeric_fields(ann, path + ".")
            continue
        default = field.default
        probe = default[0] if isinstance(default, tuple) and default else default
        if isinstance(probe, bool) or (not isinstance(probe, int | float) and "int" not in str(ann)):
            continue
        hi = UNIT_LIMITS.get(unit_of(field.description or "") or "", 1e18)
        for m in field.metadata:
            for attr in ("le", "lt"):
                v = getattr(m, attr, None)
                if v is not None:
                    hi = min(hi, float(v))
        out.append((path, hi))
    return out


NUMERIC = numeric_fields()


@pytest.fixture(autouse=True)
def _restore_logging() -> Any:
    """`run` configures structlog onto the CliRunner's stream, which closes after the call."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def nest(path: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cur = out
    *parents, leaf = path.split(".")
    for p in parents:
        cur = cur.setdefault(p, {})
    cur[leaf] = value
    return out


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    res = CliRunner().invoke(app, args, env=env)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)  # never a traceback
    return res.exit_code, res.output


def test_every_numeric_knob_has_a_unit_with_a_bound() -> None:
    docs = dict(describe_fields())
    assert len(NUMERIC) > 80
    unbounded = [p for p, _ in NUMERIC if unit_of(docs[p]) not in UNIT_LIMITS]
    assert unbounded == ["telemetry.port"] or unbounded == [], unbounded  # the port has its own 0..65535


@pytest.mark.parametrize("path", [p for p, _ in NUMERIC])
@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, 1e300])
def test_non_finite_or_absurd_numbers_are_refused_naming_the_key(path: str, bad: float) -> None:
    value: Any = [1.0, bad] if path.endswith("markout_horizons_seconds") else bad
    with pytest.raises(ConfigError) as err:
        parse_config(nest(path, value))
    assert any(p.startswith(path) for p in err.value.problems), err.value.problems


@pytest.mark.parametrize(("key", "value"), [
    ("hedger.max_slippage_bps", ".inf"), ("guard.max_inventory_notional", ".inf"),
    ("guard.max_position_units", ".inf"), ("maker.inventory_skew_bps", ".inf"),
    ("maker.volatility.ema_halflife_seconds", ".inf"), ("fees.maker_actual_rate", ".nan"),
    ("fees.taker_actual_rate", ".nan"), ("maker.quote_expiry_seconds", "2600000"),
])
def test_the_red_team_configs_exit_2_naming_the_key(tmp_path: Path, key: str, value: str) -> None:
    section, _, rest = key.partition(".")
    body = f"{section}:\n" + "".join(f"{'  ' * (i + 1)}{k}:\n" for i, k in enumerate(rest.split(".")[:-1]))
    body += f"{'  ' * (rest.count('.') + 1)}{rest.split('.')[-1]}: {value}\n"
    (tmp_path / "c.yaml").write_text(body)
    for cmd in (["config", "check"], ["run", "--duration", "1"]):
        code, out = run([*cmd, "--config", str(tmp_path / "c.yaml")])
        assert code == 2 and key in out, (cmd, out)


def test_quote_expiry_is_held_to_lighters_five_minutes_to_thirty_days() -> None:
    assert parse_config(nest("maker.quote_expiry_seconds", MIN_ORDER_EXPIRY_S)).maker.quote_expiry_seconds == 300
    assert parse_config(nest("maker.quote_expiry_seconds", MAX_ORDER_EXPIRY_S)).maker.quote_expiry_seconds == 2_592_000
    for bad in (60, 299.9, MAX_ORDER_EXPIRY_S + 1):
        with pytest.raises(ConfigError) as err:
            parse_config(nest("maker.quote_expiry_seconds", bad))
        (msg,) = err.value.problems
        assert msg.startswith("maker.quote_expiry_seconds") and "5 minutes" in msg and "30 days" in msg


def test_every_knob_at_its_bounds_is_refused_or_trades_without_crashing_or_hanging() -> None:
    """The bounds are sane: each number at its largest allowed value, and at its smallest (0, or a
    hair above for a strictly positive one), either breaks a cross-check (a clear ConfigError) or
    trades 20 busy simulated seconds without an exception, in under 10 s. (A PnL slice of 1e-9 s
    once looped 2e10 times on them; its floor is now 10 s.)"""
    import signal

    from lighter_bot.cli.backtest import run_one
    from lighter_bot.venues.sim.rules import tier_rules
    from lighter_bot.venues.sim.scenarios import make_scenario

    def hung(*_: object) -> None:
        raise TimeoutError

    old = signal.signal(signal.SIGALRM, hung)
    ran = 0
    try:
        for path, hi in NUMERIC:
            if path.startswith(("telemetry.", "metrics.", "alerts.", "sim.", "api.")):
                continue  # not read by the trading core
            for x in (hi, 0, 1e-9):
                value: Any = [x] if path.endswith("markout_horizons_seconds") else (int(x) if _is_int(path) else x)
                try:
                    cfg = parse_config(nest(path, value))
                except ConfigError:
                    continue
                signal.alarm(10)
                try:
                    run_one(cfg, SOL_PERP, make_scenario("vol_spike", 3, 20.0, SOL_PERP, 170.0, 0.0),
                            tier_rules("standard"), 3, 20.0)
                except TimeoutError:
                    pytest.fail(f"{path}: {x} made a simulated 20 s take over 10 s")
                finally:
                    signal.alarm(0)
                ran += 1
    finally:
        signal.signal(signal.SIGALRM, old)
    assert ran > 100


def _is_int(path: str) -> bool:
    obj: Any = BotConfig()
    for part in path.split("."):
        obj = getattr(obj, part)
    return isinstance(obj, int) and not isinstance(obj, bool)


def test_duplicate_keys_are_refused_with_both_lines(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("maker:\n  size: 0.064\n  size: 0.07\nguard:\n  max_position_units: 0.3\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    (msg,) = err.value.problems
    assert "duplicate key 'size'" in msg and "line 3" in msg and "first at line 2" in msg
    p.write_text("maker:\n  size: 0.064\nmaker:\n  size: 0.07\n")
    with pytest.raises(ConfigError, match="duplicate key 'maker'"):
        load_config(p)
    # The same key in two different mappings is fine.
    p.write_text("maker:\n  trend:\n    enabled: true\n  volatility:\n    enabled: true\n")
    assert load_config(p).maker.trend.enabled


@pytest.mark.parametrize(("raw", "words"), [
    ("maker:\n  size: 0.064\n".encode("utf-16"), "UTF-16"),
    ("maker:\n  size: 0.064\n".encode("utf-16-le"), "UTF-16"),
    (bytes(range(256)) * 4, "binary"),
    (b"maker:\n  pair: \xe9t\xe9\n", "not UTF-8"),
])
def test_unreadable_config_files_get_one_message(tmp_path: Path, raw: bytes, words: str) -> None:
    p = tmp_path / "c.yaml"
    p.write_bytes(raw)
    code, out = run(["config", "check", "--config", str(p)])
    assert code == 2 and words in out and out.count("error:") == 1, out


def test_a_missing_config_is_an_error_unless_the_defaults_are_asked_for(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run(["config", "check"], env={"LIGHTER_CONFIG": "/nonexistent.yaml"})
    assert code == 2 and "/nonexistent.yaml" in out and "LIGHTER_CONFIG" in out and "builtin-defaults" in out
    code, out = run(["run", "--duration", "1"], env={"LIGHTER_CONFIG": "/nonexistent.yaml"})
    assert code == 2 and "/nonexistent.yaml" in out
    code, out = run(["config", "check"], env={"LIGHTER_CONFIG": ""})  # no config.yaml in this folder
    assert code == 2 and f"no config.yaml in {tmp_path}" in out
    code, out = run(["config", "check", "--config", "builtin-defaults"], env={"LIGHTER_CONFIG": ""})
    assert code == 0 and "built-in defaults are valid" in out
    code, out = run(["config", "check"], env={"LIGHTER_CONFIG": "builtin-defaults"})
    assert code == 0 and BotConfig().config_hash() in out


def test_config_show_redacts_the_webhook_and_url_credentials(tmp_path: Path) -> None:
    hook = "https://discord.com/api/webhooks/1234567890/s3cr3t-t0ken-value"
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"alerts": {"discord_webhook_url": hook},
                                 "api": {"base_url": "https://user:pa55word@example.org"}}))
    for args in (["config", "show", "--config", str(p)], ["config", "show", "--json", "--config", str(p)]):
        code, out = run(args)
        assert code == 0, out
        assert "s3cr3t" not in out and "1234567890" not in out and "pa55word" not in out, out
        assert "discord_webhook_url" in out and "***" in out
    p.write_text(yaml.safe_dump({"alerts": {"discord_webhook_url": 12345678}}))
    code, out = run(["config", "check", "--config", str(p)])
    assert code == 2 and "12345678" not in out and "alerts.discord_webhook_url" in out


@pytest.mark.parametrize(("ledger", "words"), [("/", "is a directory"), ("DIR", "is a directory"),
                                               ("/dev/null", "not a regular file")])
def test_a_ledger_path_that_cannot_hold_a_ledger_is_one_clear_error(tmp_path: Path, ledger: str, words: str) -> None:
    path = str(tmp_path) if ledger == "DIR" else ledger
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"metrics": {"ledger_path": path}, "telemetry": {"port": 0}}))
    for venue in ("sim", "lighter"):
        code, out = run(["run", "--venue", venue, "--duration", "1", "--config", str(p)])
        assert code == 2 and "metrics.ledger_path" in out and words in out, out


@pytest.mark.parametrize(("env", "words"), [
    ({"LIGHTER_ACCOUNT_INDEX": "-1"}, "LIGHTER_ACCOUNT_INDEX (-1) must be >= 0"),
    ({"LIGHTER_API_KEY_INDEX": "300"}, "LIGHTER_API_KEY_INDEX (300) must be 0..254"),
    ({"LIGHTER_API_PRIVATE_KEY": "0xnot-a-key-zz"}, "LIGHTER_API_PRIVATE_KEY is not an API private key"),
])
def test_malformed_credentials_exit_2_without_showing_them(tmp_path: Path, env: dict[str, str], words: str) -> None:
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"telemetry": {"port": 0}, "metrics": {"ledger_path": str(tmp_path / "f.jsonl")}}))
    full = {"LIGHTER_API_PRIVATE_KEY": "0x" + "ab" * 40, "LIGHTER_ACCOUNT_INDEX": "7", "LIGHTER_API_KEY_INDEX": "3",
            "WS_TOKEN_FILE": str(tmp_path / "none"), **env}
    for cmd in (["config", "check"], ["run", "--venue", "lighter", "--base-url", "http://127.0.0.1:9"]):
        code, out = run([*cmd, "--config", str(p)], env=full)
        assert code == 2 and words in out, out
        assert "not-a-key" not in out
