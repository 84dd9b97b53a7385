"""Redaction rules and the fail-closed secret scan.

One set of detectors serves both jobs, so what the scan flags is exactly what redaction removes:

* **text rules** run over every string (URL, header names and values, bodies, YAML lines): Groq keys
  (``gsk_`` + 52 letters/digits) anywhere, ``Authorization:``/``api-key:``/``Cookie:`` lines in text,
  random-looking ``Bearer`` tokens, Cloudflare cookies (``__cf_bm=…``), passwords in URLs, user patterns;
* **structural rules** need to know where a string sits: sensitive headers (any value but a placeholder is a
  secret), query parameters, JSON fields/paths, form and multipart fields.

A redacted value becomes a fixed placeholder (``REDACTED``; a Groq key becomes ``gsk_REDACTED``, which keeps
its shape but is far too short to look like a key to GitHub push protection or TruffleHog). Header shapes a
client needs are kept: ``Bearer gsk_REDACTED``, ``__cf_bm=REDACTED; path=/; HttpOnly``. Redaction is
deterministic and idempotent; unchanged bytes stay identical (JSON, multipart and form bodies are edited in
place, never re-serialised).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import dataclasses
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from json import decoder as _json_decoder
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import yaml

from groq_vcr._groq_api import GROQ_KEY_PLACEHOLDER, GROQ_KEY_RE
from groq_vcr.cassette import Body, Cassette, Headers, Interaction, Request, Response
from groq_vcr.errors import GroqVcrError, SecretFoundError

__all__ = [
    "BUILTIN_HEADERS",
    "BUILTIN_QUERY_PARAMS",
    "GROQ_KEY_PLACEHOLDER",
    "PLACEHOLDER",
    "Finding",
    "RedactionRules",
    "Redactor",
    "assert_clean",
    "check_text",
    "is_placeholder",
    "mask_secret",
    "redact_cassette",
    "redact_text",
    "scan_text",
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

# --- patterns -------------------------------------------------------------------------------------------

_TOKEN = r"[A-Za-z0-9._~+/=-]+"
_BEARER_RE = re.compile(rf"(?i)(?<![A-Za-z0-9])bearer[ \t]+({_TOKEN})")
_AUTH_TEXT_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9-])(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
    rf"(?:[A-Za-z][A-Za-z0-9-]*[ \t]+)?({_TOKEN})"
)
_API_KEY_TEXT_RE = re.compile(rf"(?i)api[-_]?key[\"']?[ \t]*[:=][ \t]*[\"']?({_TOKEN})")
_COOKIE_TEXT_RE = re.compile(r"(?i)(?<![A-Za-z0-9-])(set-)?cookie[\"']?[ \t]*:[ \t]*")
_COOKIE_PAIR_RE = re.compile(r"([!#$%&*+\-.^_`|~0-9A-Za-z]+)=([^;\s\"',\\]*)")
_COOKIE_SEP_RE = re.compile(r"[ \t]*;[ \t]*")
_CLOUDFLARE_COOKIE_RE = re.compile(
    r"(?<![A-Za-z0-9])(__cf_bm|cf_clearance|__cflb|_cfuvid|__cfruid|__cfwaitingroom)=([^;\s\"',\\]+)"
)
_URL_PASSWORD_RE = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^/\s@:]+:([^/\s@]+)@")
_AUTH_VALUE_RE = re.compile(r"([A-Za-z][A-Za-z0-9._-]*)[ \t]+(\S.*)$", re.DOTALL)

_PLACEHOLDER_RE = re.compile(
    r"(?i)(?:gsk_)?[<\[{(]?(?:redacted|filtered|dummy|placeholder)[>\]})]?|\*{3,}|gsk_REDACTED"
)

_AUTH_HEADERS = frozenset({"authorization", "proxy-authorization"})


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is a redaction placeholder (ours, or a usual one such as ``<REDACTED>`` or ``***``)."""
    return _PLACEHOLDER_RE.fullmatch(value) is not None


def _looks_random(token: str) -> bool:
    """Whether a token found in free text is random enough to be a credential rather than prose.

    Used only where the context does not settle it (``Bearer xyz`` in a body); in a sensitive header every
    value but a placeholder is a secret.
    """
    if len(token) < 16 or is_placeholder(token):
        return False
    has_digit = any(c.isdigit() for c in token)
    has_lower = any(c.islower() for c in token)
    has_upper = any(c.isupper() for c in token)
    return (has_digit and (has_lower or has_upper)) or (has_lower and has_upper and len(token) >= 32)


