"""Pure strategy: signals, maker quotes, hedger plans, PnL watchdogs, order planner."""
