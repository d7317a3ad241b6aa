"""Structured logging: JSON lines when stderr is not a terminal (Railway), readable lines otherwise.

A redaction processor replaces any registered secret value (API key, auth tokens) wherever it
appears in an event, as a last line of defence behind SecretStr.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

_SECRETS: set[str] = set()


def register_secrets(values: Iterable[str | None]) -> None:
    for v in values:
        if v and len(v) >= 8:
            _SECRETS.add(v)


def redact_text(text: str) -> str:
    for s in _SECRETS:
        if s in text:
            text = text.replace(s, "***")
    return text


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    if _SECRETS:
        for k, v in list(event_dict.items()):
            if isinstance(v, str):
                event_dict[k] = redact_text(v)
    return event_dict


def _railway_fields(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """JSON lines as Railway's log explorer reads them: `message` (the human text, else the event name)
    and `level` in its vocabulary (warn, not warning); `event` stays for grep and tools."""
    msg = event_dict.pop("msg", None)
    event_dict["message"] = msg if msg is not None else event_dict.get("event", "")
    lvl = event_dict.get("level")
    if lvl == "warning":
        event_dict["level"] = "warn"
    elif lvl == "critical":
        event_dict["level"] = "error"
    return event_dict


class HumanRenderer:
    """A terminal: `14:02:11 info  fill            bought 0.064 SOL @ 170.1200 ...` for lines with a
    human `msg` (telemetry/oplog.py); structlog's key=value console format for the others."""

    def __init__(self) -> None:
        self._console = structlog.dev.ConsoleRenderer(colors=False)

    def __call__(self, logger: Any, name: str, event_dict: MutableMapping[str, Any]) -> str:
        msg = event_dict.get("msg")
        if msg is None:
            return str(self._console(logger, name, dict(event_dict)))
        ts = str(event_dict.get("timestamp", ""))[11:19]
        level = str(event_dict.get("level", "info"))
        return f"{ts} {level:<7} {event_dict.get('event', ''):<18} {msg}"


def configure_logging(json_output: bool | None = None, level: str | None = None) -> None:
    if json_output is None:
        json_output = not sys.stderr.isatty()
    lvl = getattr(logging, (level or os.environ.get("LOG_LEVEL") or "INFO").upper(), logging.INFO)
    tail: list[Any] = [_railway_fields, structlog.processors.JSONRenderer()] if json_output else [HumanRenderer()]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            *tail,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
