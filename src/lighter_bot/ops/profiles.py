"""Market profiles: read, write, and apply one to config.yaml without losing its comments.

The merge is `lighter_bot.config.merge_profile` (the same semantics the bot uses for `--profile`);
this module only carries its result back into the round-trip (ruamel) document, key by key, so
every comment, blank line and key order survives. The result is validated with `parse_config`
before anything is written, and written atomically (temp file + rename).
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from lighter_bot.config import BotConfig, merge_profile, parse_config, read_yaml
from lighter_bot.errors import ConfigError, DataError

PLACEHOLDERS = ("<id>", "{id}")
_PERP_RE = re.compile(r"#\s*([A-Za-z0-9]+) perp")


@dataclass(frozen=True, slots=True)
class Change:
    key: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.key}: {_show(self.old)} -> {_show(self.new)}"


@dataclass(frozen=True, slots=True)
class ApplyResult:
    config: BotConfig
    changes: tuple[Change, ...]
    text: str  # the new config.yaml text


def _show(v: Any) -> str:
    return "(unset)" if v is _MISSING else json.dumps(v)


_MISSING: Any = object()


def fill_placeholder(path: str, market_id: int) -> Path:
    """`profiles/market_<id>.yaml` -> `profiles/market_2.yaml` (the operator's documented placeholder)."""
    for p in PLACEHOLDERS:
        path = path.replace(p, str(market_id))
    return Path(path)


def _rt_yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap the operator's long lines
    # Profiles say `null` ("leave as is") explicitly rather than an empty value.
    y.representer.add_representer(type(None), lambda r, _d: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return y


def _profile_file_problem(path: Path) -> str | None:
    """A clear word for the two ways the docs' `profiles/market_<id>.yaml` goes wrong, and a missing file."""
    text = str(path)
    there = sorted(str(p) for p in path.parent.glob("market_*.yaml")) if path.parent.is_dir() else []
    have = f" (profiles there: {', '.join(there)})" if there else f" (no market_*.yaml in {path.parent}/)"
    if any(p in text for p in PLACEHOLDERS):
        example = there[0] if there else text.replace("<id>", "2").replace("{id}", "2")
        return (f"--profile {text}: <id> stands for the market id; write it, e.g. --profile {example}{have}. "
                "set_market.py --profile-out fills it in for you, because it knows the market")
    if path.is_file():
        return None
    if text.endswith("_") or text.endswith("market"):
        return (f"--profile {text}: no such file. Typed unquoted, `market_<id>.yaml` is cut by the shell: `<` and `>` "
                f"are redirections. Write the id (profiles/market_2.yaml) or quote the path{have}")
    return f"--profile {text}: no such file{have}"


def load_profile(path: Path) -> dict[str, Any]:
    """Read a profile and check its shape (the values are checked when merged into a config)."""
    problem = _profile_file_problem(path)
    if problem:
        raise DataError(problem)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError([f"a profile must be a mapping with market, maker, hedger, guard, metadata; got {type(data).__name__}"], str(path))
    problems: list[str] = []
    market = data.get("market")
    if market is None:
        problems.append("market: missing (the market id, e.g. 2)")
    elif not (isinstance(market, int) or (isinstance(market, str) and market.removeprefix("market:").isdigit())):
        problems.append(f"market ({market!r}): must be a market id such as 2 or 'market:2'")
    for section in ("maker", "hedger", "guard", "metadata"):
        if data.get(section) is not None and not isinstance(data[section], dict):
            problems.append(f"{section}: must be a mapping")
    unknown = set(data) - {"market", "symbol", "maker", "hedger", "guard", "metadata"}
    problems += [f"{k}: unknown profile key" for k in sorted(unknown)]
    if problems:
        raise ConfigError(problems, str(path))
    return data


def profile_market_id(profile: dict[str, Any]) -> int:
    m = profile["market"]
    return m if isinstance(m, int) else int(str(m).removeprefix("market:"))


def render_profile(profile: dict[str, Any], header: str) -> str:
    doc = CommentedMap(profile)
    doc.yaml_set_start_comment(header)
    buf = io.StringIO()
    _rt_yaml().dump(doc, buf)
    return buf.getvalue()


def _carry(doc: CommentedMap, merged: dict[str, Any], prefix: str, changes: list[Change]) -> None:
    """Write merged's values into the round-trip document, touching only keys that differ."""
    for key, new in merged.items():
        path = f"{prefix}{key}"
        if isinstance(new, dict):
            if not isinstance(doc.get(key), dict):
                doc[key] = CommentedMap()
            _carry(doc[key], new, path + ".", changes)
            continue
        old = doc.get(key, _MISSING)
        if old is _MISSING or not _equal(old, new):
            changes.append(Change(path, old if old is _MISSING else _plain(old), new))
            doc[key] = new


def _equal(a: Any, b: Any) -> bool:
    """Value equality that keeps 0.10 == 0.1 (formatting preserved) but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return bool(a == b)


def _plain(v: Any) -> Any:
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, str):
        return str(v)
    return v


def _eol_comment(doc: CommentedMap, dotted: str) -> Any:
    *parents, key = dotted.split(".")
    node: Any = doc
    for p in parents:
        node = node.get(p) if isinstance(node, CommentedMap) else None
    if not isinstance(node, CommentedMap):
        return None
    entry = node.ca.items.get(key)
    return entry[2] if entry and len(entry) > 2 else None


def _retitle(doc: CommentedMap, symbol: str | None, changes: list[Change]) -> None:
    """End-of-line comments name the market ("# SOL perp", "# SOL"): when the market changes, rename
    it in the comments of the keys we changed, so they stay truthful. Other comments are untouched."""
    if not symbol or not any(c.key == "maker.pair" for c in changes):
        return
    pair_comment = _eol_comment(doc, "maker.pair")
    found = _PERP_RE.search(pair_comment.value) if pair_comment is not None else None
    if found is None or found.group(1) == symbol:
        return
    old = re.compile(rf"\b{re.escape(found.group(1))}\b")
    for c in changes:
        token = _eol_comment(doc, c.key)
        if token is not None and c.key.startswith(("maker.", "hedger.", "guard.")):
            token.value = old.sub(symbol, token.value)


def apply_profile(config_file: Path, profile: dict[str, Any]) -> ApplyResult:
    """Merge `profile` into `config_file` (in memory), validate, and return the new text and the changes."""
    plain = read_yaml(config_file)
    if plain is None:
        plain = {}
    if not isinstance(plain, dict):
        raise ConfigError([f"the file must hold a mapping of sections, got {type(plain).__name__}"], str(config_file))
    merged = merge_profile(plain, profile)
    cfg = parse_config(merged, f"{config_file} + profile")
    doc = _rt_yaml().load(config_file.read_text()) or CommentedMap()
    changes: list[Change] = []
    _carry(doc, merged, "", changes)
    _retitle(doc, profile.get("symbol"), changes)
    buf = io.StringIO()
    _rt_yaml().dump(doc, buf)
    text = buf.getvalue()
    # Belt and braces: what we would write must load to exactly the validated config.
    if parse_config(yaml.safe_load(text), str(config_file)) != cfg:
        raise ConfigError(["internal error: the edited file does not load to the merged config; nothing written"])
    return ApplyResult(config=cfg, changes=tuple(changes), text=text)


def write_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write via a temp file in the same directory and rename: readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_metadata(path: Path, profile: dict[str, Any]) -> dict[str, Any]:
    meta = profile.get("metadata")
    if not isinstance(meta, dict) or not meta:
        raise DataError("the profile has no metadata block to write (regenerate it with set_market.py)")
    out = {"market": profile_market_id(profile), "symbol": profile.get("symbol"), **meta}
    write_atomic(path, json.dumps(out, indent=2, sort_keys=True) + "\n")
    return out
