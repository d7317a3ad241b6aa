"""Recorded market data: streaming loaders for every format we replay (see stream.py for the contract)."""
