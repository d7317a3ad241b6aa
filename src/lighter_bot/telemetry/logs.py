"""Structured logging: JSON lines when stdout is not a terminal (Railway), readable lines otherwise.

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


def configure_logging(json_output: bool | None = None, level: str | None = None) -> None:
    if json_output is None:
        json_output = not sys.stderr.isatty()
    lvl = getattr(logging, (level or os.environ.get("LOG_LEVEL") or "INFO").upper(), logging.INFO)
    renderer: Any = structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
