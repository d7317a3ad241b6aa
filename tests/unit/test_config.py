"""Config models: operator defaults, one clear message per problem, profiles, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from lighter_bot.config import BotConfig, load_config, load_secrets, parse_config
from lighter_bot.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_defaults_are_the_operators_numbers() -> None:
    c = BotConfig()
    assert (c.maker.size, c.maker.size_min, c.maker.size_max) == (0.064, 0.061, 0.072)
    assert (c.maker.exchange_min_size, c.maker.exchange_min_notional, c.maker.spread_bps) == (0.061, 10.5, 12.0)
    v = c.maker.volatility
    assert (v.min_spread_bps, v.max_spread_bps, v.ema_halflife_seconds, v.pause_threshold_bps) == (7, 13, 45, 30)
    assert (v.max_size_multiplier, v.min_size_multiplier, v.resume_inventory_ratio) == (1.1, 0.7, 0.25)
    t = c.maker.trend
    assert (t.lookback_seconds, t.threshold_bps, t.resume_threshold_bps, t.extra_spread_bps) == (45, 12, 6, 2.5)
    assert c.maker.pnl_guard.max_extra_bps == 8
    h = c.hedger
    assert (h.dry_run, h.trigger_units, h.target_units, h.max_clip_units, h.max_slippage_bps) == (False, 0.07, 0.03, 0.08, 7)
    assert (h.prefer_passive, h.passive_wait_seconds, h.passive_offset_bps) == (True, 0.4, 2.0)
    g = c.guard
    assert (g.max_position_units, g.max_inventory_notional, g.backoff_seconds_on_block) == (0.3, 50, 5)
    m = c.metrics
    assert (m.ledger_path, m.max_bytes, m.rolling_window_seconds) == ("data/metrics/fills.jsonl", 5242880, 21600)
    assert c.telemetry.port == 8000
    assert c.maker.market_id == 2


def test_shipped_config_and_profile_equal_defaults() -> None:
    assert load_config(REPO / "config.yaml") == BotConfig()
    assert load_config(REPO / "config.yaml", REPO / "profiles" / "market_2.yaml") == BotConfig()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"maker": {"size_min": 0.08}}, "maker.size_min (0.08) must be <= maker.size_max (0.072)"),
        ({"maker": {"sise": 1}}, "maker.sise: unknown key"),
        ({"guard": {"max_position_units": -1}}, "guard.max_position_units (-1)"),
        ({"telemetry": {"port": "http"}}, "telemetry.port ('http')"),
        ({"maker": {"trend": {"resume_threshold_bps": 20}}}, "maker.trend.resume_threshold_bps (20) must be <="),
    ],
    ids=["size-order", "unknown-key", "negative-cap", "bad-port", "trend-hysteresis"],
)
def test_bad_values_name_path_value_and_rule(data: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_config_hash_changes_with_values() -> None:
    assert BotConfig().config_hash() != parse_config({"maker": {"spread_bps": 13}}).config_hash()


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("maker:\n  size: [1\n")
    with pytest.raises(ConfigError, match="line"):
        load_config(p)


def test_secrets_from_env_and_old_names_never_in_repr(tmp_path: Path) -> None:
    s = load_secrets({"API_KEY_PRIVATE_KEY": "0x" + "de" * 40, "ACCOUNT_INDEX": "366110", "WS_TOKEN_FILE": str(tmp_path / "x")})
    assert s.account_index == 366110
    assert s.api_private_key is not None and s.api_private_key.get_secret_value() == "0x" + "de" * 40
    assert "dedede" not in repr(s) and "dedede" not in str(s.redacted())


def test_ws_token_file_fallback(tmp_path: Path) -> None:
    f = tmp_path / ".env.ws_token"
    f.write_text("WS_AUTH_TOKEN=tok123\nLIGHTER_API_BEARER=bear456\n")
    s = load_secrets({"WS_TOKEN_FILE": str(f)})
    assert s.ws_auth_token is not None and s.ws_auth_token.get_secret_value() == "tok123"
    assert s.api_bearer is not None and s.api_bearer.get_secret_value() == "bear456"


def test_bad_env_int_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="LIGHTER_ACCOUNT_INDEX"):
        load_secrets({"LIGHTER_ACCOUNT_INDEX": "abc", "WS_TOKEN_FILE": "/nonexistent"})
