"""Operator tools: market profiles, suggestions, trade history + PnL, WS token refresh."""
