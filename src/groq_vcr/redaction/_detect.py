"""Finding secrets: where in a string, header, URL or body each one is, as spans to replace.

One set of detectors serves redaction and the scan, so what the scan flags is exactly what redaction removes:

* **text rules** run over every string (URL, header names and values, bodies, YAML lines): Groq keys
  (``gsk_`` + 52 letters/digits) anywhere, ``Authorization:``/``api-key:``/``Cookie:`` lines in text,
  random-looking ``Bearer`` tokens, Cloudflare cookies (``__cf_bm=…``), passwords in URLs, user patterns;
* **structural rules** need to know where a string sits: sensitive headers (any value but a placeholder is a
  secret), query parameters, JSON fields/paths, form and multipart fields.

JSON, multipart and form bodies are searched where they are (JSON through a position-keeping walker), so
redaction edits them in place and never re-serialises them.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from json import decoder as _json_decoder
from urllib.parse import unquote_plus

from groq_vcr._groq_api import GROQ_KEY_PLACEHOLDER, GROQ_KEY_RE, KEY_PREFIX
from groq_vcr.cassette import parse_multipart
from groq_vcr.redaction._known import KnownSecrets, basic_credentials
from groq_vcr.redaction._rules import (
    BUILTIN_HEADERS,
    BUILTIN_QUERY_PARAMS,
    PLACEHOLDER,
    JsonPath,
    RedactionRules,
    is_json_path,
    is_placeholder,
    parse_json_path,
)
from groq_vcr.redaction._stream import split_secret_spans

__all__ = ["Detector", "Span", "apply_spans", "merge_spans"]

# --- patterns -------------------------------------------------------------------------------------------

_TOKEN = r"[A-Za-z0-9._~+/=-]+"
_BEARER_RE = re.compile(rf"(?i)(?<![A-Za-z0-9])bearer[ \t]+({_TOKEN})")
_AUTH_TEXT_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9-])(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
    rf"(?:[A-Za-z][A-Za-z0-9-]*[ \t]+)?({_TOKEN})"
)
_API_KEY_TEXT_RE = re.compile(rf"(?i)api[-_]?key[\"']?[ \t]*[:=][ \t]*[\"']?({_TOKEN})")
_COOKIE_TEXT_RE = re.compile(r"(?i)(?<![A-Za-z0-9-])(set-)?cookie[\"']?[ \t]*:[ \t]*")
_CLOUDFLARE_COOKIE_RE = re.compile(
    r"(?<![A-Za-z0-9])(__cf_bm|cf_clearance|__cflb|_cfuvid|__cfruid|__cfwaitingroom)=([^;\s\"',\\]+)"
)
_URL_PASSWORD_RE = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^/\s@:]+:([^/\s@]+)@")
_AUTH_VALUE_RE = re.compile(r"([A-Za-z][A-Za-z0-9._-]*)[ \t]+(\S.*)$", re.DOTALL)

_TEXT_GATES = ("gsk", "key", "bearer", "authorization", "cookie", "_cf", "cf_", "://")
"""Every text rule's match contains one of these (the literal gates below, case-folded): a string with none of
them is rejected at once."""
_KEY_GATE = KEY_PREFIX.rstrip("_")
"""A cheap literal test before the key pattern: a key starts with it, whether its ``_`` is URL-encoded or not."""

_AUTH_HEADERS = frozenset({"authorization", "proxy-authorization"})


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


# --- spans ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` is a secret found by ``rule``; it becomes ``replacement``."""

    start: int
    end: int
    rule: str
    replacement: str
    priority: int = 1


def merge_spans(spans: list[Span]) -> list[Span]:
    """Sorted, non-overlapping spans; on overlap the earliest, longest, highest-priority span wins."""
    spans.sort(key=lambda s: (s.start, -s.end, s.priority))
    merged: list[Span] = []
    for span in spans:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if span.end > last.end:
                merged[-1] = dataclasses.replace(last, end=span.end)
            continue
        merged.append(span)
    return merged


def apply_spans(text: str, spans: list[Span]) -> str:
    """``text`` with every span replaced."""
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for span in merge_spans(spans):
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


