"""Venues: where orders go. base.py is the protocol; sim/, lighter/ and emulator/ implement or serve it."""
