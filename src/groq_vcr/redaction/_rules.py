"""What counts as a secret: the built-in header and parameter names, user rules, and the placeholders.

A redacted value becomes a fixed placeholder (``REDACTED``; a Groq key becomes ``gsk_REDACTED``, which keeps
its shape but is far too short to look like a key to GitHub push protection or TruffleHog).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from groq_vcr._groq_api import GROQ_KEY_PLACEHOLDER, KEY_PREFIX
from groq_vcr.errors import GroqVcrError

__all__ = [
    "BUILTIN_HEADERS",
    "BUILTIN_QUERY_PARAMS",
    "PLACEHOLDER",
    "JsonPath",
    "RedactionRules",
    "is_json_path",
    "is_placeholder",
    "mask_secret",
    "parse_json_path",
]

PLACEHOLDER = "REDACTED"
"""What any redacted value becomes (cookie values, bearer tokens, fields, query parameters)."""

BUILTIN_HEADERS: tuple[str, ...] = (
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "cookie",
    "set-cookie",
)
"""Headers redacted whatever the user rules say (compared case-insensitively)."""

BUILTIN_QUERY_PARAMS: tuple[str, ...] = ("api_key", "api-key", "apikey", "access_token", "auth_token")
"""Query parameters (and form fields) redacted whatever the user rules say (compared case-insensitively)."""

_PLACEHOLDER_RE = re.compile(
    rf"(?i)(?:{re.escape(KEY_PREFIX)})?[<\[{{(]?(?:redacted|filtered|dummy|placeholder)[>\]}})]?|\*{{3,}}"
    rf"|{re.escape(GROQ_KEY_PLACEHOLDER)}"
)


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is a redaction placeholder (ours, or a usual one such as ``<REDACTED>`` or ``***``)."""
    return _PLACEHOLDER_RE.fullmatch(value) is not None


def mask_secret(secret: str) -> str:
    """A display form of ``secret`` that never holds it whole: ``gsk_Ab12…(56 chars)``."""
    keep = min(8, len(secret) // 4)
    return f"{secret[:keep]}…({len(secret)} chars)"


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


JsonPath = tuple[str | int, ...]
"""Where a value sits in a JSON document: object keys and list indexes from the root."""

_PATH_TOKEN_RE = re.compile(r"\.?([^.\[\]]+)|\[(\d+|\*)\]")


def parse_json_path(rule: str) -> JsonPath:
    """``$.a.b[*].c`` / ``a.b[0]`` -> ``("a", "b", "*", "c")``; raises ValueError when it is not a path."""
    text = rule[1:] if rule.startswith("$") else rule
    segments: list[str | int] = []
    pos = 0
    while pos < len(text):
        match = _PATH_TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"unexpected {text[pos]!r} at position {pos + (len(rule) - len(text))}")
        if match.group(1) is not None:
            segments.append(match.group(1))
        else:
            index = match.group(2)
            segments.append("*" if index == "*" else int(index))
        pos = match.end()
    if not segments:
        raise ValueError("the path is empty")
    return tuple(segments)


def is_json_path(rule: str) -> bool:
    """Whether a ``json-fields`` rule is a path (``a.b``, ``[0].c``, ``$.a``) rather than a field name."""
    return "." in rule or "[" in rule or rule.startswith("$")


@dataclass(frozen=True)
class RedactionRules:
    """User redaction rules, added to the built-in ones (which cannot be switched off).

    * ``headers``: extra header names whose whole value is a secret (case-insensitive).
    * ``json_fields``: a field *name* (``password``) is redacted at any depth of a JSON body (also in SSE
      ``data:`` events) and as a form/multipart field; a *path* (``metadata.user.token``, ``$.items[*].key``,
      ``[0].secret``) only where it points, from the root.
    * ``query_params``: extra query parameter names (case-insensitive), also applied to form fields.
    * ``patterns``: regular expressions; the match is redacted (only the group named ``secret``, or the
      only group, when there is one).
    """

    headers: tuple[str, ...] = ()
    json_fields: tuple[str, ...] = ()
    query_params: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("headers", "json_fields", "query_params", "patterns"):
            values = getattr(self, name)
            if isinstance(values, str) or not all(isinstance(v, str) and v for v in values):
                raise GroqVcrError(f"RedactionRules.{name} must be a list of non-empty strings, got {values!r}.")
            object.__setattr__(self, name, _unique(values))
        for rule in self.json_fields:
            if is_json_path(rule):
                try:
                    parse_json_path(rule)
                except ValueError as exc:
                    raise GroqVcrError(
                        f"Redaction rule json-fields {rule!r} is not a valid JSON path ({exc}); "
                        "write a field name such as 'password' or a path such as 'metadata.user.token' or "
                        "'items[*].secret'."
                    ) from None
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise GroqVcrError(
                    f"Redaction pattern {pattern!r} is not a valid regular expression ({exc}); fix or remove it."
                ) from None
            if re.fullmatch(pattern, ""):
                raise GroqVcrError(f"Redaction pattern {pattern!r} matches the empty string; make it more specific.")

    def merged(self, other: RedactionRules) -> RedactionRules:
        """These rules plus ``other``'s (order kept, duplicates dropped)."""
        return RedactionRules(
            headers=self.headers + other.headers,
            json_fields=self.json_fields + other.json_fields,
            query_params=self.query_params + other.query_params,
            patterns=self.patterns + other.patterns,
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "redaction rules") -> RedactionRules:
        """Rules from a mapping spelled like ``[tool.groq-vcr.redact]`` (``json-fields`` or ``json_fields``).

        ``where`` names the source in error messages (a file and table, or a test's ``vcr_config``).
        """
        known = {f.name: f.name for f in dataclasses.fields(cls)}
        values: dict[str, tuple[str, ...]] = {}
        for raw_key, value in data.items():
            key = known.get(str(raw_key).replace("-", "_"))
            if key is None:
                spelled = ", ".join(name.replace("_", "-") for name in known)
                raise GroqVcrError(f"{where}: unknown key {raw_key!r}; the known keys are {spelled}.")
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
                raise GroqVcrError(f"{where}: {raw_key!r} must be a list of non-empty strings, got {value!r}.")
            values[key] = tuple(value)
        try:
            return cls(**values)
        except GroqVcrError as exc:
            raise GroqVcrError(f"{where}: {exc}") from None
