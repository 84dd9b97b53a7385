"""Project settings: the ``[tool.groq-vcr]`` table of the nearest ``pyproject.toml``.

```toml
[tool.groq-vcr.redact]
headers = ["X-Internal-Token"]
json-fields = ["password", "metadata.user.token"]
query-params = ["sig"]
patterns = ["sk-live-[A-Za-z0-9]{24}"]
```

```toml
[tool.groq-vcr]
max-age = "30d"          # cassettes older than this (newest Date header) are expired
on-expired = "warn"      # warn | fail | rerecord
```

To add a setting: a field on :class:`Settings` and one entry in ``_PARSERS`` (TOML key -> field and parser).
Every problem is a :class:`~groq_vcr.errors.GroqVcrError` that names the file and the key.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from groq_vcr.errors import GroqVcrError
from groq_vcr.expiry import ON_EXPIRED, parse_max_age
from groq_vcr.redact import RedactionRules

__all__ = ["TABLE", "Settings", "find_pyproject", "load_settings", "parse_settings", "read_settings"]

TABLE = "tool.groq-vcr"


@dataclass(frozen=True)
class Settings:
    """Typed ``[tool.groq-vcr]`` settings; defaults when there is no table."""

    redaction: RedactionRules = field(default_factory=RedactionRules)
    """User redaction rules (``[tool.groq-vcr.redact]``), added to the built-in ones."""
    max_age: timedelta | None = None
    """``max-age``: cassettes recorded longer ago than this are expired (None: no limit)."""
    on_expired: str = "warn"
    """``on-expired``: what the pytest plugin does with an expired cassette (warn, fail or rerecord)."""
    source: Path | None = None
    """The pyproject.toml they came from (None: defaults)."""


def _parse_redaction(value: Any, where: str) -> RedactionRules:
    if not isinstance(value, Mapping):
        raise GroqVcrError(f"{where} must be a table, e.g. [{TABLE}.redact] with patterns = [...].")
    return RedactionRules.from_mapping(value, where=where)


def _parse_max_age(value: Any, where: str) -> timedelta | None:
    return parse_max_age(value, where=where)


def _parse_on_expired(value: Any, where: str) -> str:
    if value not in ON_EXPIRED:
        raise GroqVcrError(f"{where} must be one of {', '.join(ON_EXPIRED)}, not {value!r}.")
    return str(value)


# TOML key under [tool.groq-vcr] -> (Settings field, parser(value, where)).
_PARSERS: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    "redact": ("redaction", _parse_redaction),
    "max-age": ("max_age", _parse_max_age),
    "on-expired": ("on_expired", _parse_on_expired),
}


def parse_settings(table: Mapping[str, Any], *, source: Path | None = None) -> Settings:
    """Settings from an already-read ``[tool.groq-vcr]`` table (``source`` names it in errors)."""
    prefix = f"{source}: " if source is not None else ""
    values: dict[str, Any] = {}
    for key, value in table.items():
        parser = _PARSERS.get(key)
        if parser is None:
            close = difflib.get_close_matches(key, _PARSERS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(_PARSERS))
            raise GroqVcrError(f"{prefix}[{TABLE}] has an unknown key {key!r}{hint}; the known keys are: {known}.")
        field_name, parse = parser
        values[field_name] = parse(value, f"{prefix}[{TABLE}.{key}]")
    return Settings(**values, source=source)


def read_settings(path: str | Path) -> Settings:
    """Settings from the pyproject.toml at ``path`` (defaults when it has no ``[tool.groq-vcr]``)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise GroqVcrError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise GroqVcrError(f"{path} is not valid TOML ({exc}); fix it so groq-vcr can read [{TABLE}].") from None
    tool = document.get("tool", {})
    table = tool.get("groq-vcr", {}) if isinstance(tool, Mapping) else {}
    if not isinstance(table, Mapping):
        raise GroqVcrError(f"{path}: [{TABLE}] must be a table, not {type(table).__name__}.")
    return parse_settings(table, source=path)


def find_pyproject(start: str | Path | None = None) -> Path | None:
    """The nearest pyproject.toml in ``start`` (default: the working directory) or a parent of it."""
    here = Path(start) if start is not None else Path.cwd()
    here = here.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_settings(start: str | Path | None = None) -> Settings:
    """Settings of the project around ``start`` (default: the working directory); defaults when none."""
    path = find_pyproject(start)
    return read_settings(path) if path is not None else Settings()