_TEXT_VALUE_STOPS = frozenset(";\"',\\ \t\r\n")
_HEADER_VALUE_STOPS = frozenset(";\r\n")


def cookie_pairs(text: str, pos: int, *, first_only: bool, in_header: bool) -> list[tuple[int, int]]:
    """Where each cookie value is in ``text`` from ``pos`` (a ``Cookie`` list, or a ``Set-Cookie``'s first pair).

    A real parser rather than a pattern: quoted values (``q="a b"``, the quotes kept), names such as
    ``user[token]``, values with commas, and every cookie after a quoted one. In free text (``in_header`` false)
    an unquoted value also ends at a blank or a quote, as a header line quoted in a body does.
    """
    stops = _HEADER_VALUE_STOPS if in_header else _TEXT_VALUE_STOPS
    out: list[tuple[int, int]] = []
    size = len(text)
    while pos < size:
        while pos < size and text[pos] in " \t":
            pos += 1
        equals = pos
        while equals < size and text[equals] not in "=;\r\n" and (in_header or text[equals] not in " \t\"'\\"):
            equals += 1
        if equals == pos or equals >= size or text[equals] != "=":
            break
        start = equals + 1
        if start < size and text[start] == '"':
            close = text.find('"', start + 1)
            line_end = min((i for i in (text.find("\n", start), text.find("\r", start)) if i >= 0), default=size)
            end = close if 0 <= close < line_end else line_end
            value = (start + 1, end)
            end = end + 1 if end == close else end
        else:
            end = start
            while end < size and text[end] not in stops:
                end += 1
            stripped = end
            while stripped > start and text[stripped - 1] in " \t":
                stripped -= 1
            value = (start, stripped)
        out.append(value)
        if first_only:
            break
        while end < size and text[end] in " \t":
            end += 1
        if end >= size or text[end] != ";":
            break
        pos = end + 1
    return out


def _cookie_pair_spans(text: str, pos: int, rule: str, *, first_only: bool, in_header: bool = False) -> list[Span]:
    spans: list[Span] = []
    for start, end in cookie_pairs(text, pos, first_only=first_only, in_header=in_header):
        value = text[start:end]
        if value and not is_placeholder(value):
            spans.append(Span(start, end, rule, PLACEHOLDER))
    return spans


# --- the detectors -------------------------------------------------------------------------------------


