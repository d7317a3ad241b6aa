"""Replay of recorded markets: `load` opens any recording we read as a streaming `Recording`
(lighter_bot/marketdata: one loader per format, chunks of rows in exchange-time order, its
MarketSpec and a summary of the defects it handled); `derive_profile` gives the maker/hedger/guard
sizes that make sense for the instrument at the data's price, the way `set_market` derives them
(smallest clip = the minimum order value at that price, plus 5 %); `save_npz` writes a recording
as hftbacktest events.

Bad input raises DataError naming the file and the problem.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lighter_bot.domain.market import MarketSpec
from lighter_bot.marketdata.formats import LoadOptions, open_recording
from lighter_bot.marketdata.hftbacktest import HBT_DTYPE, save_npz, to_npz_array
from lighter_bot.marketdata.specs import KNOWN_SPECS, spec_for
from lighter_bot.marketdata.stream import Recording

__all__ = ["HBT_DTYPE", "KNOWN_SPECS", "LoadOptions", "Recording", "derive_profile", "load", "save_npz", "spec_for",
           "to_npz_array"]


def load(paths: Iterable[str | Path], options: LoadOptions | None = None) -> Recording:
    """One instrument's recording (several files = one continuous stream); see marketdata/formats.py."""
    return open_recording(list(paths), options)


def derive_profile(spec: MarketSpec, price: float) -> dict[str, Any]:
    """Profile (merge_profile format) with sizes for `spec` at `price`, mirroring the SOL defaults:
    smallest clip = the exchange minimum (base and value) + 5 %, nominal x1.05, largest x1.18."""
    min_lots = max(spec.min_size_lots, spec.lots_for_notional(float(spec.min_quote) * 1.05, spec.price_to_ticks_up(price)))
    unit = spec.sz(min_lots)

    def q(x: float) -> float:
        return float(spec.lots_to_size(max(1, math.ceil(x * spec.size_scale - 1e-9))))

    size = q(unit * 1.05)
    max_pos = q(unit * 4.7)
    return {
        "market": spec.market_id,
        "maker": {
            "size": size, "size_min": unit, "size_max": q(unit * 1.18),
            "exchange_min_size": float(spec.min_base_size),
            "exchange_min_notional": round(float(spec.min_quote) * 1.05, 6),
            "inventory_soft_cap": q(unit * 1.6),
            "price_scale": spec.price_scale, "size_scale": spec.size_scale,
        },
        "hedger": {"trigger_units": q(unit * 1.1), "target_units": q(unit * 0.5), "max_clip_units": q(unit * 1.25)},
        "guard": {"max_position_units": max_pos, "max_inventory_notional": round(max_pos * price * 1.02, 2)},
    }