def mask_secret(secret: str) -> str:
    """A display form of ``secret`` that never holds it whole: ``gsk_Ab12…(56 chars)``."""
    keep = min(8, len(secret) // 4)
    return f"{secret[:keep]}…({len(secret)} chars)"


# --- rules ----------------------------------------------------------------------------------------------


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


_PATH_TOKEN_RE = re.compile(r"\.?([^.\[\]]+)|\[(\d+|\*)\]")


def _parse_json_path(rule: str) -> tuple[str | int, ...]:
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


def _is_json_path(rule: str) -> bool:
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
            if _is_json_path(rule):
                try:
                    _parse_json_path(rule)
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


# --- findings -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One secret found by a scan. Holds no secret: ``excerpt`` is masked."""

    rule: str
    line: int
    """1-based line in the scanned text (for a secret inside a ``!!binary`` body: the body's line)."""
    column: int
    excerpt: str
    source: str | None = None
    interaction: int | None = None
    """Index of the interaction in the cassette, when the text is a cassette."""
    field: str | None = None
    """Where in the interaction: ``request.headers.Authorization[0]``, ``response.body``, ``request.url``."""

    @property
    def where(self) -> str:
        """``interaction 0, request.headers.Authorization[0]`` (empty when not in a cassette)."""
        parts = []
        if self.interaction is not None:
            parts.append(f"interaction {self.interaction}")
        if self.field:
            parts.append(self.field)
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.source or '<text>'}:{self.line}: {self.rule}: {self.excerpt}"
        return f"{text}  ({self.where})" if self.where else text


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    rule: str
    replacement: str
    priority: int = 1


def _merge(spans: list[_Span]) -> list[_Span]:
    """Sorted, non-overlapping spans; on overlap the earliest, longest, highest-priority span wins."""
    spans.sort(key=lambda s: (s.start, -s.end, s.priority))
    merged: list[_Span] = []
    for span in spans:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if span.end > last.end:
                merged[-1] = dataclasses.replace(last, end=span.end)
            continue
        merged.append(span)
    return merged


def _apply(text: str, spans: list[_Span]) -> str:
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for span in _merge(spans):
        out.append(text[pos : span.start])
        out.append(span.replacement)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def _secret_replacement(secret: str) -> str:
    return GROQ_KEY_PLACEHOLDER if GROQ_KEY_RE.fullmatch(secret) else PLACEHOLDER


# --- JSON walking (positions, so bodies are edited in place) -------------------------------------------

_JSON_WS_RE = re.compile(r"[ \t\n\r]*")
_JSON_ATOM_RE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
JsonPath = tuple[str | int, ...]
_scanstring: Callable[[str, int, bool], tuple[str, int]] = _json_decoder.scanstring  # type: ignore[attr-defined]


def _walk_json(text: str, pos: int, path: JsonPath, visit: Callable[[JsonPath, int, int], None]) -> int:
    """Walk the JSON value at ``pos``; call ``visit(path, start, end)`` for every value; return its end."""
    pos = _JSON_WS_RE.match(text, pos).end()  # type: ignore[union-attr]
    start = pos
    char = text[pos]
    if char == '"':
        _, pos = _scanstring(text, pos + 1, False)
    elif char in "{[":
        closing = "}" if char == "{" else "]"
        pos = _JSON_WS_RE.match(text, pos + 1).end()  # type: ignore[union-attr]
        index = 0
        if text[pos] == closing:
            pos += 1
        else:
            while True:
                if char == "{":
                    pos = _JSON_WS_RE.match(text, pos).end()  # type: ignore[union-attr]
                    if text[pos] != '"':
                        raise ValueError("object key expected")
                    key, pos = _scanstring(text, pos + 1, False)
                    pos = _JSON_WS_RE.match(text, pos).end()  # type: ignore[union-attr]
                    if text[pos] != ":":
                        raise ValueError("':' expected")
                    pos = _walk_json(text, pos + 1, (*path, key), visit)
                else:
                    pos = _walk_json(text, pos, (*path, index), visit)
                    index += 1
                pos = _JSON_WS_RE.match(text, pos).end()  # type: ignore[union-attr]
                if text[pos] == ",":
                    pos += 1
                    continue
                if text[pos] != closing:
                    raise ValueError(f"{closing!r} expected")
                pos += 1
                break
    else:
        atom = _JSON_ATOM_RE.match(text, pos)
        if atom is None:
            raise ValueError("JSON value expected")
        pos = atom.end()
    visit(path, start, pos)
    return pos


