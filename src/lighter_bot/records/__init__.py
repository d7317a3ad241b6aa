"""Records: the fills ledger, position snapshots and PnL reports."""