class Detector:
    """The built-in rules plus ``rules``, compiled: the spans of every secret in text, headers, URLs, bodies."""

    def __init__(self, rules: RedactionRules) -> None:
        self.headers = frozenset(BUILTIN_HEADERS) | {h.lower() for h in rules.headers}
        self.query_params = frozenset(BUILTIN_QUERY_PARAMS) | {q.lower() for q in rules.query_params}
        self.field_names = frozenset(f for f in rules.json_fields if not is_json_path(f))
        self.field_paths = tuple((rule, parse_json_path(rule)) for rule in rules.json_fields if is_json_path(rule))
        self.form_names = frozenset(n.lower() for n in self.field_names) | self.query_params
        self.patterns = tuple((p, re.compile(p)) for p in rules.patterns)
        self.known = KnownSecrets()
        """Credential values seen in requests (and cookies a server set): secrets wherever else they appear."""

    def text_spans(self, text: str) -> list[Span]:
        """Spans of the text rules: Groq keys, auth and cookie lines, bearer tokens, URL passwords, patterns."""
        spans: list[Span] = [
            Span(start, end, "known-secret", _secret_replacement(secret), 1)
            for start, end, secret in self.known.find(text)
        ]
        low = text.lower()  # cheap literal gates: the case-insensitive regexes are slow on megabyte bodies
        if not self.patterns and not any(gate in low for gate in _TEXT_GATES):
            return spans  # most strings (header values, most bodies) hold no word any text rule needs
        if _KEY_GATE in text:
            spans.extend(
                Span(m.start(), m.end(), "groq-api-key", GROQ_KEY_PLACEHOLDER, 0) for m in GROQ_KEY_RE.finditer(text)
            )
        if "bearer" in low:
            for m in _BEARER_RE.finditer(text):
                if _looks_random(m.group(1)):
                    spans.append(Span(m.start(1), m.end(1), "bearer-token", _secret_replacement(m.group(1)), 2))
        for regex, rule, gate in (
            (_AUTH_TEXT_RE, "authorization-header", "authorization"),
            (_API_KEY_TEXT_RE, "api-key", "key"),
        ):
            if gate in low:
                for m in regex.finditer(text):
                    if _looks_random(m.group(1)):
                        spans.append(Span(m.start(1), m.end(1), rule, _secret_replacement(m.group(1))))
        if "cookie" in low:
            for m in _COOKIE_TEXT_RE.finditer(text):
                rule = "set-cookie" if m.group(1) else "cookie"
                spans.extend(_cookie_pair_spans(text, m.end(), rule, first_only=bool(m.group(1))))
        if "_cf" in text or "cf_" in text:
            for m in _CLOUDFLARE_COOKIE_RE.finditer(text):
                if not is_placeholder(m.group(2)):
                    spans.append(Span(m.start(2), m.end(2), "cloudflare-cookie", PLACEHOLDER))
        if "://" in text:
            for m in _URL_PASSWORD_RE.finditer(text):
                if not is_placeholder(m.group(1)):
                    spans.append(Span(m.start(1), m.end(1), "url-password", PLACEHOLDER))
        for source, regex in self.patterns:
            for m in regex.finditer(text):
                group: int | str = 0
                if "secret" in regex.groupindex:
                    group = "secret"
                elif regex.groups == 1:
                    group = 1
                start, end = m.span(group)
                if start < end and not is_placeholder(m.group(group)):
                    spans.append(Span(start, end, f"pattern /{source}/", PLACEHOLDER))
        return spans

    def learn(self, headers: Mapping[str, list[str]], url: str = "") -> bool:
        """Remember every credential value in ``headers`` and ``url`` as a known secret; whether any was new.

        Sensitive headers of any scheme (a ``Basic`` token also decoded), every cookie value, and the secret
        query parameters.
        """
        new = False
        for name, values in headers.items():
            lowered = name.lower()
            if lowered not in self.headers:
                continue
            for value in values:
                if lowered in ("cookie", "set-cookie"):
                    pairs = cookie_pairs(value, 0, first_only=lowered == "set-cookie", in_header=True)
                    for start, end in pairs:
                        new |= self.known.learn(value[start:end])
                    continue
                token = value.strip()
                if lowered in _AUTH_HEADERS:
                    scheme = _AUTH_VALUE_RE.match(token)
                    if scheme is not None:
                        token = scheme.group(2).strip()
                        if scheme.group(1).lower() == "basic":
                            for secret in basic_credentials(token):
                                new |= self.known.learn(secret)
                new |= self.known.learn(token)
        query_start = url.find("?")
        if query_start >= 0:
            for m in re.finditer(r"([^&;=#]*)=([^&;#]*)", url[query_start + 1 :]):
                if unquote_plus(m.group(1)).lower() in self.query_params:
                    new |= self.known.learn(unquote_plus(m.group(2)))
        return new

    def header_spans(self, name: str, value: str) -> list[Span]:
        """Structural spans of a header value (only for sensitive headers)."""
        lowered = name.lower()
        if lowered not in self.headers or not value.strip():
            return []
        if lowered in ("cookie", "set-cookie"):
            spans = _cookie_pair_spans(value, 0, lowered, first_only=lowered == "set-cookie", in_header=True)
            if spans or "=" in value or is_placeholder(value.strip()):
                return spans
            return [Span(0, len(value), lowered, PLACEHOLDER)]
        start = 0
        if lowered in _AUTH_HEADERS:
            scheme = _AUTH_VALUE_RE.match(value)
            if scheme is not None:
                start = scheme.start(2)
        secret = value[start:].rstrip()
        if is_placeholder(secret):
            return []
        rule = "authorization-header" if lowered in _AUTH_HEADERS else f"header {name}"
        return [Span(start, start + len(secret), rule, _secret_replacement(secret), 0)]

    def _query_spans(self, query: str, offset: int, names: frozenset[str], rule: str) -> list[Span]:
        spans: list[Span] = []
        for m in re.finditer(r"([^&;=]*)=([^&;#]*)", query):
            name = unquote_plus(m.group(1)).lower()
            value = m.group(2)
            if name in names and value and not is_placeholder(unquote_plus(value)):
                spans.append(Span(offset + m.start(2), offset + m.end(2), f"{rule} {name}", PLACEHOLDER))
        return spans

    def url_spans(self, url: str) -> list[Span]:
        """Spans of secret query parameters."""
        query_start = url.find("?")
        if query_start < 0:
            return []
        fragment = url.find("#", query_start)
        query = url[query_start + 1 : fragment if fragment >= 0 else len(url)]
        return self._query_spans(query, query_start + 1, self.query_params, "query-param")

    def _json_field_matches(self, path: JsonPath) -> str | None:
        if path and isinstance(path[-1], str) and path[-1] in self.field_names:
            return path[-1]
        for rule, pattern in self.field_paths:
            if len(pattern) == len(path) and all(p == "*" or p == q for p, q in zip(pattern, path, strict=True)):
                return rule
        return None

    def _json_spans(self, text: str, offset: int = 0) -> list[Span]:
        escaped = "\\u" in text  # a secret may be spelled (wholly or partly) in \uXXXX escapes
        if not self.field_names and not self.field_paths and not escaped:
            return []
        spans: list[Span] = []

        def visit(path: JsonPath, start: int, end: int) -> None:
            if escaped and text[start] == '"' and "\\u" in text[start:end]:
                decoded = json.loads(text[start:end])
                found = self.text_spans(decoded)
                if found:
                    redacted = json.dumps(apply_spans(decoded, found), ensure_ascii=False)
                    spans.append(Span(offset + start, offset + end, found[0].rule, redacted))
                    return
            rule = self._json_field_matches(path)
            if rule is None:
                return
            raw = text[start:end]
            if raw.startswith('"') and is_placeholder(raw[1:-1]):
                return
            spans.append(Span(offset + start, offset + end, f"json-field {rule}", f'"{PLACEHOLDER}"'))

        try:
            end = _walk_json(text, 0, (), visit)
        except (ValueError, IndexError, RecursionError):
            return []
        if text[end:].strip():
            return []
        return spans

    def _split_secret_finds(self, joined: str) -> list[tuple[int, int, str]]:
        return [(s.start, s.end, s.replacement) for s in merge_spans(self.text_spans(joined))]

    def _sse_spans(self, text: str) -> list[Span]:
        spans: list[Span] = [
            Span(start, end, "split-secret", payload, 0)
            for start, end, payload in split_secret_spans(text, self._split_secret_finds)
        ]
        if not self.field_names and not self.field_paths and "\\u" not in text:
            return spans
        for m in re.finditer(r"(?m)^data:[ ]?(.*?)\r?$", text):
            payload = m.group(1)
            if payload[:1] in ("{", "["):
                spans.extend(self._json_spans(payload, m.start(1)))
        return spans

    def _multipart_spans(self, text: str, content_type: str) -> list[Span]:
        spans: list[Span] = []
        for part in parse_multipart(text, content_type) or ():
            if part.name is None or part.name.lower() not in self.form_names:
                continue
            content = text[part.start : part.end]
            if content and not is_placeholder(content):
                spans.append(Span(part.start, part.end, f"form-field {part.name}", PLACEHOLDER))
        return spans

    def body_spans(self, text: str, content_type: str | None) -> list[Span]:
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
            return self._query_spans(text, 0, self.form_names, "form-field")
        if media.startswith("multipart/"):
            return self._multipart_spans(text, content_type or "")
        return []

    def form_value_spans(self, name: str, value: str) -> list[Span]:
        """The whole ``value`` of a parsed form field when field ``name`` is a secret."""
        if name.lower() in self.form_names and value and not is_placeholder(value):
            return [Span(0, len(value), f"form-field {name}", PLACEHOLDER)]
        return []
