"""Ledger rows from an imported file: Lighter trades (REST `/api/v1/trades`, `recentTrades`, or the
`account_all_trades` WS update) or rows already in the ledger's own format (e.g. an old ledger).

Our side of a Lighter trade comes from the account ids (`ask_account_id` / `bid_account_id`), our
role from `is_maker_ask`; the fee is the integer `maker_fee`/`taker_fee` field in 1e-6 of notional
(omitted when zero); millisecond timestamps become seconds; `source` is "backfill".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lighter_bot.errors import DataError
from lighter_bot.records.ledger import market_key, normalize_ts

FEE_UNIT = Decimal("0.000001")  # Lighter's integer fee fields are millionths of notional


@dataclass
class ImportResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    not_ours: int = 0
    malformed: list[str] = field(default_factory=list)


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


def from_lighter_trade(t: dict[str, Any], account_index: int, config_hash: str = "") -> dict[str, Any] | None:
    """Our ledger row for one Lighter trade, or None when neither side is `account_index`."""
    ask_acct, bid_acct = t.get("ask_account_id"), t.get("bid_account_id")
    if ask_acct == account_index and bid_acct == account_index:
        raise ValueError("self-trade (both sides are this account)")
    if ask_acct == account_index:
        side = "ask"
    elif bid_acct == account_index:
        side = "bid"
    else:
        return None
    size, price = _d(t["size"]), _d(t["price"])
    if size <= 0 or price <= 0:
        raise ValueError("size and price must be positive")
    is_maker_ask = bool(t.get("is_maker_ask"))
    role = "maker" if is_maker_ask == (side == "ask") else "taker"
    notional = size * price
    fee_units = t.get(f"{role}_fee") or 0
    fee = (notional * _d(fee_units) * FEE_UNIT).normalize()
    base_delta = size if side == "bid" else -size
    tid = t.get("trade_id_str") or t.get("trade_id")
    if tid is None:
        raise ValueError("no trade_id")
    ts = t.get("timestamp")
    if ts is None:
        raise ValueError("no timestamp")
    return {
        "timestamp": round(normalize_ts(float(ts)), 6),
        "market": market_key(int(t.get("market_id", 0))),
        "symbol": None,
        "role": role,
        "side": side,
        "size": str(size),
        "price": str(price),
        "notional": str(notional),
        "base_delta": str(base_delta),
        "quote_delta": str(-base_delta * price),
        "fee_paid": str(fee) if fee else "0",
        "fee_currency": "quote",
        "mid_price": None,
        "trade_id": str(tid),
        "client_order_id": t.get(f"{side}_client_id"),
        "order_id": t.get(f"{side}_id_str") or (None if t.get(f"{side}_id") is None else str(t.get(f"{side}_id"))),
        "purpose": None,
        "position_after": None,
        "source": "backfill",
        "config_hash": config_hash,
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


def convert(trades: list[dict[str, Any]], account_index: int | None, config_hash: str = "") -> ImportResult:
    res = ImportResult()
    for i, t in enumerate(trades):
        try:
            if is_ledger_row(t):
                res.rows.append(from_ledger_row(t))
                continue
            if account_index is None:
                raise DataError("Lighter trades need --account-index (or env LIGHTER_ACCOUNT_INDEX) to know our side")
            row = from_lighter_trade(t, account_index, config_hash)
            if row is None:
                res.not_ours += 1
            else:
                res.rows.append(row)
        except (KeyError, TypeError, ValueError) as exc:
            res.malformed.append(f"trade #{i} ({t.get('trade_id', '?')}): {exc}")
    return res
