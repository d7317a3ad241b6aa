"""Reading config.yaml and profiles: strict YAML, clear errors naming the key and the fix, profile
merge, environment overrides, and the knob listing for `config show`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from lighter_bot.config.bot import BotConfig
from lighter_bot.config.units import is_secret
from lighter_bot.errors import ConfigError

DEFAULT_CONFIG_PATH = "config.yaml"
# `--config builtin-defaults` (or LIGHTER_CONFIG=builtin-defaults): run on the built-in defaults on
# purpose. Without it a missing config file is an error, never a silent fallback.
BUILTIN_DEFAULTS = "builtin-defaults"


def _format_errors(exc: ValidationError, data: Any) -> list[str]:
    problems: list[str] = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        typ = err["type"]
        if typ == "extra_forbidden":
            problems.append(f"{loc}: unknown key (remove it or check its spelling)")
        elif typ == "value_error" and not loc:
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
            problems.extend(p.strip() for p in msg.split("; "))
        else:
            shown = "***" if loc in secret_paths() else err.get("input")
            hint = HINTS.get(loc, "")
            problems.append(f"{loc or '(top level)'} ({shown!r}): {err['msg']}{hint}")
    return problems


# Extra words for errors whose rule comes from the exchange, not from us.
HINTS = {
    "maker.quote_expiry_seconds": " (Lighter accepts a resting order's expiry from 300 s = 5 minutes "
                                  "to 2592000 s = 30 days ahead)",
}


def secret_paths(model: type[BaseModel] = BotConfig, prefix: str = "") -> set[str]:
    """Key paths of config values that are secrets (redacted in `config show` and in errors)."""
    out: set[str] = set()
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out |= secret_paths(ann, f"{prefix}{name}.")
        elif is_secret(field):
            out.add(f"{prefix}{name}")
    return out


def parse_config(data: Any, source: str = "") -> BotConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"the file must hold a mapping of sections, got {type(data).__name__}"], source)
    try:
        return BotConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, data), source) from None


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (plain YAML silently keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                continue  # unhashable: the constructor below reports it
            if key in seen:
                first = seen[key].start_mark
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key {key!r} (first at line {first.line + 1}); keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep)


def _decode(raw: bytes, path: Path) -> str:
    """The file's text; binary, UTF-16 or other non-UTF-8 files get one clear error."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and raw[1:2] == b"\x00" and raw[:1] != b"\x00"):
        raise ConfigError([f"{path} is UTF-16 text: save it as UTF-8"], str(path))
    if b"\x00" in raw:
        raise ConfigError([f"{path} is a binary file, not YAML text"], str(path))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}): "
                           "save it as UTF-8"], str(path)) from None


def read_yaml(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"file not found: {path} (pass --config PATH or set LIGHTER_CONFIG)"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path} is a directory, not a YAML file"]) from None
    except OSError as exc:
        raise ConfigError([f"cannot read {path}: {exc.strerror}"]) from None
    try:
        return yaml.load(_decode(raw, path), Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"], str(path)) from None


PROFILE_SECTIONS = ("maker", "hedger", "guard")


def merge_profile(data: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    """Overlay a market profile (`market`, `maker`, `hedger`, `guard`, `metadata`) onto config data.

    Null profile values mean "leave as is"; a nested mapping (e.g. maker.volatility) is merged key by key.
    """

    def overlay(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for k, v in top.items():
            if v is None:
                continue
            if isinstance(v, dict) and isinstance(out.get(k), dict):
                out[k] = overlay(out[k], v)
            else:
                out[k] = v
        return out

    merged = dict(data)
    for section in PROFILE_SECTIONS:
        if isinstance(profile.get(section), dict):
            merged[section] = overlay(dict(merged.get(section) or {}), profile[section])
    market = profile.get("market")
    if market is not None:
        pair = market if isinstance(market, str) and market.startswith("market:") else f"market:{market}"
        merged["maker"] = {**(merged.get("maker") or {}), "pair": pair}
    meta = profile.get("metadata")
    if isinstance(meta, dict) and meta.get("exchange_min_notional") is not None:
        merged["maker"] = {**merged["maker"], "exchange_min_notional": meta["exchange_min_notional"]}
    return merged


# Deployment-only overrides (runtime toggles, not trading parameters): the container binds the
# telemetry server to 0.0.0.0 without editing config.yaml (Dockerfile sets TELEMETRY_HOST).
ENV_OVERRIDES = {"TELEMETRY_HOST": ("telemetry", "host"), "TELEMETRY_PORT": ("telemetry", "port")}


def apply_env_overrides(data: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    src = dict(os.environ) if env is None else env
    out = dict(data)
    for name, (section, key) in ENV_OVERRIDES.items():
        value = (src.get(name) or "").strip()
        if not value:
            continue
        if key == "port" and not value.isdigit():
            raise ConfigError([f"environment {name} ({value!r}) must be a port number"], "environment")
        out[section] = {**(out.get(section) or {}), key: int(value) if key == "port" else value}
    return out


def config_path(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get("LIGHTER_CONFIG") or DEFAULT_CONFIG_PATH)


def uses_builtin_defaults(explicit: str | None = None) -> bool:
    return str(config_path(explicit)).strip() == BUILTIN_DEFAULTS


def load_config_data(path: str | Path | None = None) -> tuple[dict[str, Any], str]:
    """The config file's mapping and its name. A missing file is an error whether it was named by
    --config, by LIGHTER_CONFIG or is the default config.yaml; `builtin-defaults` asks for none."""
    explicit = str(path) if path else None
    if uses_builtin_defaults(explicit):
        return {}, "built-in defaults"
    p = config_path(explicit)
    if not p.exists():
        if explicit:
            why = f"file not found: {p} (named by --config)"
        elif os.environ.get("LIGHTER_CONFIG"):
            why = f"file not found: {p} (named by LIGHTER_CONFIG)"
        else:
            why = f"no {DEFAULT_CONFIG_PATH} in {Path.cwd()}"
        raise ConfigError([f"{why}: pass --config PATH or set LIGHTER_CONFIG to your config file, or "
                           f"--config {BUILTIN_DEFAULTS} to run on the built-in defaults on purpose"])
    data = read_yaml(p)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"the file must hold a mapping of sections, got {type(data).__name__}"], str(p))
    return data, str(p)


def load_config(path: str | Path | None = None, profile: str | Path | None = None) -> BotConfig:
    """Load config.yaml (or LIGHTER_CONFIG), optionally overlaid with a profile; raise ConfigError."""
    data, source = load_config_data(path)
    if profile is not None:
        prof = read_yaml(Path(profile))
        if not isinstance(prof, dict):
            raise ConfigError([f"profile {profile} must hold a mapping"], str(profile))
        data = merge_profile(data, prof)
    return parse_config(apply_env_overrides(data), source)


def describe_fields(model: type[BaseModel] = BotConfig, prefix: str = "") -> list[tuple[str, str]]:
    """(key path, description with unit) for every knob, for `config show`."""
    out: list[tuple[str, str]] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += describe_fields(ann, path + ".")
        else:
            out.append((path, field.description or ""))
    return out