# --- the redactor ---------------------------------------------------------------------------------------


class Redactor:
    """Applies the built-in rules plus ``rules`` to strings, bodies, URLs, interactions and cassettes.

    Every ``redact_*`` method returns a new value and never mutates its argument.
    """

    def __init__(self, rules: RedactionRules | None = None) -> None:
        self.rules = rules or RedactionRules()
        self._headers = frozenset(BUILTIN_HEADERS) | {h.lower() for h in self.rules.headers}
        self._query = frozenset(BUILTIN_QUERY_PARAMS) | {q.lower() for q in self.rules.query_params}
        self._field_names = frozenset(f for f in self.rules.json_fields if not _is_json_path(f))
        self._field_paths = tuple(
            (rule, _parse_json_path(rule)) for rule in self.rules.json_fields if _is_json_path(rule)
        )
        self._form_names = frozenset(n.lower() for n in self._field_names) | self._query
        self._patterns = tuple((p, re.compile(p)) for p in self.rules.patterns)

    # -- detectors --

    def _text_spans(self, text: str) -> list[_Span]:
        spans: list[_Span] = []
        if "gsk" in text:
            spans.extend(
                _Span(m.start(), m.end(), "groq-api-key", GROQ_KEY_PLACEHOLDER, 0) for m in GROQ_KEY_RE.finditer(text)
            )
        low = text.lower()  # cheap literal gates: the case-insensitive regexes are slow on megabyte bodies
        if "bearer" in low:
            for m in _BEARER_RE.finditer(text):
                if _looks_random(m.group(1)):
                    spans.append(_Span(m.start(1), m.end(1), "bearer-token", _secret_replacement(m.group(1)), 2))
        for regex, rule, gate in (
            (_AUTH_TEXT_RE, "authorization-header", "authorization"),
            (_API_KEY_TEXT_RE, "api-key", "key"),
        ):
            if gate in low:
                for m in regex.finditer(text):
                    if _looks_random(m.group(1)):
                        spans.append(_Span(m.start(1), m.end(1), rule, _secret_replacement(m.group(1))))
        if "cookie" in low:
            for m in _COOKIE_TEXT_RE.finditer(text):
                rule = "set-cookie" if m.group(1) else "cookie"
                spans.extend(self._cookie_pair_spans(text, m.end(), rule, first_only=bool(m.group(1))))
        if "_cf" in text or "cf_" in text:
            for m in _CLOUDFLARE_COOKIE_RE.finditer(text):
                if not is_placeholder(m.group(2)):
                    spans.append(_Span(m.start(2), m.end(2), "cloudflare-cookie", PLACEHOLDER))
        if "://" in text:
            for m in _URL_PASSWORD_RE.finditer(text):
                if not is_placeholder(m.group(1)):
                    spans.append(_Span(m.start(1), m.end(1), "url-password", PLACEHOLDER))
        for source, regex in self._patterns:
            for m in regex.finditer(text):
                group: int | str = 0
                if "secret" in regex.groupindex:
                    group = "secret"
                elif regex.groups == 1:
                    group = 1
                start, end = m.span(group)
                if start < end and not is_placeholder(m.group(group)):
                    spans.append(_Span(start, end, f"pattern /{source}/", PLACEHOLDER))
        return spans

    @staticmethod
    def _cookie_pair_spans(text: str, pos: int, rule: str, *, first_only: bool) -> list[_Span]:
        spans: list[_Span] = []
        while True:
            pair = _COOKIE_PAIR_RE.match(text, pos)
            if pair is None:
                break
            value = pair.group(2)
            if value and not is_placeholder(value):
                spans.append(_Span(pair.start(2), pair.end(2), rule, PLACEHOLDER))
            if first_only:
                break
            sep = _COOKIE_SEP_RE.match(text, pair.end())
            if sep is None:
                break
            pos = sep.end()
        return spans

    def _header_spans(self, name: str, value: str) -> list[_Span]:
        """Structural spans of a header value (only for sensitive headers)."""
        lowered = name.lower()
        if lowered not in self._headers or not value.strip():
            return []
        if lowered in ("cookie", "set-cookie"):
            spans = self._cookie_pair_spans(value, 0, lowered, first_only=lowered == "set-cookie")
            if spans or "=" in value or is_placeholder(value.strip()):
                return spans
            return [_Span(0, len(value), lowered, PLACEHOLDER)]
        start = 0
        if lowered in _AUTH_HEADERS:
            scheme = _AUTH_VALUE_RE.match(value)
            if scheme is not None:
                start = scheme.start(2)
        secret = value[start:].rstrip()
        if is_placeholder(secret):
            return []
        rule = "authorization-header" if lowered in _AUTH_HEADERS else f"header {name}"
        return [_Span(start, start + len(secret), rule, _secret_replacement(secret), 0)]

    def _query_spans(self, query: str, offset: int, names: frozenset[str], rule: str) -> list[_Span]:
        spans: list[_Span] = []
        for m in re.finditer(r"([^&;=]*)=([^&;#]*)", query):
            name = unquote_plus(m.group(1)).lower()
            value = m.group(2)
            if name in names and value and not is_placeholder(unquote_plus(value)):
                spans.append(_Span(offset + m.start(2), offset + m.end(2), f"{rule} {name}", PLACEHOLDER))
        return spans

    def _url_spans(self, url: str) -> list[_Span]:
        query_start = url.find("?")
        if query_start < 0:
            return []
        fragment = url.find("#", query_start)
        query = url[query_start + 1 : fragment if fragment >= 0 else len(url)]
        return self._query_spans(query, query_start + 1, self._query, "query-param")

    def _json_field_matches(self, path: JsonPath) -> str | None:
        if path and isinstance(path[-1], str) and path[-1] in self._field_names:
            return path[-1]
        for rule, pattern in self._field_paths:
            if len(pattern) == len(path) and all(p == "*" or p == q for p, q in zip(pattern, path, strict=True)):
                return rule
        return None

    def _json_spans(self, text: str, offset: int = 0) -> list[_Span]:
        if not self._field_names and not self._field_paths:
            return []
        spans: list[_Span] = []

        def visit(path: JsonPath, start: int, end: int) -> None:
            rule = self._json_field_matches(path)
            if rule is None:
                return
            raw = text[start:end]
            if raw.startswith('"') and is_placeholder(raw[1:-1]):
                return
            spans.append(_Span(offset + start, offset + end, f"json-field {rule}", f'"{PLACEHOLDER}"'))

        try:
            end = _walk_json(text, 0, (), visit)
        except (ValueError, IndexError, RecursionError):
            return []
        if text[end:].strip():
            return []
        return spans

    def _sse_spans(self, text: str) -> list[_Span]:
        if not self._field_names and not self._field_paths:
            return []
        spans: list[_Span] = []
        for m in re.finditer(r"(?m)^data:[ ]?(.*?)\r?$", text):
            payload = m.group(1)
            if payload[:1] in ("{", "["):
                spans.extend(self._json_spans(payload, m.start(1)))
        return spans

    def _multipart_spans(self, text: str, content_type: str) -> list[_Span]:
        boundary_match = re.search(r"(?i)boundary=(?:\"([^\"]+)\"|([^;\s]+))", content_type)
        if boundary_match is not None:
            boundary = boundary_match.group(1) or boundary_match.group(2)
        else:
            sniffed = re.match(r"--([^\r\n]+)\r?\n", text)
            if sniffed is None:
                return []
            boundary = sniffed.group(1)
        delimiter = "--" + boundary
        starts = [m.start() for m in re.finditer(re.escape(delimiter), text)]
        spans: list[_Span] = []
        for here, following in itertools.pairwise(starts):
            part_start = here + len(delimiter)
            head_end = re.compile(r"\r?\n\r?\n").search(text, part_start, following)
            if head_end is None:
                continue
            disposition = re.search(
                r"(?i)content-disposition:[^\r\n]*?\bname=\"([^\"]*)\"", text[part_start : head_end.start()]
            )
            if disposition is None or disposition.group(1).lower() not in self._form_names:
                continue
            content_end = following
            if text.startswith("\r\n", content_end - 2):
                content_end -= 2
            elif text.startswith("\n", content_end - 1):
                content_end -= 1
            content = text[head_end.end() : content_end]
            if content and not is_placeholder(content):
                spans.append(_Span(head_end.end(), content_end, f"form-field {disposition.group(1)}", PLACEHOLDER))
        return spans

    def _body_spans(self, text: str, content_type: str | None) -> list[_Span]:
        """Structural spans of a body (JSON fields, SSE data JSON, form and multipart fields)."""
        media = (content_type or "").split(";")[0].strip().lower()
        if not media:
            head = text[:64].lstrip()
            if head[:1] in ("{", "["):
                media = "application/json"
            elif head.startswith(("data:", "event:")):
                media = "text/event-stream"
        if media.endswith("json"):
            return self._json_spans(text)
        if media == "text/event-stream":
            return self._sse_spans(text)
        if media == "application/x-www-form-urlencoded":
            return self._query_spans(text, 0, self._form_names, "form-field")
        if media.startswith("multipart/"):
            return self._multipart_spans(text, content_type or "")
        return []

    def _redact(self, text: str, structural: Callable[[str], list[_Span]] | None = None) -> str:
        # Replacing can in rare overlaps leave a fresh match; loop to the fixed point (bounded).
        for _ in range(4):
            spans = self._text_spans(text)
            if structural is not None:
                spans.extend(structural(text))
            if not spans:
                return text
            text = _apply(text, spans)
        return text

    # -- public redaction --

    def redact_text(self, text: str) -> str:
        """``text`` with every text-rule secret replaced (keys, bearer tokens, cookies, user patterns)."""
        return self._redact(text)

    def redact_url(self, url: str) -> str:
        """``url`` with secret query parameters, URL passwords and keys replaced; the rest byte-identical."""
        return self._redact(url, self._url_spans)

    def redact_header(self, name: str, value: str) -> str:
        """One header value, redacted for its header ``name``."""
        return self._redact(value, lambda v: self._header_spans(name, v))

    def redact_headers(self, headers: Headers) -> Headers:
        """A new header map with names and values redacted."""
        return {
            self.redact_text(name): [self.redact_header(name, v) for v in values] for name, values in headers.items()
        }

    def redact_body(self, body: Body, content_type: str | None = None) -> Body:
        """A body (``str`` or ``bytes``) redacted by its content type; the type is kept.

        Bytes are searched too (through a byte-for-byte latin-1 view, so binary data is never altered outside
        the secrets themselves).
        """
        if isinstance(body, bytes):
            text = body.decode("latin-1")
            redacted = self._redact(text, lambda t: self._body_spans(t, content_type))
            return body if redacted == text else redacted.encode("latin-1")
        return self._redact(body, lambda t: self._body_spans(t, content_type))

    def _redact_message(
        self, body: Body, headers: Headers, content_length: int, content_type: str | None
    ) -> tuple[Body, Headers, int]:
        """A message's redacted body and headers, with its length (field and header) following the body."""
        redacted = self.redact_body(body, content_type)
        new_headers = self.redact_headers(headers)
        if redacted != body:
            content_length = _adjusted_length(content_length, body, redacted)
            _adjust_content_length_header(new_headers, body, redacted)
        return redacted, new_headers, content_length

    def redact_request(self, request: Request) -> Request:
        """A redacted copy of ``request`` (also used to normalise a live request before matching)."""
        body, headers, content_length = self._redact_message(
            request.body, request.headers, request.content_length, request.header("Content-Type")
        )
        return dataclasses.replace(
            request,
            content_length=content_length,
            transfer_encoding=[self.redact_text(v) for v in request.transfer_encoding],
            trailer=self.redact_headers(request.trailer),
            host=self.redact_text(request.host),
            remote_addr=self.redact_text(request.remote_addr),
            request_uri=self.redact_url(request.request_uri),
            body=body,
            form={
                self.redact_text(name): [
                    PLACEHOLDER
                    if name.lower() in self._form_names and v and not is_placeholder(v)
                    else self.redact_text(v)
                    for v in values
                ]
                for name, values in request.form.items()
            },
            headers=headers,
            url=self.redact_url(request.url),
            method=self.redact_text(request.method),
        )

    def redact_response(self, response: Response) -> Response:
        """A redacted copy of ``response``."""
        body, headers, content_length = self._redact_message(
            response.body, response.headers, response.content_length, response.header("Content-Type")
        )
        return dataclasses.replace(
            response,
            transfer_encoding=[self.redact_text(v) for v in response.transfer_encoding],
            trailer=self.redact_headers(response.trailer),
            content_length=content_length,
            body=body,
            headers=headers,
            status=self.redact_text(response.status),
        )

    def redact_interaction(self, interaction: Interaction) -> Interaction:
        """A redacted copy of ``interaction``."""
        return Interaction(
            request=self.redact_request(interaction.request),
            response=self.redact_response(interaction.response),
            id=interaction.id,
        )

    def redact_cassette(self, cassette: Cassette) -> Cassette:
        """A redacted copy of ``cassette`` (extra top-level keys included)."""
        return Cassette(
            interactions=[self.redact_interaction(i) for i in cassette.interactions],
            version=cassette.version,
            extra=self._redact_value(cassette.extra),
        )

    def _redact_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, bytes):
            return self.redact_body(value)
        if isinstance(value, Mapping):
            return {self._redact_value(k): self._redact_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._redact_value(v) for v in value)
        return value

    # -- scanning --

    def scan_text(self, text: str, *, source: str | None = None) -> list[Finding]:
        """Every secret in ``text`` (a cassette or any text file), by line, with masked excerpts.

        When ``text`` is a cassette, findings also name the interaction and field, and the structural rules
        run too (sensitive headers, query parameters, JSON fields, ``!!binary`` bodies decoded).
        """
        return _Scan(self, text, source).run()

    def assert_clean(self, text: str, path: str | Path | None = None) -> None:
        """Raise :class:`SecretFoundError` when ``text`` (about to be written to ``path``) holds a secret."""
        findings = self.scan_text(text, source=str(path) if path is not None else None)
        if findings:
            raise SecretFoundError(_refusal_message(findings, path))


