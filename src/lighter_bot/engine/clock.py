"""Injected time. The core never reads a wall clock; shells pass a Clock."""

from __future__ import annotations

import math
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...


class LiveClock:
    """Wall-clock seconds since the epoch (UTC)."""

    def now(self) -> float:
        return time.time()


class SimClock:
    """Settable time for backtests and tests; never goes backwards."""

    def __init__(self, start: float = 0.0) -> None:
        self._t = start

    def now(self) -> float:
        return self._t

    def advance_to(self, t: float) -> None:
        if t > self._t:
            self._t = t


class ScaledClock:
    """Simulated time running `speed` times faster than the wall clock from `start`."""

    def __init__(self, start: float, speed: float = 1.0, wall: Clock | None = None) -> None:
        if not math.isfinite(speed) or speed <= 0:
            raise ValueError("speed must be a finite number > 0")
        self._wall = wall or LiveClock()
        self._w0 = self._wall.now()
        self._start = start
        self.speed = speed

    def now(self) -> float:
        return self._start + (self._wall.now() - self._w0) * self.speed

    def wall_delay(self, sim_seconds: float) -> float:
        return max(0.0, sim_seconds / self.speed)
