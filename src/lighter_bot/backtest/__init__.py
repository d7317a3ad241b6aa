"""Backtests: fast-forward runs of the engine core over the simulator; matrix, reports, sweeps."""
