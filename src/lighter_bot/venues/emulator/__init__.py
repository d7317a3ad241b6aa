"""A Lighter-compatible REST + WS server on loopback, backed by the simulator."""