def _adjusted_length(recorded: int, old: Body, new: Body) -> int:
    old_length = len(old.encode("utf-8") if isinstance(old, str) else old)
    if recorded != old_length:
        return recorded  # -1 (streamed) or not the body's length: leave it as recorded
    return len(new.encode("utf-8") if isinstance(new, str) else new)


def _adjust_content_length_header(headers: Headers, old: Body, new: Body) -> None:
    old_length = str(len(old.encode("utf-8") if isinstance(old, str) else old))
    new_length = str(len(new.encode("utf-8") if isinstance(new, str) else new))
    for name, values in headers.items():
        if name.lower() == "content-length":
            headers[name] = [new_length if v == old_length else v for v in values]


def _refusal_message(findings: Sequence[Finding], path: str | Path | None) -> str:
    target = str(path) if path is not None else "the cassette"
    count = f"{len(findings)} secret{'s' if len(findings) != 1 else ''}"
    lines = [f"Refusing to write {target}: it still holds {count}, so nothing was written."]
    for finding in findings[:20]:
        where = f", {finding.where}" if finding.where else ""
        lines.append(f"  line {finding.line}{where}: rule {finding.rule}: {finding.excerpt}")
    if len(findings) > 20:
        lines.append(f"  … and {len(findings) - 20} more")
    lines.append(
        "Something put the secret back after redaction (a before-save hook or custom serializer), or no rule "
        "covers it: remove it there, or add a rule under [tool.groq-vcr.redact] (headers, json-fields, "
        "query-params, patterns)."
    )
    return "\n".join(lines)


