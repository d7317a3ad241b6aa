"""Command line: the typer app; wiring.py is the only module naming concrete venues and clocks."""
