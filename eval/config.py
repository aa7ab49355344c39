"""Turn `--set key=value` and `--grid key=v1,v2` options into assistant Settings.

Keys and value types come from the `Settings` dataclass itself (read with
dataclasses.fields), so a setting added to the assistant is settable here with
no change. An unknown key or a value of the wrong type raises ValueError with a
message naming it. It does not run anything or decide what a setting means.
"""

from __future__ import annotations

import itertools

from assistant import Settings
from assistant.settings import setting_value

__all__ = ["parse_assignment", "parse_grid", "expand_grid", "apply_overrides", "coerce_value", "config_label"]


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
    """`raw` converted to the type of Settings field `key` (assistant.settings.setting_value: the same
    reading as the CITEWIRE_* environment variables)."""
    return setting_value(key, raw)


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
