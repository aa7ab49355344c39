"""Turn `--set key=value` and `--grid key=v1,v2` options into assistant Settings.

Keys and value types come from the `Settings` dataclass itself (read with
dataclasses.fields), so a setting added to the assistant is settable here with
no change. An unknown key or a value of the wrong type raises ValueError with a
message naming it. It does not run anything or decide what a setting means.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

from assistant import Settings

__all__ = ["parse_assignment", "parse_grid", "expand_grid", "apply_overrides", "coerce_value", "config_label"]

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_NONE = ("none", "null")


def _fields() -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(Settings)}


def parse_assignment(text: str) -> tuple[str, str]:
    """"top_k=10" -> ("top_k", "10")."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"expected key=value, got {text!r}")
    return key.strip(), value.strip()


def parse_grid(text: str) -> tuple[str, list[str]]:
    """"top_k=5,10" -> ("top_k", ["5", "10"])."""
    key, values = parse_assignment(text)
    parts = [v.strip() for v in values.split(",") if v.strip()]
    if not parts:
        raise ValueError(f"--grid {key}: no values")
    return key, parts


def coerce_value(key: str, raw: str):
    """`raw` converted to the type of Settings field `key` (its default's type, or its annotation)."""
    fields = _fields()
    if key not in fields:
        raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(fields))}")
    f = fields[key]
    default = f.default if f.default is not dataclasses.MISSING else None
    annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if default is None and raw.lower() in _NONE and "None" in annotation:
        return None
    kind = type(default) if default is not None else None
    if kind is None:  # an optional field whose default is None: read the annotation
        kind = next((t for name, t in (("int", int), ("float", float), ("bool", bool), ("Path", Path))
                     if name in annotation), str)
    try:
        if kind is bool:
            low = raw.lower()
            if low not in _TRUE + _FALSE:
                raise ValueError
            return low in _TRUE
        if issubclass(kind, Path):
            return Path(raw)
        return kind(raw)
    except ValueError:
        raise ValueError(f"setting {key}: {raw!r} is not a valid {kind.__name__}") from None


def apply_overrides(settings: Settings, overrides: dict[str, str]) -> Settings:
    """`settings` with the string `overrides` converted and applied (Settings validates the result)."""
    return settings.replace(**{k: coerce_value(k, v) for k, v in overrides.items()})


def expand_grid(grid: list[tuple[str, list[str]]]) -> list[dict[str, str]]:
    """The cartesian product of the grid's values, first key varying slowest; [{}] for no grid."""
    keys = [k for k, _ in grid]
    if len(set(keys)) != len(keys):
        raise ValueError("a --grid key is given twice")
    return [dict(zip(keys, combo)) for combo in itertools.product(*(values for _, values in grid))]


def config_label(overrides: dict[str, str]) -> str:
    """"top_k=10 chunk_tokens=150", or "defaults" when nothing is overridden."""
    return " ".join(f"{k}={v}" for k, v in overrides.items()) or "defaults"
