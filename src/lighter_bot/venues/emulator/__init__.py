"""A Lighter-compatible REST + WS server on loopback, backed by the simulator.

Entry point for tests and tools: `running_emulator(...)` (see docs/emulator.md).
"""

from lighter_bot.venues.emulator.harness import EmulatorHandle, memory_backend, running_emulator
from lighter_bot.venues.emulator.settings import EmulatorConfig

__all__ = ["EmulatorConfig", "EmulatorHandle", "memory_backend", "running_emulator"]
