"""Configuration building blocks: the frozen base model, number types, and the unit limits every
knob is checked against (a knob's description ends with its unit)."""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]

# Lighter accepts a resting order's expiry from 5 minutes to 30 days ahead (lighter-api.md 1.6).
MIN_ORDER_EXPIRY_S = 300.0
MAX_ORDER_EXPIRY_S = 30 * 86_400.0
# Every number is finite (no .inf/.nan) and at most this large in the unit its description ends
# with, so a typo cannot switch a cap off or overflow a computation. A field may bound itself tighter.
UNIT_LIMITS: dict[str, float] = {
    "bps": 10_000.0,  # 100 %
    "s": 30 * 86_400.0,
    "base units": 1e9,
    "USD": 1e9,
    "x": 1_000.0,
    "ratio": 1.0,
    "fraction": 1.0,
    "count": 1e6,
    "tx": 1e6,
    "requests": 1e6,
    "integer": 1e12,
    "bytes": 1e12,
}
NO_UNIT_LIMIT = 1e18  # seeds, ports: bounded only against absurd values


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False)


def _le(problems: list[str], path: str, lo_name: str, lo: float, hi_name: str, hi: float) -> None:
    if lo > hi:
        problems.append(f"{path}.{lo_name} ({lo:g}) must be <= {path}.{hi_name} ({hi:g})")


def unit_of(description: str) -> str | None:
    """The unit a knob's description ends with, e.g. "(bps)" -> "bps"."""
    m = re.search(r"\(([^()]*)\)\s*$", description)
    return m.group(1) if m else None


def is_secret(field: FieldInfo) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("secret") is True


def number_problems(model: BaseModel, prefix: str = "") -> list[str]:
    """Every number finite and within its unit's UNIT_LIMITS (a typo like 1e30 is not a cap)."""
    out: list[str] = []
    for name, field in type(model).model_fields.items():
        value, path = getattr(model, name), f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out += number_problems(value, path + ".")
            continue
        unit = unit_of(field.description or "")
        limit = UNIT_LIMITS.get(unit or "", NO_UNIT_LIMIT)
        for x in value if isinstance(value, tuple) else (value,):
            if isinstance(x, bool) or not isinstance(x, int | float):
                continue
            if not math.isfinite(x):
                out.append(f"{path} ({x}): must be a finite number")
            elif abs(x) > limit:
                out.append(f"{path} ({x:g}): must be at most {limit:.12g}{f' {unit}' if unit else ''} in size")
    return out
