"""Decoding of the SDK's signed transactions (tx_info JSON, lighter-api.md §5.4) into typed values.

Only the shape is checked here (types, ranges, signature encoding); state checks (nonces, expiries,
minimums, order existence) belong to the exchange. Signatures are Schnorr over ECgFp5/Poseidon2 and
the bundled signer exports no verifier and signs non-deterministically (fresh ExpiredAt and
randomness per call), so they are NOT cryptographically verified: `Sig` must be base64 of 80 bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

TX_CREATE_ORDER = 14
TX_CANCEL_ORDER = 15
TX_CANCEL_ALL = 16
TX_MODIFY_ORDER = 17
TX_GROUPED_ORDERS = 28

CLIENT_INDEX_MAX = 2**48 - 1
ORDER_INDEX_MIN = 2**48


class ApiError(Exception):
    """A Lighter API error answer: HTTP status and body {"code": code, "message": message}."""

    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def invalid(message: str) -> ApiError:
    return ApiError(20001, f"invalid param: {message}")


@dataclass(frozen=True, slots=True)
class TxHeader:
    """Fields every L2 tx carries."""

    account_index: int
    api_key_index: int
    nonce: int
    expired_at: int  # ms
    skip_nonce: bool


@dataclass(frozen=True, slots=True)
class OrderSpec:
    market_index: int
    client_order_index: int
    base_amount: int
    price: int
    is_ask: bool
    order_type: int
    time_in_force: int
    reduce_only: bool
    trigger_price: int
    order_expiry: int  # ms, 0 for IOC


@dataclass(frozen=True, slots=True)
class CreateOrderTx:
    header: TxHeader
    order: OrderSpec


@dataclass(frozen=True, slots=True)
class GroupedOrdersTx:
    header: TxHeader
    grouping_type: int
    orders: tuple[OrderSpec, ...]


@dataclass(frozen=True, slots=True)
class CancelOrderTx:
    header: TxHeader
    market_index: int
    index: int  # < 2**48: client order index; >= 2**48: exchange order index


@dataclass(frozen=True, slots=True)
class ModifyOrderTx:
    header: TxHeader
    market_index: int
    index: int
    base_amount: int
    price: int
    trigger_price: int
    order_version: int = 0  # attribute "8"; 0: none (a versioned modify applies only above the stored one)


@dataclass(frozen=True, slots=True)
class CancelAllTx:
    header: TxHeader
    time_in_force: int  # 0 immediate, 1 scheduled, 2 abort
    time_ms: int
    market_index: int | None  # attribute "5"


@dataclass(frozen=True, slots=True)
class OtherTx:
    """A tx type the emulator acknowledges without effect (leverage, margin, config...)."""

    header: TxHeader
    tx_type: int


Tx = CreateOrderTx | GroupedOrdersTx | CancelOrderTx | ModifyOrderTx | CancelAllTx | OtherTx


def _int(d: dict[str, Any], key: str, lo: int = 0, hi: int = 2**63 - 1) -> int:
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, int):
        raise invalid(f"{key} must be an integer")
    if not lo <= v <= hi:
        raise invalid(f"{key}={v} out of range")
    return v


def _attrs(d: dict[str, Any]) -> dict[str, int]:
    raw = d.get("L2TxAttributes")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, int) for v in raw.values()):
        raise invalid("L2TxAttributes must be null or a map of ints")
    return {str(k): int(v) for k, v in raw.items()}


def _check_sig(d: dict[str, Any]) -> None:
    sig = d.get("Sig")
    if not isinstance(sig, str):
        raise ApiError(21120, "invalid signature")
    try:
        raw = base64.b64decode(sig, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(21120, "invalid signature") from None
    if len(raw) != 80:
        raise ApiError(21120, "invalid signature")


def _header(d: dict[str, Any], account_key: str = "AccountIndex") -> TxHeader:
    _check_sig(d)
    attrs = _attrs(d)
    return TxHeader(
        account_index=_int(d, account_key),
        api_key_index=_int(d, "ApiKeyIndex", 0, 255),
        nonce=_int(d, "Nonce", -(2**63)),
        expired_at=_int(d, "ExpiredAt"),
        skip_nonce=attrs.get("4", 0) == 1,
    )


def _order(d: dict[str, Any]) -> OrderSpec:
    return OrderSpec(
        market_index=_int(d, "MarketIndex"),
        client_order_index=_int(d, "ClientOrderIndex"),
        base_amount=_int(d, "BaseAmount"),
        price=_int(d, "Price"),
        is_ask=_int(d, "IsAsk", 0, 1) == 1,
        order_type=_int(d, "Type", 0, 255),
        time_in_force=_int(d, "TimeInForce", 0, 255),
        reduce_only=_int(d, "ReduceOnly", 0, 1) == 1,
        trigger_price=_int(d, "TriggerPrice"),
        order_expiry=_int(d, "OrderExpiry", -1),
    )


def decode_tx(tx_type: int, tx_info: str | dict[str, Any]) -> Tx:
    """Decode one signed tx; raises ApiError on malformed input."""
    if isinstance(tx_info, str):
        try:
            d = json.loads(tx_info)
        except json.JSONDecodeError:
            raise invalid("tx_info is not JSON") from None
    else:
        d = tx_info
    if not isinstance(d, dict):
        raise invalid("tx_info must be a JSON object")
    if tx_type == TX_CREATE_ORDER:
        return CreateOrderTx(_header(d), _order(d))
    if tx_type == TX_GROUPED_ORDERS:
        orders = d.get("Orders")
        if not isinstance(orders, list) or not orders or not all(isinstance(o, dict) for o in orders):
            raise invalid("Orders must be a non-empty list")
        return GroupedOrdersTx(_header(d), _int(d, "GroupingType", 0, 255), tuple(_order(o) for o in orders))
    if tx_type == TX_CANCEL_ORDER:
        return CancelOrderTx(_header(d), _int(d, "MarketIndex"), _int(d, "Index"))
    if tx_type == TX_MODIFY_ORDER:
        return ModifyOrderTx(
            _header(d),
            _int(d, "MarketIndex"),
            _int(d, "Index"),
            _int(d, "BaseAmount"),
            _int(d, "Price"),
            _int(d, "TriggerPrice"),
            _attrs(d).get("8", 0),
        )
    if tx_type == TX_CANCEL_ALL:
        attrs = _attrs(d)
        return CancelAllTx(_header(d), _int(d, "TimeInForce", 0, 2), _int(d, "Time"), attrs.get("5"))
    if tx_type in (12, 13):
        return OtherTx(_header(d, "FromAccountIndex"), tx_type)
    if tx_type in (8, 9, 10, 11, 18, 19, 20, 29, 41, 42, 45):
        return OtherTx(_header(d), tx_type)
    raise invalid(f"unknown tx_type {tx_type}")
