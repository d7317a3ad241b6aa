"""Commands the engine core emits for a venue to execute. Prices are ticks, sizes lots."""

from __future__ import annotations

from dataclasses import dataclass

from lighter_bot.domain.orders import Purpose, Side, TimeInForce


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    client_id: int
    side: Side
    price: int
    size: int
    tif: TimeInForce
    reduce_only: bool = False
    purpose: Purpose = Purpose.QUOTE
    expiry_s: float | None = None  # order lifetime; a backstop if we lose control of it


@dataclass(frozen=True, slots=True)
class ModifyOrder:
    client_id: int
    price: int
    size: int


@dataclass(frozen=True, slots=True)
class CancelOrder:
    client_id: int


@dataclass(frozen=True, slots=True)
class CancelAll:
    """Cancel every order of ours in this market."""


Command = PlaceOrder | ModifyOrder | CancelOrder | CancelAll
