"""lighter-bot: a market maker for the Lighter perpetual DEX, with its own simulator and emulator."""

__version__ = "0.1.0"
