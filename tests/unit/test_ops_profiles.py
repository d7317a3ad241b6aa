"""Applying a profile to config.yaml: merge_profile semantics, every comment kept, validated before
anything is written, atomic writes, placeholders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from lighter_bot.config import load_config, merge_profile, parse_config
from lighter_bot.errors import ConfigError, DataError
from lighter_bot.ops.profiles import apply_profile, fill_placeholder, load_profile, render_profile

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cfg_file(tmp_path: Path) -> Path:
    p = tmp_path / "config.yaml"
    shutil.copy(REPO / "config.yaml", p)
    return p


def comments(text: str) -> list[str]:
    return [line[line.index("#"):] for line in text.splitlines() if "#" in line]


ETH = {
    "market": 0,
    "symbol": "ETH",
    "maker": {"size": 0.0053, "size_min": 0.005, "size_max": 0.0055, "exchange_min_size": 0.005,
              "inventory_soft_cap": 0.011, "spread_bps": None, "price_scale": 100, "size_scale": 10000,
              "volatility": {"min_spread_bps": 8.0}},
    "hedger": {"trigger_units": 0.0083, "target_units": 0.0025, "max_clip_units": 0.0058, "max_slippage_bps": None},
    "guard": {"max_position_units": 0.022, "max_inventory_notional": 52.0},
    "metadata": {"exchange_min_notional": 10.5, "min_base_amount": 0.005},
}


def test_apply_equals_merge_profile_and_keeps_every_comment(cfg_file: Path) -> None:
    before = cfg_file.read_text()
    result = apply_profile(cfg_file, ETH)
    assert cfg_file.read_text() == before  # apply_profile itself writes nothing
    expected = parse_config(merge_profile(yaml.safe_load(before), ETH))
    assert result.config == expected
    assert parse_config(yaml.safe_load(result.text)) == expected
    old_comments, new_comments = comments(before), comments(result.text)
    assert len(new_comments) == len(old_comments)
    # comments on changed keys rename the market; all others are byte-identical
    assert [c.replace("SOL", "ETH") for c in old_comments] == [c.replace("SOL", "ETH") for c in new_comments]
    assert "# ETH perp" in result.text and "size: 0.0053                # ETH" in result.text
    assert "spread_bps: 12.0            # full width" in result.text  # null in the profile: left as is
    keys = {c.key for c in result.changes}
    assert {"maker.pair", "maker.size", "maker.volatility.min_spread_bps", "guard.max_position_units"} <= keys
    assert "maker.spread_bps" not in keys and "maker.exchange_min_notional" not in keys  # 10.5 already


def test_applying_the_shipped_profile_changes_nothing(cfg_file: Path) -> None:
    result = apply_profile(cfg_file, load_profile(REPO / "profiles" / "market_2.yaml"))
    assert result.changes == ()
    assert result.text == cfg_file.read_text()


def test_invalid_result_is_refused_with_the_rule(cfg_file: Path) -> None:
    bad = {"market": 2, "maker": {"size_min": 0.5}}
    with pytest.raises(ConfigError, match=r"maker.size_min \(0.5\) must be <= maker.size_max"):
        apply_profile(cfg_file, bad)


def test_profile_shape_errors(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text("market: sol\nmaker: 3\nextra: 1\n")
    with pytest.raises(ConfigError) as err:
        load_profile(p)
    text = str(err.value)
    assert "market ('sol')" in text and "maker: must be a mapping" in text and "extra: unknown profile key" in text
    with pytest.raises(DataError, match="no such file"):
        load_profile(tmp_path / "missing.yaml")


def test_rendered_profile_round_trips_and_says_null(tmp_path: Path) -> None:
    text = render_profile(ETH, "header line")
    assert text.startswith("# header line\n") and "spread_bps: null" in text
    assert yaml.safe_load(text) == ETH
    p = tmp_path / "market_0.yaml"
    p.write_text(text)
    cfg = load_config(REPO / "config.yaml", p)
    assert cfg.maker.pair == "market:0" and cfg.maker.size == 0.0053


def test_placeholders() -> None:
    assert fill_placeholder("profiles/market_<id>.yaml", 102) == Path("profiles/market_102.yaml")
    assert fill_placeholder("data/instruments/market_{id}.json", 2) == Path("data/instruments/market_2.json")
