"""Ledger rows from an imported file: Lighter trades (REST `/api/v1/trades`, `recentTrades`, or the
`account_all_trades` WS update) or rows already in the ledger's own format (e.g. an old ledger).

Records sit below the venues, so a Lighter trade reaches this module already read as our side of it
(`domain.fills.AccountFill`: side, role, fee, seconds) by the `FillsOf` function the caller passes
(venues/lighter/parse.py `account_fills`); `source` is "backfill".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lighter_bot.domain.fills import AccountFill
from lighter_bot.errors import DataError
from lighter_bot.records.ledger import is_live_row, market_key, normalize_ts

# Our side(s) of one venue trade object: [] when it is not our account's (venues/lighter/parse.py
# `account_fills` bound to our account index); raises DataError on a malformed trade.
FillsOf = Callable[[dict[str, Any]], list[AccountFill]]


@dataclass
class ImportResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    not_ours: int = 0
    malformed: list[str] = field(default_factory=list)
    simulated: int = 0  # simulator rows: never imported into a ledger of live fills


def load_trades_file(path: Path) -> list[dict[str, Any]]:
    """The trade objects of a file holding a list, {"trades": [...]}, or {"trades": {market: [...]}}."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"--input {path}: file not found") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"--input {path}: not readable JSON ({exc})") from None
    if isinstance(data, dict):
        if "trades" not in data:
            raise DataError(f"--input {path}: expected a list of trades or an object with a \"trades\" key")
        data = data["trades"]
        if data is None:
            data = []
        if isinstance(data, dict):  # WS account_all_trades: {"<market_id>": [trades]}
            data = [t for v in data.values() if isinstance(v, list) for t in v]
    if not isinstance(data, list):
        raise DataError(f"--input {path}: \"trades\" must be a list, got {type(data).__name__}")
    return [t for t in data if isinstance(t, dict)]


def is_ledger_row(obj: dict[str, Any]) -> bool:
    return "role" in obj and ("side" in obj or "base_delta" in obj) and "ask_account_id" not in obj


def needs_account(trades: list[dict[str, Any]]) -> bool:
    return any(not is_ledger_row(t) for t in trades)


def _d(v: Any) -> Decimal:
    try:
        return Decimal(str(v))
    except InvalidOperation:
        raise ValueError(f"not a number: {v!r}") from None


def from_account_fill(f: AccountFill, config_hash: str | None = None) -> dict[str, Any]:
    """Our ledger row for our side of an exchange trade. `config_hash`: the config that made it, when
    known; an import from the exchange's history does not know it (None), and must not claim the
    config of the command that imports it."""
    base_delta = f.signed_size
    fee = f.fee.normalize()
    return {
        "timestamp": round(normalize_ts(f.ts), 6),
        "market": market_key(f.market_id),
        "symbol": None,
        "role": f.role.value,
        "side": f.side.value,
        "size": str(f.size),
        "price": str(f.price),
        "notional": str(f.notional),
        "base_delta": str(base_delta),
        "quote_delta": str(-base_delta * f.price),
        "fee_paid": str(fee) if fee else "0",
        "fee_currency": "quote",
        "mid_price": None,
        "trade_id": f.trade_id,
        "client_order_id": f.client_order_id,
        "order_id": f.order_id,
        "purpose": None,
        "position_after": None,
        "source": "backfill",
        "config_hash": config_hash,
        "clock": "wall",
    }


def from_ledger_row(r: dict[str, Any]) -> dict[str, Any]:
    """Normalise an existing ledger row (old bot's format included: ms timestamps, int trade ids)."""
    out = dict(r)
    out["timestamp"] = round(normalize_ts(float(r["timestamp"])), 6)
    if out.get("trade_id") is not None:
        out["trade_id"] = str(out["trade_id"])
    if "side" not in out or out["side"] not in ("bid", "ask"):
        out["side"] = "bid" if float(out["base_delta"]) > 0 else "ask"
    _d(out["size"]), _d(out["price"])  # validate
    out["source"] = out.get("source") or "backfill"
    return out


def convert(trades: list[dict[str, Any]], fills_of: FillsOf | None) -> ImportResult:
    """Ledger rows of the file's objects; `fills_of` reads a venue trade (None: no account index given).
    Ledger rows keep their own config hash; exchange trades get none (the config is unknown)."""
    res = ImportResult()
    for i, t in enumerate(trades):
        ledger_row = is_ledger_row(t)
        if fills_of is None and not ledger_row:
            raise DataError("Lighter trades need --account-index (or env LIGHTER_ACCOUNT_INDEX) to know our side")
        try:
            if ledger_row or fills_of is None:  # (the latter implies the former, see above)
                if not is_live_row(t):
                    res.simulated += 1
                    continue
                res.rows.append(from_ledger_row(t))
                continue
            fills = fills_of(t)
            if not fills:
                res.not_ours += 1
            elif len(fills) > 1:
                raise ValueError("self-trade (both sides are this account)")
            else:
                res.rows.append(from_account_fill(fills[0]))
        except (DataError, KeyError, TypeError, ValueError) as exc:
            res.malformed.append(f"trade #{i} ({t.get('trade_id', '?')}): {exc}")
    return res
