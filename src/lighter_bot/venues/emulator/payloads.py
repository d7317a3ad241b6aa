"""Lighter JSON shapes (REST and WS) built from emulator records; field sets follow real payloads
(../shared/lighter-fixtures). Amounts are strings with the market's exact decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lighter_bot.domain.market import MarketSpec
from lighter_bot.venues.emulator.records import TIF_NAMES, TYPE_NAMES, AccountState, OrderRecord, TradeRecord

QUOTE_DP = Decimal("0.000001")
USDC_ASSET_ID = 3


def px(m: MarketSpec, ticks: int) -> str:
    return f"{Decimal(ticks).scaleb(-m.price_decimals):f}"


def sz(m: MarketSpec, lots: int) -> str:
    return f"{Decimal(lots).scaleb(-m.size_decimals):f}"


def quote(value: Decimal | float) -> str:
    return f"{Decimal(str(value)).quantize(QUOTE_DP):f}"


def quote_of(m: MarketSpec, ticks_times_lots: int) -> str:
    return quote(Decimal(ticks_times_lots).scaleb(-(m.price_decimals + m.size_decimals)))


def order_json(m: MarketSpec, o: OrderRecord) -> dict[str, Any]:
    return {
        "order_index": o.order_index,
        "client_order_index": o.client_order_index,
        "order_id": str(o.order_index),
        "client_order_id": str(o.client_order_index),
        "market_index": o.market_index,
        "owner_account_index": o.account_index,
        "initial_base_amount": sz(m, o.initial),
        "price": px(m, o.price),
        "nonce": o.nonce,
        "remaining_base_amount": sz(m, o.remaining),
        "is_ask": o.is_ask,
        "base_size": o.initial,
        "base_price": o.price,
        "filled_base_amount": sz(m, o.filled),
        "filled_quote_amount": quote_of(m, o.filled_quote),
        "side": "sell" if o.is_ask else "buy",
        "type": TYPE_NAMES.get(o.order_type, "limit"),
        "time_in_force": TIF_NAMES.get(o.tif, "good-till-time"),
        "reduce_only": o.reduce_only,
        "trigger_price": px(m, o.trigger_price),
        "order_expiry": o.order_expiry,
        "status": o.status,
        "trigger_status": "na",
        "trigger_time": 0,
        "parent_order_index": 0,
        "parent_order_id": "0",
        "to_trigger_order_id_0": "0",
        "to_trigger_order_id_1": "0",
        "to_cancel_order_id_0": "0",
        "integrator_fee_collector_index": "0",
        "integrator_taker_fee": "0",
        "integrator_maker_fee": "0",
        "block_height": o.block_height,
        "timestamp": o.updated_ms,
        "created_at": o.created_ms,
        "updated_at": o.updated_ms,
        "transaction_time": o.tx_us,
    }


def trade_json(m: MarketSpec, t: TradeRecord, with_before: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {
        "trade_id": t.trade_id,
        "trade_id_str": str(t.trade_id),
        "tx_hash": t.tx_hash,
        "type": "trade",
        "market_id": t.market_id,
        "size": sz(m, t.size),
        "price": px(m, t.price),
        "usd_amount": quote_of(m, t.price * t.size),
        "ask_id": t.ask_id,
        "ask_id_str": str(t.ask_id),
        "bid_id": t.bid_id,
        "bid_id_str": str(t.bid_id),
        "ask_client_id": t.ask_client_id,
        "ask_client_id_str": str(t.ask_client_id),
        "bid_client_id": t.bid_client_id,
        "bid_client_id_str": str(t.bid_client_id),
        "ask_account_id": t.ask_account_id,
        "bid_account_id": t.bid_account_id,
        "is_maker_ask": t.is_maker_ask,
        "block_height": t.block_height,
        "timestamp": t.ts_ms,
    }
    if with_before:
        d["taker_position_size_before"] = sz(m, t.taker_position_before)
        d["taker_entry_quote_before"] = quote(t.taker_entry_quote_before)
        d["taker_initial_margin_fraction_before"] = 500
    if t.taker_fee:  # Lighter omits zero fees
        d["taker_fee"] = t.taker_fee
    if t.maker_fee:
        d["maker_fee"] = t.maker_fee
    if with_before:
        d["maker_position_size_before"] = sz(m, t.maker_position_before)
        d["maker_entry_quote_before"] = quote(t.maker_entry_quote_before)
        d["maker_initial_margin_fraction_before"] = 500
    d["transaction_time"] = t.tx_us
    return d


def position_json(
    m: MarketSpec, a: AccountState, mark: int | None, open_orders: int, ws: bool = False
) -> dict[str, Any]:
    mark_px = m.px(mark) if mark is not None else a.pnl.avg_price
    qty = m.sz(a.position)
    value = abs(qty) * mark_px
    d: dict[str, Any] = {
        "market_id": m.market_id,
        "symbol": m.symbol,
        "initial_margin_fraction": "5.00",
        "open_order_count": open_orders,
        "pending_order_count": 0,
        "position_tied_order_count": 0,
        "sign": -1 if a.position < 0 else 1,
        "position": sz(m, abs(a.position)),
        "avg_entry_price": f"{Decimal(str(a.pnl.avg_price)).quantize(Decimal(1).scaleb(-m.price_decimals)):f}",
        "position_value": quote(value),
        "unrealized_pnl": quote(a.pnl.unrealized(mark_px) if a.position else 0.0),
        "realized_pnl": quote(a.pnl.realized),
        "liquidation_price": "0",
    }
    if ws:
        d["total_funding_paid_out"] = "0.000000"
    d["margin_mode"] = 0
    d["allocated_margin"] = "0.000000"
    if ws:
        d["total_discount"] = "0.000000"
    return d


def collateral(a: AccountState) -> Decimal:
    return a.collateral0 + Decimal(str(a.pnl.realized))


def asset_json(a: AccountState) -> dict[str, Any]:
    c = quote(collateral(a))
    return {
        "symbol": "USDC",
        "asset_id": USDC_ASSET_ID,
        "balance": c,
        "locked_balance": "0.000000",
        "margin_mode": "disabled",
        "margin_balance": c,
    }


def account_json(
    m: MarketSpec, a: AccountState, mark: int | None, open_orders: int, pending_orders: int
) -> dict[str, Any]:
    pos = position_json(m, a, mark, open_orders)
    mark_px = m.px(mark) if mark is not None else 0.0
    col = collateral(a)
    upnl = Decimal(str(a.pnl.unrealized(mark_px) if a.position and mark is not None else 0.0))
    im = Decimal(str(abs(m.sz(a.position)) * mark_px)) * Decimal("0.05")
    return {
        "code": 0,
        "account_type": 0,
        "index": a.index,
        "l1_address": a.l1_address,
        "cancel_all_time": a.cancel_all_time,
        "total_order_count": open_orders,
        "total_isolated_order_count": 0,
        "pending_order_count": pending_orders,
        "available_balance": quote(max(Decimal(0), col + upnl - im)),
        "status": 1,
        "collateral": quote(col),
        "transaction_time": 0,
        "account_trading_mode": 0,
        "account_index": a.index,
        "name": "",
        "description": "",
        "can_invite": False,
        "referral_points_percentage": "",
        "can_rfq": False,
        "can_rfq_market_ids": None,
        "created_at": a.created_ms,
        "metadata": {"color": ""},
        "positions": [pos],
        "assets": [asset_json(a)],
        "total_asset_value": quote(col + upnl),
        "cross_asset_value": quote(col + upnl),
        "cross_initial_margin_requirement": quote(im),
        "cross_maintenance_margin_requirement": quote(im * Decimal("0.24")),
        "shares": [],
        "pending_unlocks": [],
        "approved_integrators": [],
    }


def user_stats_json(m: MarketSpec, a: AccountState, mark: int | None) -> dict[str, Any]:
    acc = account_json(m, a, mark, 0, 0)
    pv = acc["total_asset_value"]
    value = abs(m.sz(a.position)) * (m.px(mark) if mark is not None else 0.0)
    lev = value / float(pv) if float(pv) > 0 else 0.0
    stats = {
        "available_balance": acc["available_balance"],
        "buying_power": "0",
        "collateral": acc["collateral"],
        "leverage": f"{lev:.2f}",
        "margin_usage": f"{lev * 5:.2f}",
        "portfolio_value": pv,
    }
    return {"account_trading_mode": 0, **stats, "cross_stats": dict(stats), "total_stats": dict(stats)}


def market_detail_json(m: MarketSpec, stats: dict[str, Any], taker_fee: str, maker_fee: str) -> dict[str, Any]:
    return {
        "symbol": m.symbol,
        "market_id": m.market_id,
        "market_type": "perp",
        "base_asset_id": 0,
        "quote_asset_id": 0,
        "status": "active",
        "taker_fee": taker_fee,
        "is_taker_fee_enabled": True,
        "maker_fee": maker_fee,
        "is_maker_fee_enabled": True,
        "liquidation_fee": "1.0000",
        "min_base_amount": sz(m, m.min_size_lots),
        "min_quote_amount": quote(m.min_quote),
        "order_quote_limit": "281474976.710655",
        "supported_size_decimals": m.size_decimals,
        "supported_price_decimals": m.price_decimals,
        "supported_quote_decimals": 6,
    }


def market_detail_full_json(m: MarketSpec, stats: dict[str, Any], taker_fee: str, maker_fee: str) -> dict[str, Any]:
    d = market_detail_json(m, stats, taker_fee, maker_fee)
    d.update(
        {
            "size_decimals": m.size_decimals,
            "price_decimals": m.price_decimals,
            "quote_multiplier": 1,
            "default_initial_margin_fraction": 500,
            "min_initial_margin_fraction": 200,
            "maintenance_margin_fraction": 120,
            "closeout_margin_fraction": 80,
            "last_trade_price": stats["last_trade_price"],
            "daily_trades_count": stats["daily_trades_count"],
            "daily_base_token_volume": stats["daily_base_token_volume"],
            "daily_quote_token_volume": stats["daily_quote_token_volume"],
            "daily_price_low": stats["daily_price_low"],
            "daily_price_high": stats["daily_price_high"],
            "daily_price_change": stats["daily_price_change"],
            "open_interest": stats["open_interest"],
            "daily_chart": {},
            "market_config": {
                "market_margin_mode": 0,
                "insurance_fund_account_index": 281474976710655,
                "liquidation_mode": 0,
                "force_reduce_only": False,
                "trading_hours": "",
                "funding_fee_discounts_enabled": False,
                "hidden": False,
                "rfq_enabled": False,
            },
            "strategy_index": 0,
        }
    )
    return d
