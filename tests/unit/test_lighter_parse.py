"""Every real Lighter payload in ../shared/lighter-fixtures decodes into domain values (parse.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lighter_bot.domain.market import MarketSpec
from lighter_bot.domain.orders import Role, Side
from lighter_bot.errors import DataError
from lighter_bot.venues.lighter import parse, parse_account, parse_markets, parse_trades

ETH = MarketSpec(0, "ETH", 2, 4, Decimal("0.0050"), Decimal("10"))
BTC = MarketSpec(1, "BTC", 1, 5, Decimal("0.0002"), Decimal("10"))


def load(d: Path, name: str) -> Any:
    return json.loads((d / name).read_text())


def test_market_spec_from_order_book_details(lighter_fixtures: Path) -> None:
    spec = parse_markets.market_spec(load(lighter_fixtures, "http_order_book_details.json"), 0)
    assert (spec.symbol, spec.price_decimals, spec.size_decimals) == ("ETH", 2, 4)
    assert spec.min_base_size == Decimal("0.0050") and spec.min_quote == Decimal("10.000000")
    assert parse_markets.market_spec(load(lighter_fixtures, "http_order_books.json"), 0) == spec
    with pytest.raises(DataError, match="market 7 not listed"):
        parse_markets.market_spec(load(lighter_fixtures, "http_order_book_details.json"), 7)


def test_book_snapshot_and_update(lighter_fixtures: Path) -> None:
    snap = parse.book_frame(load(lighter_fixtures, "ws_order_book_subscribed.json"), ETH)
    assert snap.snapshot and snap.nonce == 904845 and snap.begin_nonce == 0
    assert snap.asks == ((232500, 990000), (234125, 3401028)) and snap.bids == ((200000, 200),)
    upd = parse.book_frame(load(lighter_fixtures, "ws_order_book_update.json"), ETH)
    assert not upd.snapshot and (upd.begin_nonce, upd.nonce) == (9182389998, 9182390020)
    assert upd.asks == ((206454, 3285),) and upd.bids == ()
    empty = parse.book_frame(load(lighter_fixtures, "ws_order_book_subscribed_empty.json"), ETH)
    assert empty.snapshot and empty.bids == () and empty.asks == ()
    depth = parse.depth_book(load(lighter_fixtures, "http_order_book_depth.json"), ETH)
    assert depth.best_bid == 235271 and depth.best_ask == 235274
    assert parse.depth_book(load(lighter_fixtures, "http_order_book_depth_null.json"), ETH).mid2 is None


def test_public_trades(lighter_fixtures: Path) -> None:
    for name in ("ws_trade_subscribed.json", "ws_trade_update.json"):
        (t,) = parse_trades.trade_frame(load(lighter_fixtures, name), ETH)
        assert (t.trade_id, t.price, t.size) == ("16164557907", 218183, 1336)
        assert t.taker_side is Side.ASK  # is_maker_ask false: the maker bid, so the taker sold
    ordered = parse_trades.trade_frame(load(lighter_fixtures, "http_recent_trades_unordered.json"), ETH)
    assert [t.trade_id for t in ordered] == ["19211490282", "19211490283", "19211490284"]
    assert parse_trades.trade_frame(load(lighter_fixtures, "http_recent_trades_null.json"), ETH) == []
    assert parse_trades.trade_frame(load(lighter_fixtures, "http_recent_trades_missing.json"), ETH) == []
    (r,) = parse_trades.trade_frame(load(lighter_fixtures, "http_recent_trades.json"), ETH)
    assert r.maker_fee == 28 and r.taker_fee == 0  # Lighter omits zero fees


def test_account_trade_becomes_our_fill(lighter_fixtures: Path) -> None:
    (t,) = parse_trades.account_trades(load(lighter_fixtures, "ws_account_all_trades_update.json"), ETH)
    (f,) = parse_trades.our_fills(t, 1234)
    assert f.side is Side.BID and f.client_order_index == 7001011966 and f.order_index == 562947905631053
    assert f.role is Role.TAKER  # the maker was the ask; we bid
    assert f.fee == pytest.approx(314.324728 * 196e-6)
    assert (f.price, f.size, f.trade_id) == (235273, 1336, "19209006902")
    assert parse_trades.our_fills(t, 999) == []


def test_self_trade_gives_two_distinct_fills() -> None:
    t = parse_trades.TradeInfo("5", 0, 100, 10, 1.0, 7, 7, 1, 2, 11, 12, True, 196, 28, 0)
    fills = parse_trades.our_fills(t, 7)
    assert {f.trade_id for f in fills} == {"5/bid", "5/ask"}
    assert {(f.side, f.role) for f in fills} == {(Side.BID, Role.TAKER), (Side.ASK, Role.MAKER)}


def test_market_info_from_order_book_details(lighter_fixtures: Path) -> None:
    body = load(lighter_fixtures, "http_order_book_details.json")
    (eth,) = parse_markets.perp_markets(body)
    assert eth.spec == parse_markets.market_spec(body, 0)
    assert eth.maker_fee == Decimal(body["order_book_details"][0]["maker_fee"])  # percent, as Lighter sends it
    assert eth.initial_margin == Decimal(eth.default_initial_margin_fraction) / 10_000
    (row,) = body["order_book_details"]
    with pytest.raises(DataError, match="orderBookDetails entry 'ETH' min_quote_amount: expected a number"):
        parse_markets.market_info({k: v for k, v in row.items() if k != "min_quote_amount"})
    with pytest.raises(DataError, match="orderBookDetails entry 'ETH' price_decimals: expected an integer, got 'x'"):
        parse_markets.market_info({**row, "price_decimals": "x"})
    with pytest.raises(DataError, match="order_book_details is not a list"):
        parse_markets.perp_markets({"order_book_details": {}})


def test_account_fills_agree_with_the_venue_fills(lighter_fixtures: Path) -> None:
    """The decimal reading (trade history, imports) and the venue's tick reading of one account trade
    name the same side, role, fee and ids."""
    msg = load(lighter_fixtures, "ws_account_all_trades_update.json")
    row = msg["trades"]["0"][0]
    (f,) = parse_trades.account_fills(row, 1234)
    (v,) = parse_trades.our_fills(parse_trades.account_trades(msg, ETH)[0], 1234)
    assert (f.side, f.role, f.trade_id, f.client_order_id, f.order_id) == (v.side, v.role, v.trade_id, v.client_order_index, str(v.order_index))
    assert (ETH.price_to_ticks_down(f.price), ETH.size_to_lots_down(f.size)) == (v.price, v.size)
    assert f.fee == Decimal("314.324728") * 196 / 1_000_000 and float(f.fee) == pytest.approx(v.fee)
    assert f.ts == row["timestamp"] / 1000 and f.market_id == 0 and f.position_before is None
    assert parse_trades.account_fills(row, 999) == []


@pytest.mark.parametrize(("maker_ask", "side", "role"), [
    (True, Side.ASK, Role.MAKER), (False, Side.ASK, Role.TAKER), (True, Side.BID, Role.TAKER), (False, Side.BID, Role.MAKER),
])
def test_account_fill_role_and_fee(maker_ask: bool, side: Side, role: Role) -> None:
    me, other = 7, 8
    row = {"trade_id": 5, "market_id": 2, "size": "0.064", "price": "170.5", "timestamp": 1762000000123,
           "ask_account_id": me if side is Side.ASK else other, "bid_account_id": me if side is Side.BID else other,
           "is_maker_ask": maker_ask, "maker_fee": 28, "taker_fee": 196, f"{role.value}_position_size_before": "-0.5"}
    (f,) = parse_trades.account_fills(row, me)
    assert (f.side, f.role, f.trade_id) == (side, role, "5")
    assert f.notional == Decimal("10.9120")  # no usd_amount: size x price
    assert f.fee == f.notional * (28 if role is Role.MAKER else 196) / 1_000_000
    assert f.position_before == Decimal("-0.5") and f.signed_size == Decimal("0.064") * side.sign
    del row[f"{role.value}_fee"]
    assert parse_trades.account_fills(row, me)[0].fee == 0  # Lighter omits zero fees


def test_account_fills_self_trade_and_malformed() -> None:
    row = {"trade_id": 5, "market_id": 2, "size": "1", "price": "10", "timestamp": 1, "ask_account_id": 7,
           "bid_account_id": 7, "is_maker_ask": True}
    assert [(f.side, f.role) for f in parse_trades.account_fills(row, 7)] == [(Side.BID, Role.TAKER), (Side.ASK, Role.MAKER)]
    with pytest.raises(DataError, match="trade 5: size: expected a number"):
        parse_trades.account_fills({**row, "size": None}, 7)
    with pytest.raises(DataError, match="trade 5: size and price must be positive"):
        parse_trades.account_fills({**row, "price": "0"}, 7)
    with pytest.raises(DataError, match="trade 5: maker_fee: expected an integer"):
        parse_trades.account_fills({**row, "maker_fee": "x"}, 7)


def test_order_book_touch(lighter_fixtures: Path) -> None:
    body = load(lighter_fixtures, "http_order_book_orders.json")
    assert parse.order_book_touch(body) == (Decimal("2361.17"), Decimal("2361.32"))
    bids = [*body["bids"], {"price": "2361.30", "remaining_base_amount": "0"}, {"price": "x"}, "junk"]
    assert parse.order_book_touch({**body, "bids": bids}) == (Decimal("2361.17"), Decimal("2361.32"))
    assert parse.order_book_touch({**body, "asks": []}) is None


def test_orders(lighter_fixtures: Path) -> None:
    (o,) = parse_account.orders_body(load(lighter_fixtures, "ws_account_orders_update.json"), ETH)
    assert (o.order_index, o.client_order_index, o.is_ask, o.price) == (281476929510110, 42, True, 235274)
    assert (o.initial, o.remaining, o.filled, o.status, o.live) == (50, 30, 20, "open", True)
    (r,) = parse_account.orders_body(load(lighter_fixtures, "http_orders.json"), ETH)
    assert r.remaining == 50 and not r.canceled
    assert parse_account.orders_body(load(lighter_fixtures, "http_orders.json"), BTC) == []


def test_positions_and_account(lighter_fixtures: Path) -> None:
    pos = parse_account.positions_frame(load(lighter_fixtures, "ws_account_all_positions_update.json"), ETH)
    assert pos == parse_account.PositionInfo(15000, 2350.10)
    # A frame that does not mention the market says nothing (not "flat").
    assert parse_account.positions_frame(load(lighter_fixtures, "ws_account_all_positions_update.json"), BTC) is None
    assert parse_account.positions_frame(load(lighter_fixtures, "ws_account_all_assets_update.json"), ETH) is None
    acct = parse_account.account(load(lighter_fixtures, "http_account.json"), BTC, 123456)
    assert acct.position.lots == 0 and acct.cancel_all_time_ms == 0
    # The full REST snapshot is authoritative: a market it does not list is flat.
    assert parse_account.account(load(lighter_fixtures, "http_account.json"), ETH, 123456).position.lots == 0
    with pytest.raises(DataError):
        parse_account.account(load(lighter_fixtures, "http_account.json"), ETH, 1)


def test_positions_snapshot_semantics(lighter_fixtures: Path) -> None:
    frame = load(lighter_fixtures, "ws_account_all_positions_update.json")
    # account_all_positions frames list every position: a market they leave out is flat...
    assert parse_account.positions_frame(frame, BTC, snapshot=True) == parse_account.PositionInfo(0, None)
    assert parse_account.positions_frame({"positions": {}}, ETH, snapshot=True) == parse_account.PositionInfo(0, None)
    # ...but a frame without a positions map at all says nothing.
    assert parse_account.positions_frame(load(lighter_fixtures, "ws_account_all_assets_update.json"), ETH, snapshot=True) is None
    # A garbled row for our market is skipped and counted, not taken for flat.
    errors = parse.RowErrors()
    bad = {"positions": {"0": {"market_id": 0, "sign": 1, "position": "one", "avg_entry_price": "1"}}}
    assert parse_account.positions_frame(bad, ETH, snapshot=True, errors=errors) is None and errors.counts == {"position": 1}


def test_a_bad_row_costs_that_row_not_the_frame(lighter_fixtures: Path) -> None:
    frame = load(lighter_fixtures, "ws_account_orders_update.json")
    good = frame["orders"]["0"][0]
    frame["orders"]["0"] = [dict(good, price="garbage"), good, {"order_index": "x"}, dict(good, market_index=5, price="?")]
    with pytest.raises(DataError):
        parse_account.orders_body(frame, ETH)  # without a RowErrors: as before, the caller decides
    errors = parse.RowErrors()
    (o,) = parse_account.orders_body(frame, ETH, errors)
    assert o.client_order_index == 42 and errors.counts == {"order": 2}  # another market's row is not even read
    # One bad trade of another market must not drop our fills of this one.
    trades = load(lighter_fixtures, "ws_account_all_trades_update.json")
    rows = [r for rows in trades["trades"].values() for r in rows]
    market = str(rows[0]["market_id"])
    spec = ETH if market == "0" else BTC
    trades["trades"] = {market: [*rows, {"market_id": 7, "trade_id": 1, "price": "?"}, dict(rows[0], size="??", trade_id=9)]}
    errors = parse.RowErrors()
    got = parse_trades.account_trades(trades, spec, errors)
    assert [t.trade_id for t in got] == [str(r.get("trade_id_str") or r["trade_id"]) for r in rows]
    assert errors.counts == {"trade": 1}


def test_error_frames_in_both_shapes() -> None:
    assert parse.error_frame({"type": "error", "code": 30012, "channel": "account_orders:2:9", "message": "failed"}) == (
        30012, "failed", "account_orders:2:9")
    assert parse.error_frame({"error": {"code": 20013, "message": "invalid auth: token expired"}}) == (
        20013, "invalid auth: token expired", "")
    assert parse.error_frame({"type": "update/order_book", "order_book": {}}) is None


def test_short_position_uses_sign() -> None:
    frame = {"positions": {"0": {"market_id": 0, "sign": -1, "position": "1.5000", "avg_entry_price": "2000"}}}
    assert parse_account.positions_frame(frame, ETH) == parse_account.PositionInfo(-15000, 2000.0)


def test_market_stats(lighter_fixtures: Path) -> None:
    assert parse.mark_price(load(lighter_fixtures, "ws_market_stats_update_single.json"), ETH) == 206447
    assert parse.mark_price(load(lighter_fixtures, "ws_market_stats_update_all.json"), ETH) == 206447
    assert parse.mark_price(load(lighter_fixtures, "ws_market_stats_subscribed_single.json"), BTC) == 643563
    assert parse.mark_price(load(lighter_fixtures, "ws_market_stats_subscribed_single.json"), ETH) is None


def test_nonce_and_errors(lighter_fixtures: Path) -> None:
    assert parse_account.next_nonce(load(lighter_fixtures, "http_next_nonce.json")) == 1234567890
    assert parse.error_body('{"code":21104,"message":"invalid nonce"}') == (21104, "invalid nonce")
    assert parse.send_reply(200, None).kind == "ok"
    assert parse.send_reply(21706, "invalid order base or quote amount").code == 21706


def test_every_fixture_decodes(lighter_fixtures: Path) -> None:
    """No payload in the fixture set makes the parser raise (unrelated channels yield nothing)."""
    for path in sorted(lighter_fixtures.glob("*.json")):
        msg = json.loads(path.read_text())
        typ = parse.frame_type(msg)
        name = typ.partition("/")[2]
        if name == "order_book":
            parse.book_frame(msg, ETH)
        elif path.name.startswith("http_order_book_details") or path.name.startswith("http_order_books"):
            parse_markets.market_spec(msg, 0)
        parse_trades.trade_frame(msg, ETH)
        parse_trades.account_trades(msg, ETH)
        parse_account.orders_body(msg, ETH)
        parse_account.positions_frame(msg, ETH)
        parse.mark_price(msg, ETH)


class _Exc(Exception):
    def __init__(self, status: int | None, body: str | None) -> None:
        super().__init__("HTTP response headers: authorization=SECRET")
        self.status = status
        self.body = body


@pytest.mark.parametrize(
    ("status", "body", "kind", "code"),
    [
        (400, '{"code":21104,"message":"invalid nonce"}', "rejected", 21104),
        (400, '{"code":400,"message":"invalid nonce"}', "rejected", 400),
        (429, '{"code":23000,"message":"Too Many Requests!"}', "rate_limited", 23000),
        (503, None, "uncertain", 0),
        (None, None, "uncertain", 0),
    ],
)
def test_send_exception_classification(status: int | None, body: str | None, kind: str, code: int) -> None:
    out = parse.send_exception(_Exc(status, body))
    assert (out.kind, out.code) == (kind, code)
    assert "SECRET" not in out.message
    if "invalid nonce" in (body or ""):
        assert out.invalid_nonce


def test_token_expiry() -> None:
    assert parse.token_expiry("1795660093:65:3:abcd") == 1795660093.0
    assert parse.token_expiry("ro:65:all:1795660093:abcd") == 1795660093.0
    assert parse.token_expiry("garbage") is None
