"""Market metadata parsing and profile sizing: minimums at the current price, the lot grid, and a
profile that always validates when merged into the shipped config."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lighter_bot.config import BotConfig, merge_profile, parse_config
from lighter_bot.errors import DataError
from lighter_bot.ops.markets import exchange_min_notional, find_market
from lighter_bot.ops.sizing import compute_sizing
from lighter_bot.venues.lighter.parse_markets import MarketInfo, perp_markets


def market(price: str = "168", min_base: str = "0.061", min_quote: str = "10", size_dec: int = 3, price_dec: int = 3,
           imf: int = 500) -> MarketInfo:
    return MarketInfo(
        market_id=2, symbol="SOL", status="active", market_type="perp", min_base_amount=Decimal(min_base),
        min_quote_amount=Decimal(min_quote), size_decimals=size_dec, price_decimals=price_dec,
        last_trade_price=Decimal(price), default_initial_margin_fraction=imf, maintenance_margin_fraction=120,
        maker_fee=Decimal(0), taker_fee=Decimal(0), daily_quote_volume=Decimal(10**8), daily_trades_count=10**5,
        daily_price_low=Decimal(price) * Decimal("0.98"), daily_price_high=Decimal(price) * Decimal("1.02"),
        open_interest=Decimal(0),
    )


def test_parses_the_real_order_book_details(lighter_fixtures: Path) -> None:
    payload = json.loads((lighter_fixtures / "http_order_book_details.json").read_text())
    [eth] = perp_markets(payload)
    assert (eth.symbol, eth.market_id, eth.size_decimals, eth.price_decimals) == ("ETH", 0, 4, 2)
    assert (eth.min_base_amount, eth.min_quote_amount) == (Decimal("0.0050"), Decimal("10.000000"))
    assert eth.last_trade_price == Decimal("2361.31") and eth.default_initial_margin_fraction == 500
    assert find_market([eth], symbol="eth") is eth
    with pytest.raises(DataError, match="no perp market with symbol 'SOL'"):
        find_market([eth], symbol="SOL")


def test_operators_sol_example() -> None:
    """SOL at $168 with min 0.061 / $10 (the old script's market_2.yaml example): the minimum clip is the
    notional floor $10.50 at a 2 % lower price, 0.064 SOL, on the 0.001 grid (not rounded to 0.01)."""
    s = compute_sizing(market(), Decimal(30), Decimal("1.1"))
    assert s.size_min == Decimal("0.064")  # ceil(10.5 / (168 * 0.98), 3)
    assert s.size_max == Decimal("0.071")  # ceil(0.064 * 1.1, 3)
    assert s.size == Decimal("0.068")
    assert (s.inventory_soft_cap, s.target_units, s.trigger_units) == (Decimal("0.142"), Decimal("0.032"), Decimal("0.107"))
    assert s.max_position_units == Decimal("0.284") and s.max_inventory_notional == Decimal("47.8")
    profile = s.profile()
    assert profile["metadata"]["exchange_min_notional"] == 10.5
    cfg = parse_config(merge_profile(BotConfig().model_dump(mode="json"), profile))
    assert cfg.maker.size_min == 0.064 and cfg.maker.pair == "market:2" and cfg.maker.exchange_min_notional == 10.5


def test_balance_too_small_names_the_minimum() -> None:
    with pytest.raises(DataError, match=r"--balance-usd 15 is too small for SOL.*use --balance-usd 21\.51 or more"):
        compute_sizing(market(), Decimal(15), Decimal("1.1"))


def test_balance_caps_size_max() -> None:
    s = compute_sizing(market(), Decimal(22), Decimal(3))
    assert s.size_max == Decimal("0.065")  # floor(11 / 168, 3)
    assert any("capped" in n for n in s.notes)


@st.composite
def markets(draw: st.DrawFn) -> MarketInfo:
    size_dec = draw(st.integers(0, 6))
    price_dec = draw(st.integers(0, 6))
    price = Decimal(draw(st.integers(1, 10**9))).scaleb(-price_dec)
    min_base = Decimal(draw(st.integers(1, 10**4))).scaleb(-size_dec)
    min_quote = Decimal(draw(st.sampled_from(["1", "5", "10", "10.5", "25"])))
    imf = draw(st.sampled_from([200, 500, 1000, 3333]))
    return market(str(price), str(min_base), str(min_quote), size_dec, price_dec, imf)


@settings(max_examples=300, deadline=None)
@given(m=markets(), balance=st.integers(1, 100_000), mult=st.sampled_from(["1", "1.1", "1.5", "2.5"]))
def test_sizing_invariants(m: MarketInfo, balance: int, mult: str) -> None:
    try:
        s = compute_sizing(m, Decimal(balance), Decimal(mult))
    except DataError as exc:
        assert "--balance-usd" in str(exc)
        return
    lot = Decimal(1).scaleb(-m.size_decimals)
    price = m.last_trade_price
    for v in (s.size, s.size_min, s.size_max, s.inventory_soft_cap, s.trigger_units, s.target_units,
              s.max_clip_units, s.max_position_units):
        assert v % lot == 0, v  # on the lot grid
    # the smallest clip clears both exchange minimums (error 21706) even 2 % below the last price
    spec = m.spec
    assert spec.meets_minimums(spec.price_to_ticks_down(price), spec.size_to_lots_down(s.size_min))
    assert s.size_min * price * Decimal("0.98") >= exchange_min_notional(m) > m.min_quote_amount
    # and is the smallest such lot count (unless pinned by min_base_amount)
    if s.size_min - lot >= m.min_base_amount:
        assert (s.size_min - lot) * price * Decimal("0.98") < exchange_min_notional(m)
    assert s.size_min <= s.size <= s.size_max
    assert s.size_max * price <= Decimal(balance) / 2
    assert s.trigger_units - s.target_units >= s.size_min  # a hedge back to target is a legal clip
    assert s.max_clip_units >= s.size_min
    assert s.max_position_units * price * m.initial_margin <= Decimal(balance) / 2 + lot * price
    cfg = parse_config(merge_profile(BotConfig().model_dump(mode="json"), s.profile()))
    assert cfg.maker.market_id == m.market_id
