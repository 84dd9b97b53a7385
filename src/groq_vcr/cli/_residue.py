"""Secrets the text scan cannot see but redaction removes: compressed, escaped, split or learnt by value.

``groq-vcr scan`` reads text; ``groq-vcr redact --check`` redacts the decoded model (bodies decompressed, JSON
escapes decoded, SSE streams reassembled, credentials followed by value). So that both agree on every file, a
file the text scan finds clean is redacted in memory too, and every field redaction would change becomes a
finding, placed at its interaction's line and masked like every other finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from groq_vcr._content_coding import content_codings, decode_body
from groq_vcr.cassette import VCRPY, Cassette, Request, Response, cassette_kind, load_any, parse_cassette
from groq_vcr.errors import GroqVcrError
from groq_vcr.redaction import Finding, Redactor
from groq_vcr.redaction._scan import ModelHit, hit_findings

__all__ = ["residue_findings"]

_RULE = "redaction"
_CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")
_DERIVED_HEADERS = frozenset({"content-encoding", "content-length"})
"""Headers redaction rewrites because it stored a body decoded, not because they hold a secret."""


def residue_findings(redactor: Redactor, path: Path, text: str) -> list[Finding]:
    """Findings for what redaction would still remove from ``path`` (whose text is ``text``)."""
    cassette = _as_cassette(path, text)
    if cassette is not None:
        redacted = redactor.redact_cassette(cassette)
        if redacted == cassette:
            return []
        hits = list(_changed_fields(cassette, redacted))
        return [_masked(finding) for finding in hit_findings(hits, text, str(path))]
    redacted_text = (
        redactor.redact_body(text, "application/json") if path.suffix.lower() == ".json" else redactor.redact_text(text)
    )
    if redacted_text == text:
        return []
    assert isinstance(redacted_text, str)
    offset = next((i for i, (a, b) in enumerate(zip(text, redacted_text, strict=False)) if a != b), 0)
    line = text.count("\n", 0, offset) + 1
    return [Finding(_RULE, line, 1, "(escaped or encoded in the text)", str(path))]


def _as_cassette(path: Path, text: str) -> Cassette | None:
    if path.suffix.lower() not in _CASSETTE_SUFFIXES or "interactions" not in text:
        return None
    try:
        if cassette_kind(path) == VCRPY:
            return load_any(path)
        return parse_cassette(text, path)
    except (GroqVcrError, ValueError):
        return None  # not a cassette groq-vcr reads: `check` reports it; the text scan still ran


def _changed_fields(before: Cassette, after: Cassette) -> Iterator[ModelHit]:
    for index, (old, new) in enumerate(zip(before.interactions, after.interactions, strict=True)):
        yield from _message_changes(old.request, new.request, "request", index)
        yield from _message_changes(old.response, new.response, "response", index)
    if before.extra != after.extra:
        yield ModelHit(None, "top level", _RULE)


def _message_changes(old: Request | Response, new: Request | Response, side: str, index: int) -> Iterator[ModelHit]:
    for name, values in old.headers.items():
        if new.headers.get(name) != values and name.lower() not in _DERIVED_HEADERS:
            yield ModelHit(index, f"{side}.headers.{name}", _RULE)
    if isinstance(old, Request) and isinstance(new, Request):
        if old.url != new.url:
            yield ModelHit(index, f"{side}.url", _RULE)
        if old.form != new.form:
            yield ModelHit(index, f"{side}.form", _RULE)
    if _decoded(old) != new.body_bytes:
        yield ModelHit(index, f"{side}.body", _RULE)


def _decoded(message: Request | Response) -> bytes:
    """The body as redaction sees it: its content-coding undone (redaction stores compressed bodies decoded)."""
    codings = content_codings(message.headers)
    if not codings or not message.body:
        return message.body_bytes
    try:
        return decode_body(codings, message.body_bytes)
    except GroqVcrError:
        return message.body_bytes


def _masked(finding: Finding) -> Finding:
    return Finding(
        finding.rule,
        finding.line,
        finding.column,
        "(compressed, escaped, split or encoded: redact removes it)",
        finding.source,
        finding.interaction,
        finding.field,
    )
