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
vcrpy-cassettes = "keep" # keep | convert: what the plugin does with cassettes vcrpy wrote
cassettes = ["tests/recordings"]  # where check/scan look with no path (default: every cassettes/ folder)
```

To add a setting: a field on :class:`Settings` and one entry in ``_PARSERS`` (TOML key -> field and parser).
Every problem is a :class:`~groq_vcr.errors.GroqVcrError` that names the file and the key.

The pytest plugin imports this module in every run: the redaction layer (and the cassette layer under it) is
imported only when redaction rules are built.
"""

from __future__ import annotations

import difflib
import enum
import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from groq_vcr.errors import GroqVcrError

if TYPE_CHECKING:
    from groq_vcr.redaction import RedactionRules, Redactor

__all__ = [
    "TABLE",
    "OnExpired",
    "Settings",
    "VcrpyCassettes",
    "find_pyproject",
    "load_settings",
    "parse_choice",
    "parse_max_age",
    "parse_settings",
    "read_settings",
    "redactor_for",
]

TABLE = "tool.groq-vcr"

_Choice = TypeVar("_Choice", bound=enum.StrEnum)


class OnExpired(enum.StrEnum):
    """What to do with a cassette older than its maximum age."""

    WARN = "warn"
    """Warn and replay it anyway."""
    FAIL = "fail"
    """Fail the test."""
    RERECORD = "rerecord"
    """Re-record it live (when a key is set; otherwise warn)."""


class VcrpyCassettes(enum.StrEnum):
    """What the pytest plugin does with a cassette that vcrpy wrote (its ``version: 1`` YAML, or JSON)."""

    KEEP = "keep"
    """vcrpy replays and re-records it in its own format, with vcrpy's matching; groq-vcr adds redaction, the
    fail-closed scan, atomic saves and keeps it whole when a test fails."""
    CONVERT = "convert"
    """groq-vcr replays it with its own matching, and writes it as go-vcr v2 the next time the test records."""


def parse_choice(kind: type[_Choice], value: object, *, where: str) -> _Choice:
    """``value`` as a member of the enum ``kind``; a :class:`GroqVcrError` naming ``where`` and the choices."""
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    choices = ", ".join(member.value for member in kind)
    raise GroqVcrError(f"{where} must be one of {choices}, not {value!r}.")


_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_OFF = {"", "0", "off", "none", "never"}


def parse_max_age(value: str | int | float | timedelta | None, *, where: str = "max-age") -> timedelta | None:
    """``"30d"``, ``"2w"``, ``"12h"``, ``"1d12h"``, ``"90m"``, a number of days, or a timedelta; None/"off" -> None.

    Raises :class:`~groq_vcr.errors.GroqVcrError` naming ``where`` for anything else.
    """
    if value is None or isinstance(value, timedelta):
        return value if value else None
    if isinstance(value, bool):
        raise GroqVcrError(f"{where} must be an age such as '30d' or '12h', not {value!r}.")
    if isinstance(value, int | float):
        return timedelta(days=value) if value > 0 else None
    text = str(value).strip().lower()
    if text in _OFF:
        return None
    position, seconds = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(text) or not text:
        raise GroqVcrError(
            f"{where} {value!r} is not an age; write a number with a unit: w (weeks), d (days), h (hours), "
            "m (minutes), s (seconds), e.g. '30d', '2w' or '1d12h' ('off' disables it)."
        )
    return timedelta(seconds=seconds) if seconds > 0 else None


def _no_rules() -> RedactionRules:
    from groq_vcr.redaction import RedactionRules

    return RedactionRules()


@dataclass(frozen=True)
class Settings:
    """Typed ``[tool.groq-vcr]`` settings; defaults when there is no table."""

    redaction: RedactionRules = field(default_factory=_no_rules)
    """User redaction rules (``[tool.groq-vcr.redact]``), added to the built-in ones."""
    max_age: timedelta | None = None
    """``max-age``: cassettes recorded longer ago than this are expired (None: no limit)."""
    on_expired: OnExpired = OnExpired.WARN
    """``on-expired``: what the pytest plugin does with an expired cassette (warn, fail or rerecord)."""
    vcrpy_cassettes: VcrpyCassettes = VcrpyCassettes.KEEP
    """``vcrpy-cassettes``: how the pytest plugin treats cassettes vcrpy wrote (keep or convert)."""
    cassettes: tuple[str, ...] = ()
    """``cassettes``: the folders ``groq-vcr check`` / ``scan`` look in when given no path (relative to the
    pyproject.toml; empty: every ``cassettes/`` folder under the test paths)."""
    source: Path | None = None
    """The pyproject.toml they came from (None: defaults)."""


def _parse_redaction(value: Any, where: str) -> RedactionRules:
    from groq_vcr.redaction import RedactionRules

    if not isinstance(value, Mapping):
        raise GroqVcrError(f"{where} must be a table, e.g. [{TABLE}.redact] with patterns = [...].")
    return RedactionRules.from_mapping(value, where=where)


def _parse_max_age(value: Any, where: str) -> timedelta | None:
    return parse_max_age(value, where=where)


def _parse_on_expired(value: Any, where: str) -> OnExpired:
    return parse_choice(OnExpired, value, where=where)


def _parse_folders(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        raise GroqVcrError(f'{where} must be a list of folders, e.g. cassettes = ["tests/cassettes"].')
    return tuple(value)


# TOML key under [tool.groq-vcr] -> (Settings field, parser(value, where)).
_PARSERS: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    "redact": ("redaction", _parse_redaction),
    "max-age": ("max_age", _parse_max_age),
    "on-expired": ("on_expired", _parse_on_expired),
    "cassettes": ("cassettes", _parse_folders),
    "vcrpy-cassettes": ("vcrpy_cassettes", lambda value, where: parse_choice(VcrpyCassettes, value, where=where)),
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


# --- which redaction applies to a cassette: the project's settings, then the test's own rules ---

OVERRIDES_KEY = "groq_vcr_redact"
"""The ``vcr_config`` / marker key holding per-test redaction rules."""


def project_rules(root: Path) -> RedactionRules:
    """Rules from ``[tool.groq-vcr.redact]`` in ``root``'s pyproject.toml (none when absent)."""
    return load_settings(root).redaction


def redactor_for(root: Path, overrides: Mapping[str, Any] | None = None) -> Redactor:
    """The redactor for a cassette under ``root`` with per-test ``overrides`` (``vcr_config``/marker)."""
    from groq_vcr.redaction import RedactionRules, Redactor

    extra = (overrides or {}).get(OVERRIDES_KEY)
    if isinstance(extra, RedactionRules):
        return Redactor(project_rules(root).merged(extra))
    if extra:
        rules = RedactionRules.from_mapping(extra, where=f"vcr_config[{OVERRIDES_KEY!r}]")
        return Redactor(project_rules(root).merged(rules))
    return _project_redactor(root.resolve())


@functools.lru_cache(maxsize=32)
def _project_redactor(root: Path) -> Redactor:
    # Reading pyproject.toml and compiling the rules once per project, not once per test.
    from groq_vcr.redaction import Redactor

    return Redactor(project_rules(root))
