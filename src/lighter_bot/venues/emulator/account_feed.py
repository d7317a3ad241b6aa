"""The account feed: what each account's channels publish when its orders, fills or position change
(account_orders, account_all_orders, account_all_trades, account_all_positions, account_all_assets,
user_stats, account_all, account_market), their subscribe snapshots, and the REST account views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lighter_bot.venues.emulator import payloads as P
from lighter_bot.venues.emulator.market_feed import ChannelArgs
from lighter_bot.venues.emulator.records import TradeRecord

if TYPE_CHECKING:
    from lighter_bot.venues.emulator.exchange import EmulatedExchange

PRIVATE_CHANNELS = (
    "account_orders",
    "account_all_orders",
    "account_all_trades",
    "account_all_positions",
    "account_all_assets",
    "account_market",
    "account_tx",
)


def channel_account(channel: str) -> int | None:
    """The account a private channel is about (last path part), None for public channels."""
    parts = channel.split("/")
    if parts[0] in PRIVATE_CHANNELS and parts[-1].isdigit():
        return int(parts[-1])
    return None


class AccountFeed:
    def __init__(self, ex: EmulatedExchange) -> None:
        self.ex = ex
        # what changed since the last publication
        self.dirty_orders: dict[int, set[int]] = {}  # account -> internal ids
        self.dirty_fills: dict[int, list[TradeRecord]] = {}
        self.dirty_accounts: set[int] = set()

    def account_json(self, account_index: int) -> dict[str, Any]:
        ex = self.ex
        acc = ex.account(account_index)
        open_n = len(ex.account_orders(account_index, True))
        pending = len([r for r in ex.active.values() if r.account_index == account_index and r.status == "pending"])
        return P.account_json(ex.market, acc, ex.mark or ex.market_feed.mid(), open_n, pending)

    def positions_map(self, account_index: int) -> dict[str, Any]:
        ex = self.ex
        acc = ex.account(account_index)
        open_n = len(ex.account_orders(account_index, True))
        return {
            str(ex.market.market_id): P.position_json(ex.market, acc, ex.mark or ex.market_feed.mid(), open_n, ws=True)
        }

    def account_all_json(self, account_index: int, typ: str, trades: list[TradeRecord]) -> dict[str, Any]:
        ex = self.ex
        m = ex.market
        fills = ex.fills.get(account_index, [])
        vol = sum(m.notional(t.price, t.size) for t in fills)
        return {
            "account": account_index,
            "channel": f"account_all:{account_index}",
            "daily_trades_count": len(fills),
            "daily_volume": vol,
            "weekly_trades_count": len(fills),
            "weekly_volume": vol,
            "monthly_trades_count": len(fills),
            "monthly_volume": vol,
            "total_trades_count": len(fills),
            "total_volume": vol,
            "funding_histories": {},
            "positions": self.positions_map(account_index),
            "shares": [],
            "trades": {str(m.market_id): [P.trade_json(m, t) for t in trades]},
            "assets": {str(P.USDC_ASSET_ID): P.asset_json(ex.account(account_index))},
            "type": typ,
        }

    def publish(self) -> None:
        ex = self.ex
        m = ex.market
        mk = str(m.market_id)
        now_ms = ex.now_ms()
        accounts = set(self.dirty_orders) | set(self.dirty_fills) | self.dirty_accounts
        for a in sorted(accounts):
            ids = sorted(self.dirty_orders.get(a, ()))
            orders = [P.order_json(m, ex.orders[i]) for i in ids]
            fills = self.dirty_fills.get(a, [])
            trades = [P.trade_json(m, t) for t in fills]
            if orders:
                acc_nonce = max(ex.orders[i].nonce for i in ids)
                ex.publish(
                    f"account_orders/{m.market_id}/{a}",
                    {
                        "type": "update/account_orders",
                        "channel": f"account_orders:{m.market_id}:{a}",
                        "account": a,
                        "nonce": acc_nonce,
                        "orders": {mk: orders},
                    },
                )
                ex.publish(
                    f"account_all_orders/{a}",
                    {"type": "update/account_all_orders", "channel": f"account_all_orders:{a}", "orders": {mk: orders}},
                )
            if trades:
                ex.publish(
                    f"account_all_trades/{a}",
                    {"type": "update/account_all_trades", "channel": f"account_all_trades:{a}", "trades": {mk: trades}},
                )
            if trades or a in self.dirty_accounts:
                ex.publish(
                    f"account_all_positions/{a}",
                    {
                        "type": "update/account_all_positions",
                        "channel": f"account_all_positions:{a}",
                        "positions": self.positions_map(a),
                        "shares": [],
                        "last_funding_round": None,
                        "last_funding_discount": None,
                    },
                )
                ex.publish(
                    f"account_all_assets/{a}",
                    {
                        "assets": {str(P.USDC_ASSET_ID): P.asset_json(ex.accounts[a])},
                        "channel": f"account_all_assets:{a}",
                        "timestamp": now_ms,
                        "type": "update/account_all_assets",
                    },
                )
                ex.publish(
                    f"user_stats/{a}",
                    {
                        "channel": f"user_stats:{a}",
                        "stats": P.user_stats_json(m, ex.accounts[a], ex.mark or ex.market_feed.mid()),
                        "timestamp": now_ms,
                        "type": "update/user_stats",
                    },
                )
            ex.publish(f"account_all/{a}", self.account_all_json(a, "update/account_all", fills))
            ex.publish(
                f"account_market/{m.market_id}/{a}",
                {
                    "type": "update/account_market",
                    "channel": f"account_market:{m.market_id}:{a}",
                    "account": a,
                    "orders": orders,
                    "position": self.positions_map(a)[mk],
                    "trades": trades,
                    "funding_history": {},
                },
            )
        self.dirty_orders.clear()
        self.dirty_fills.clear()
        self.dirty_accounts.clear()

    def snapshot(self, ch: ChannelArgs) -> dict[str, Any] | None:
        """The `subscribed/...` reply of an account channel (None: not an account channel)."""
        ex = self.ex
        m, parts, mk = ex.market, ch.parts, str(ex.market.market_id)
        name = parts[0]
        now_ms = ex.now_ms()
        if name == "account_all" and len(parts) == 2:
            a = ch.account(1)
            return self.account_all_json(a, "subscribed/account_all", ex.fills.get(a, [])[-50:])
        if name == "user_stats" and len(parts) == 2:
            a = ch.account(1)
            return {
                "channel": f"user_stats:{a}",
                "stats": P.user_stats_json(m, ex.accounts[a], ex.mark or ex.market_feed.mid()),
                "timestamp": now_ms,
                "type": "subscribed/user_stats",
            }
        if name == "account_orders" and len(parts) == 3:
            ch.market(1)
            a = ch.account(2)
            orders = [P.order_json(m, r) for r in ex.account_orders(a, True)]
            return {
                "type": "subscribed/account_orders",
                "channel": f"account_orders:{mk}:{a}",
                "account": a,
                "nonce": ex.accounts[a].keys and max(k.nonce for k in ex.accounts[a].keys.values()),
                "orders": {mk: orders},
            }
        if name == "account_all_orders" and len(parts) == 2:
            a = ch.account(1)
            orders = [P.order_json(m, r) for r in ex.account_orders(a, True)]
            return {
                "type": "subscribed/account_all_orders",
                "channel": f"account_all_orders:{a}",
                "orders": {mk: orders},
            }
        if name == "account_all_trades" and len(parts) == 2:
            a = ch.account(1)
            return {
                "type": "subscribed/account_all_trades",
                "channel": f"account_all_trades:{a}",
                "trades": {mk: [P.trade_json(m, t) for t in ex.fills.get(a, [])[-50:]]},
            }
        if name == "account_all_positions" and len(parts) == 2:
            a = ch.account(1)
            return {
                "type": "subscribed/account_all_positions",
                "channel": f"account_all_positions:{a}",
                "positions": self.positions_map(a),
                "shares": [],
                "last_funding_round": None,
                "last_funding_discount": None,
            }
        if name == "account_all_assets" and len(parts) == 2:
            a = ch.account(1)
            return {
                "assets": {str(P.USDC_ASSET_ID): P.asset_json(ex.accounts[a])},
                "channel": f"account_all_assets:{a}",
                "timestamp": now_ms,
                "type": "subscribed/account_all_assets",
            }
        if name == "account_market" and len(parts) == 3:
            ch.market(1)
            a = ch.account(2)
            return {
                "type": "subscribed/account_market",
                "channel": f"account_market:{mk}:{a}",
                "account": a,
                "orders": [P.order_json(m, r) for r in ex.account_orders(a, True)],
                "position": self.positions_map(a)[mk],
                "trades": [P.trade_json(m, t) for t in ex.fills.get(a, [])[-50:]],
                "funding_history": {},
            }
        return None
