"""Reproducible speed and memory benchmarks: `make bench` runs them and writes JSON."""
