"""lighter-bot: a market maker for the Lighter perpetual DEX, with its own simulator and emulator."""

__version__ = "0.1.0"

from lighter_bot.native import check_fresh

check_fresh()  # a compiled build older than its sources would run code no longer in the tree
