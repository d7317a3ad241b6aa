"""Market profile sizing: clip sizes, inventory caps and hedger thresholds from market metadata.

Every size is on the market's lot grid (10**-size_decimals), never rounded to 0.01 regardless of
the decimals as the old script did. The rules, in order (all sizes in base units):

* min_clip = the smallest lot count that clears min_base_amount and exchange_min_notional
  (min_quote_amount + 5 %) even if the price falls 2 % below the last trade (`ops.markets.min_clip`).
* size_min = min_clip; size_max = min_clip x sizing_multiplier (rounded up); size = their mid-point.
* balance: one clip never commits more than half the balance unlevered (size_max x price <=
  balance / 2), so there is always room for the hedge; a balance too small for one min_clip is an error.
* inventory_soft_cap = 2 x size_max; hedger.target_units = size_min / 2 (rounded down);
  hedger.trigger_units = max(1.5 x size_max, target + size_min), so that a hedge from the trigger back to
  the target is always a legal clip; hedger.max_clip_units = max(size_min, trigger - target).
* guard.max_position_units = 2 x soft cap, reduced to what the balance can margin at the market's
  initial margin fraction; guard.max_inventory_notional = that position at the last price (rounded
  up to 0.1 USD).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from lighter_bot.errors import DataError
from lighter_bot.ops.markets import exchange_min_notional, min_clip
from lighter_bot.venues.lighter.parse_markets import MarketInfo

CLIP_BALANCE_FRACTION = Decimal("0.5")  # one clip <= this share of the balance (unlevered)
MARGIN_BALANCE_FRACTION = Decimal("0.5")  # the guard's worst case uses <= this share of the balance as margin


@dataclass(frozen=True, slots=True)
class Sizing:
    market: MarketInfo
    balance_usd: Decimal
    sizing_multiplier: Decimal
    size: Decimal
    size_min: Decimal
    size_max: Decimal
    inventory_soft_cap: Decimal
    trigger_units: Decimal
    target_units: Decimal
    max_clip_units: Decimal
    max_position_units: Decimal
    max_inventory_notional: Decimal
    notes: tuple[str, ...]

    def profile(self, spread_bps: float | None = None) -> dict[str, Any]:
        """The profile mapping in the repo's format (profiles/market_2.yaml; null = leave as is)."""
        m = self.market
        return {
            "market": m.market_id,
            "symbol": m.symbol,
            "maker": {
                "size": float(self.size),
                "size_min": float(self.size_min),
                "size_max": float(self.size_max),
                "exchange_min_size": float(m.min_base_amount),
                "inventory_soft_cap": float(self.inventory_soft_cap),
                "spread_bps": spread_bps,
                "price_scale": m.spec.price_scale,
                "size_scale": m.spec.size_scale,
            },
            "hedger": {
                "trigger_units": float(self.trigger_units),
                "target_units": float(self.target_units),
                "max_clip_units": float(self.max_clip_units),
                "max_slippage_bps": None,
            },
            "guard": {
                "max_position_units": float(self.max_position_units),
                "max_inventory_notional": float(self.max_inventory_notional),
            },
            "metadata": self.metadata(),
        }

    def metadata(self) -> dict[str, Any]:
        """The instrument metadata block (also written as JSON by apply_profile --metadata-out)."""
        m = self.market
        return {
            "market_id": m.market_id,
            "symbol": m.symbol,
            "min_base_amount": float(m.min_base_amount),
            "min_quote_amount": float(m.min_quote_amount),
            "exchange_min_notional": float(exchange_min_notional(m)),
            "price_decimals": m.price_decimals,
            "size_decimals": m.size_decimals,
            "last_trade_price": float(m.last_trade_price),
            "initial_margin_bps": m.default_initial_margin_fraction,
            "maintenance_margin_bps": m.maintenance_margin_fraction,
            "maker_fee": float(m.maker_fee),
            "taker_fee": float(m.taker_fee),
            "min_clip": float(min_clip(m)),
            "balance_usd": float(self.balance_usd),
            "sizing_multiplier": float(self.sizing_multiplier),
        }


def _grid(x: Decimal, lot: Decimal, rounding: str) -> Decimal:
    return (x / lot).to_integral_value(rounding) * lot


def compute_sizing(market: MarketInfo, balance_usd: Decimal, sizing_multiplier: Decimal) -> Sizing:
    """Apply the module's rules; raise DataError (exit 2) when the balance cannot carry one clip."""
    if balance_usd <= 0:
        raise DataError(f"--balance-usd must be > 0 (got {balance_usd})")
    if sizing_multiplier < 1:
        raise DataError(f"--sizing-multiplier must be >= 1 (got {sizing_multiplier}): size_max is min_clip x multiplier")
    price = market.last_trade_price
    lot = Decimal(1).scaleb(-market.size_decimals)
    notes: list[str] = []
    clip = min_clip(market)

    clip_cap = _grid(balance_usd * CLIP_BALANCE_FRACTION / price, lot, ROUND_FLOOR)
    if clip_cap < clip:
        need = (clip * price / CLIP_BALANCE_FRACTION).quantize(Decimal("0.01"), ROUND_CEILING)
        raise DataError(
            f"--balance-usd {balance_usd} is too small for {market.symbol}: one minimum clip is {clip} "
            f"(about ${clip * price:.2f}) and must be at most half the balance; use --balance-usd {need} or more"
        )
    size_min = clip
    size_max = _grid(clip * sizing_multiplier, lot, ROUND_CEILING)
    if size_max > clip_cap:
        notes.append(f"size_max capped at {clip_cap} by the balance (half of ${balance_usd} per clip)")
        size_max = clip_cap
    size = min(max(_grid((size_min + size_max) / 2, lot, ROUND_HALF_UP), size_min), size_max)

    soft_cap = _grid(2 * size_max, lot, ROUND_CEILING)
    target = _grid(size_min / 2, lot, ROUND_FLOOR)
    trigger = max(_grid(Decimal("1.5") * size_max, lot, ROUND_CEILING), target + size_min)
    max_clip = max(size_min, trigger - target)

    max_pos = _grid(2 * soft_cap, lot, ROUND_CEILING)
    margin_cap = _grid(balance_usd * MARGIN_BALANCE_FRACTION / (market.initial_margin * price), lot, ROUND_FLOOR)
    if max_pos > margin_cap:
        notes.append(
            f"guard.max_position_units capped at {margin_cap} by margin "
            f"({market.default_initial_margin_fraction / 100:g} % initial margin on half of ${balance_usd})"
        )
        max_pos = margin_cap
    if max_pos < trigger:
        raise DataError(
            f"--balance-usd {balance_usd} cannot margin {market.symbol} up to the hedge trigger ({trigger}) at "
            f"{market.default_initial_margin_fraction / 100:g} % initial margin: raise the balance"
        )
    max_notional = (max_pos * price).quantize(Decimal("0.1"), ROUND_CEILING)
    return Sizing(
        market=market,
        balance_usd=balance_usd,
        sizing_multiplier=sizing_multiplier,
        size=size,
        size_min=size_min,
        size_max=size_max,
        inventory_soft_cap=soft_cap,
        trigger_units=trigger,
        target_units=target,
        max_clip_units=max_clip,
        max_position_units=max_pos,
        max_inventory_notional=max_notional,
        notes=tuple(notes),
    )
