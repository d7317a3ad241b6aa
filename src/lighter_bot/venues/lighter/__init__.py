"""The live Lighter venue over lighter-sdk; parse.py converts payloads to domain values."""
