"""Telemetry: Prometheus metrics, /health, /metrics and /dashboard over HTTP."""