# --- scanning raw text (with the cassette structure when there is one) ---------------------------------


@dataclass
class _Located:
    """A scalar of a composed cassette: where it is in the text and in the model."""

    node: yaml.ScalarNode
    interaction: int
    field: str
    kind: str  # "text" | "header" | "url" | "body" | "form"
    header: str = ""
    content_type: str | None = None


_BINARY_TAG = "tag:yaml.org,2002:binary"


def _mapping_get(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
                return v
    return None


def _content_type_of(message: yaml.Node) -> str | None:
    headers = _mapping_get(message, "headers")
    if not isinstance(headers, yaml.MappingNode):
        return None
    for k, v in headers.value:
        if isinstance(k, yaml.ScalarNode) and k.value.lower() == "content-type":
            if isinstance(v, yaml.SequenceNode) and v.value and isinstance(v.value[0], yaml.ScalarNode):
                return str(v.value[0].value)
            if isinstance(v, yaml.ScalarNode):
                return str(v.value)
    return None


def _collect(
    node: yaml.Node, interaction: int, path: str, out: list[_Located], content_type: str | None = None
) -> None:
    """Every scalar under an interaction node, with its model field path and the rules that apply."""
    if isinstance(node, yaml.ScalarNode):
        out.append(_Located(node, interaction, path, "text"))
        return
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect(item, interaction, f"{path}[{index}]", out, content_type)
        return
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value in node.value:
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
        child = f"{path}.{key}" if path else key
        if isinstance(key_node, yaml.ScalarNode):
            out.append(_Located(key_node, interaction, f"{child} (key)", "text"))
        if key in ("headers", "trailer") and isinstance(value, yaml.MappingNode):
            for name_node, values in value.value:
                if not isinstance(name_node, yaml.ScalarNode):
                    continue
                name = str(name_node.value)
                out.append(_Located(name_node, interaction, f"{child}.{name} (name)", "text"))
                items = values.value if isinstance(values, yaml.SequenceNode) else [values]
                for index, item in enumerate(items):
                    if isinstance(item, yaml.ScalarNode):
                        suffix = f"[{index}]" if isinstance(values, yaml.SequenceNode) else ""
                        out.append(_Located(item, interaction, f"{child}.{name}{suffix}", "header", header=name))
        elif key in ("url", "uri", "request_uri") and isinstance(value, yaml.ScalarNode):
            out.append(_Located(value, interaction, child, "url"))
        elif key == "body" and isinstance(value, yaml.ScalarNode):
            out.append(_Located(value, interaction, child, "body", content_type=_content_type_of(node)))
        elif (
            key == "body"
            and isinstance(value, yaml.MappingNode)
            and isinstance(_mapping_get(value, "string"), yaml.ScalarNode)
        ):
            # vcrpy v1: body: {string: ...}
            inner = _mapping_get(value, "string")
            assert isinstance(inner, yaml.ScalarNode)
            out.append(_Located(inner, interaction, f"{child}.string", "body", content_type=_content_type_of(node)))
        elif key == "form" and isinstance(value, yaml.MappingNode):
            for name_node, values in value.value:
                if isinstance(name_node, yaml.ScalarNode):
                    out.append(_Located(name_node, interaction, f"{child}.{name_node.value} (name)", "text"))
                    items = values.value if isinstance(values, yaml.SequenceNode) else [values]
                    for index, item in enumerate(items):
                        if isinstance(item, yaml.ScalarNode):
                            out.append(
                                _Located(
                                    item,
                                    interaction,
                                    f"{child}.{name_node.value}[{index}]",
                                    "form",
                                    header=str(name_node.value),
                                )
                            )
        else:
            _collect(value, interaction, child, out, content_type)


class _Scan:
    def __init__(self, redactor: Redactor, text: str, source: str | None) -> None:
        self.redactor = redactor
        self.text = text
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.located: list[_Located] = []
        self.located_starts: list[int] = []

    def _compose(self) -> None:
        head = self.text[:4096]
        if "interactions" not in self.text:
            return
        if not (head.lstrip().startswith(("---", "version", "{", "interactions", "#")) or "\ninteractions:" in head):
            return
        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            root = yaml.compose(self.text, Loader=loader)
        except yaml.YAMLError:
            return
        interactions = _mapping_get(root, "interactions") if root is not None else None
        if not isinstance(interactions, yaml.SequenceNode):
            return
        for index, item in enumerate(interactions.value):
            _collect(item, index, "", self.located)
        self.located.sort(key=lambda loc: loc.node.start_mark.index)
        self.located_starts = [loc.node.start_mark.index for loc in self.located]

    def _locate(self, offset: int) -> _Located | None:
        index = bisect.bisect_right(self.located_starts, offset) - 1
        if index >= 0:
            loc = self.located[index]
            if offset < loc.node.end_mark.index:
                return loc
        return None

    def _position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def run(self) -> list[Finding]:
        self._compose()
        raw: list[tuple[int, int, str]] = [
            (s.start, s.end, s.rule) for s in _merge(self.redactor._text_spans(self.text))
        ]
        findings: list[Finding] = []
        for start, end, rule in raw:
            line, column = self._position(start)
            loc = self._locate(start)
            findings.append(
                Finding(
                    rule=rule,
                    line=line,
                    column=column,
                    excerpt=self._excerpt(self.text, start, end, raw),
                    source=self.source,
                    interaction=loc.interaction if loc else None,
                    field=loc.field if loc else None,
                )
            )
        covered = {(s, e) for s, e, _ in raw}
        for loc in self.located:
            findings.extend(self._structural(loc, raw, covered))
        findings.sort(key=lambda f: (f.line, f.column, f.rule))
        return findings

    def _structural(
        self, loc: _Located, raw: list[tuple[int, int, str]], covered: set[tuple[int, int]]
    ) -> list[Finding]:
        node = loc.node
        value = str(node.value)
        redactor = self.redactor
        binary = node.tag == _BINARY_TAG
        if binary:
            try:
                value = base64.b64decode("".join(value.split()), validate=True).decode("latin-1")
            except (binascii.Error, ValueError):
                return []
        if loc.kind == "header":
            spans = redactor._header_spans(loc.header, value)
        elif loc.kind == "url":
            spans = redactor._url_spans(value)
        elif loc.kind == "body":
            spans = redactor._body_spans(value, loc.content_type)
        elif loc.kind == "form" and loc.header.lower() in redactor._form_names and value and not is_placeholder(value):
            spans = [_Span(0, len(value), f"form-field {loc.header}", PLACEHOLDER)]
        else:
            spans = []
        if binary:
            spans.extend(redactor._text_spans(value))  # the raw pass cannot see inside base64
        findings = []
        merged = _merge(spans)
        for span in merged:
            secret = value[span.start : span.end]
            line, column, offset = self._find_in_text(node, secret)
            if offset is not None and any(s <= offset < e for s, e, _ in raw):
                continue  # the raw pass already reported it
            if offset is not None:
                excerpt = self._excerpt(
                    self.text, offset, offset + len(secret), [*raw, (offset, offset + len(secret), span.rule)]
                )
            else:
                shown = "".join(c if c.isprintable() else "." for c in value)
                excerpt = self._excerpt(shown, span.start, span.end, [(s.start, s.end, s.rule) for s in merged])
            findings.append(
                Finding(
                    rule=span.rule,
                    line=line,
                    column=column,
                    excerpt=excerpt,
                    source=self.source,
                    interaction=loc.interaction,
                    field=loc.field,
                )
            )
        return findings

    def _find_in_text(self, node: yaml.ScalarNode, secret: str) -> tuple[int, int, int | None]:
        """Where ``secret`` (from the scalar's value) is in the raw text; the scalar's start when not found."""
        if node.tag != _BINARY_TAG and secret:
            offset = self.text.find(secret, node.start_mark.index, node.end_mark.index)
            if offset >= 0:
                line, column = self._position(offset)
                return line, column, offset
        return node.start_mark.line + 1, node.start_mark.column + 1, None

    @staticmethod
    def _excerpt(text: str, start: int, end: int, spans: Iterable[tuple[int, int, str]], width: int = 30) -> str:
        """The line around ``text[start:end]`` with every secret on it masked."""
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        pieces: list[str] = []
        pos = line_start
        target = 0
        for s, e, _ in sorted({(s, e, r) for s, e, r in spans if s < line_end and e > line_start}):
            s, e = max(s, line_start), min(e, line_end)
            if s < pos:
                continue
            pieces.append(text[pos:s])
            if s == start:
                target = sum(len(p) for p in pieces)
            pieces.append(mask_secret(text[s:e]))
            pos = e
        pieces.append(text[pos:line_end])
        masked = "".join(pieces)
        left = max(0, target - width)
        right = min(len(masked), target + len(mask_secret(text[start:end])) + width)
        excerpt = masked[left:right].strip()
        return ("…" if left > 0 else "") + excerpt + ("…" if right < len(masked) else "")


# --- module-level shortcuts -----------------------------------------------------------------------------

_DEFAULT = Redactor()


def redact_text(text: str, rules: RedactionRules | None = None) -> str:
    """``text`` redacted by the built-in rules (plus ``rules``)."""
    return (Redactor(rules) if rules else _DEFAULT).redact_text(text)


def redact_cassette(cassette: Cassette, rules: RedactionRules | None = None) -> Cassette:
    """A redacted copy of ``cassette`` by the built-in rules (plus ``rules``)."""
    return (Redactor(rules) if rules else _DEFAULT).redact_cassette(cassette)


def scan_text(text: str, *, source: str | None = None, rules: RedactionRules | None = None) -> list[Finding]:
    """Every secret in ``text`` by the built-in rules (plus ``rules``); see :meth:`Redactor.scan_text`."""
    return (Redactor(rules) if rules else _DEFAULT).scan_text(text, source=source)


def assert_clean(text: str, path: str | Path | None = None, *, rules: RedactionRules | None = None) -> None:
    """Raise :class:`SecretFoundError` naming interaction, field and rule when ``text`` holds a secret."""
    (Redactor(rules) if rules else _DEFAULT).assert_clean(text, path)


check_text = assert_clean
"""The name the storage layer calls before writing: ``check_text(text, path)``."""
