"""Loading a policy, a preset shipped with Serment or an operator's TOML file, and refusing it with one
line the operator can act on when it breaks a rule."""

from __future__ import annotations

import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from serment.policy.model import Grant, Policy, Purpose, RetentionRule, Role, location_of

PRESETS: Traversable = resources.files("serment.policy") / "presets"
# The model of each kind of TOML table, to tell an operator which keys a table accepts.
_TABLE_MODELS: dict[str, type[BaseModel]] = {
    "roles": Role,
    "purposes": Purpose,
    "grants": Grant,
    "retention": RetentionRule,
}
# Errors whose message Serment wrote itself and which already say what was given.
_OWN_ERRORS = frozenset({"policy_rule", "retention_too_short"})


class PolicyError(Exception):
    """A policy Serment refuses to use; `str(error)` is one line naming the file, the place and the fix."""

    def __init__(self, message: str) -> None:
        # One line, whatever a parser or an operator's value put in it, so it fits a log line and a CLI error.
        super().__init__(" ".join(message.split()))


def preset_names() -> tuple[str, ...]:
    """The names of the policies shipped with Serment, for `--policy` help and the settings check."""
    names = (entry.name.removesuffix(".toml") for entry in PRESETS.iterdir() if entry.name.endswith(".toml"))
    return tuple(sorted(names))


def load_policy(source: str | Path) -> Policy:
    """The policy named by `source`, a preset name ("fr-2020") or the path of a TOML file; for the
    installation when it opens.

    Raises PolicyError when the file cannot be read or breaks a rule.
    """
    name = str(source)
    if name in preset_names():
        return parse_policy((PRESETS / f"{name}.toml").read_text(encoding="utf-8"), f"{name}.toml")
    path = Path(source)
    if path.suffix != ".toml":
        raise PolicyError(
            f"{name}: neither a preset ({', '.join(preset_names())}) nor the path of a .toml policy file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise PolicyError(
            f"{name}: no such file; give a preset name ({', '.join(preset_names())}) or the path of a "
            "policy TOML file"
        ) from error
    except UnicodeDecodeError as error:
        raise PolicyError(f"{name}: not UTF-8 text; save the policy file as UTF-8") from error
    except OSError as error:
        raise PolicyError(f"{name}: cannot be read ({error.strerror})") from error
    return parse_policy(text, name)


def parse_policy(text: str, where: str) -> Policy:
    """The policy written in the TOML `text`; `where` names its origin in errors. For the loader and tests."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{where}: not valid TOML: {error}") from error
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise PolicyError(f"{where}: {_describe(error)}") from error


def _describe(error: ValidationError) -> str:
    errors = error.errors(include_url=False)
    first = errors[0]
    context = first.get("ctx", {})
    if first["type"] == "policy_rule":
        location, problem = str(context["location"]), str(context["problem"])
    else:
        location, problem = location_of(first["loc"]), _explain(first)
    more = len(errors) - 1
    if more:
        problem += f" (and {more} more problem{'s' if more > 1 else ''})"
    return f"{location}: {problem}" if location else problem


def _explain(error: ErrorDetails) -> str:
    kind, path, given = error["type"], error["loc"], error["input"]
    if kind == "missing":
        return "this key is required but missing"
    if kind == "extra_forbidden":
        allowed = _keys_of(path)
        return f"unknown key; expected {_one_of(allowed)}" if allowed else "unknown key"
    if kind in _OWN_ERRORS or not _is_scalar(given):
        return error["msg"]
    return f"{error['msg']} (got {given!r})"


def _keys_of(path: tuple[str | int, ...]) -> tuple[str, ...]:
    if len(path) == 1:
        return tuple(Policy.model_fields)
    model = _TABLE_MODELS.get(str(path[0])) if len(path) == 3 else None
    return tuple(model.model_fields) if model else ()


def _one_of(keys: tuple[str, ...]) -> str:
    return keys[0] if len(keys) == 1 else "one of " + ", ".join(keys)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)
