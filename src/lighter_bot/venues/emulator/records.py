"""The emulator's Lighter-side bookkeeping records: accounts, API keys, orders, trades, txs."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from lighter_bot.domain.position import PositionState
from lighter_bot.venues.emulator.limits import AccountLimits

ACTIVE = ("pending", "open")
TYPE_NAMES = {0: "limit", 1: "market"}
TIF_NAMES = {0: "immediate-or-cancel", 1: "good-till-time", 2: "post-only"}


@dataclass
class ApiKeyState:
    public_key: str  # 80 hex, no 0x
    nonce: int  # next expected nonce


@dataclass
class AccountState:
    index: int
    l1_address: str
    collateral0: Decimal
    keys: dict[int, ApiKeyState] = field(default_factory=dict)
    position: int = 0  # lots, signed
    pnl: PositionState = field(default_factory=PositionState)
    cancel_all_time: int = 0  # ms of the queued scheduled cancel-all, 0 when none
    budget: AccountLimits | None = None  # its request budget (set when registered)
    created_ms: int = 0


@dataclass
class OrderRecord:
    internal_id: int  # the backend's client id
    account_index: int
    api_key_index: int
    market_index: int
    order_index: int  # exchange index, >= 2**48
    client_order_index: int
    is_ask: bool
    order_type: int
    tif: int
    reduce_only: bool
    price: int  # ticks
    initial: int  # lots
    remaining: int
    nonce: int
    order_expiry: int  # ms, 0 = none
    trigger_price: int = 0
    filled: int = 0
    filled_quote: int = 0  # sum of ticks * lots
    status: str = "pending"
    visible: bool = False  # Lighter shows an order once the sequencer executed its tx
    created_ms: int = 0
    updated_ms: int = 0
    tx_us: int = 0
    block_height: int = 0
    cancel_reason: str | None = None  # overrides the backend's reason (expiry, scheduled cancel-all)
    order_version: int = 0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True, slots=True)
class TradeRecord:
    trade_id: int
    market_id: int
    price: int
    size: int
    is_maker_ask: bool
    ask_id: int
    bid_id: int
    ask_client_id: int
    bid_client_id: int
    ask_account_id: int
    bid_account_id: int
    taker_fee: int  # 1e-6 of notional; omitted from payloads when 0
    maker_fee: int
    ts_ms: int
    tx_us: int
    tx_hash: str
    block_height: int
    taker_position_before: int = 0  # lots, signed
    taker_entry_quote_before: float = 0.0
    maker_position_before: int = 0
    maker_entry_quote_before: float = 0.0


@dataclass
class TxRecord:
    hash: str
    tx_type: int
    info: str
    account_index: int
    api_key_index: int
    nonce: int
    expire_at: int
    queued_ms: int
    status: int = 1  # 0 failed, 1 pending, 2 executed
    executed_ms: int = 0
    block_height: int = 0
    event_info: str = ""
