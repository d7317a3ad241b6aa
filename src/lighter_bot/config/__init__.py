"""Configuration: pydantic v2 models (frozen, unknown keys rejected) for config.yaml, profiles and
environment secrets. Defaults are the operator's numbers (state packet of 2025-11-10).

Every knob's description states its unit; `lighter-bot config show` prints them. The models live in
`maker` (the maker's knobs) and `bot` (everything else), reading and errors in `loading`, credentials
in `credentials`, the base model and unit limits in `units`.
"""

from __future__ import annotations

from lighter_bot.config.bot import (
    AlertsConfig,
    BotConfig,
    GuardConfig,
    HedgeAlphaConfig,
    HedgerConfig,
    MetricsConfig,
)
from lighter_bot.config.credentials import (
    Secrets,
    load_secrets,
    read_token_file,
)
from lighter_bot.config.loading import (
    apply_env_overrides,
    config_path,
    describe_fields,
    load_config,
    load_config_data,
    merge_profile,
    parse_config,
    read_yaml,
    secret_paths,
    uses_builtin_defaults,
)
from lighter_bot.config.maker import (
    EdgeFirstConfig,
    HitQualityConfig,
    MakerConfig,
    PnlGuardConfig,
)
from lighter_bot.config.units import (
    MAX_ORDER_EXPIRY_S,
    MIN_ORDER_EXPIRY_S,
    UNIT_LIMITS,
    unit_of,
)

__all__ = [
    "MAX_ORDER_EXPIRY_S",
    "MIN_ORDER_EXPIRY_S",
    "UNIT_LIMITS",
    "AlertsConfig",
    "BotConfig",
    "EdgeFirstConfig",
    "GuardConfig",
    "HedgeAlphaConfig",
    "HedgerConfig",
    "HitQualityConfig",
    "MakerConfig",
    "MetricsConfig",
    "PnlGuardConfig",
    "Secrets",
    "apply_env_overrides",
    "config_path",
    "describe_fields",
    "load_config",
    "load_config_data",
    "load_secrets",
    "merge_profile",
    "parse_config",
    "read_token_file",
    "read_yaml",
    "secret_paths",
    "unit_of",
    "uses_builtin_defaults",
]
