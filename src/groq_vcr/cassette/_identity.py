"""Request normalisation for matching, and explanations of why two requests differ.

A request's *key* is (method, normalised URL, canonical body digest):

- the URL keeps scheme, host, port and path; the query is compared as a sorted multiset;
- a JSON body is compared parsed (key order and whitespace ignored);
- a multipart body by its fields, file names and file bytes (the boundary is ignored);
- a form body by its sorted fields; anything else byte for byte.

Headers never take part: the ones that identify a request do not vary (content type is implied by the
body), and the ones that vary per run (auth, cookies, ``User-Agent``, ``X-Stainless-*``) must not.
Secrets are masked by the same :func:`mask_secrets` the redactor applies before saving, so a live request
carrying a real key matches the recorded one that carries the placeholder.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from groq_vcr._groq_api import GROQ_KEY_PLACEHOLDER, GROQ_KEY_RE
from groq_vcr.cassette._multipart import parse_multipart

_GROQ_KEY_BYTES = re.compile(GROQ_KEY_RE.pattern.encode("ascii"))

Masker = Callable[[str, bytes, str], tuple[str, bytes]]
"""``(url, body, content_type) -> (url, body)`` with secrets replaced the way the redactor writes them."""


def mask_secrets(url: str, body: bytes, content_type: str) -> tuple[str, bytes]:
    """The cheapest masker: replace Groq keys in the URL and body by the placeholder the redactor writes."""
    if "gsk" in url:
        url = GROQ_KEY_RE.sub(GROQ_KEY_PLACEHOLDER, url)
    if b"gsk" in body:
        body = _GROQ_KEY_BYTES.sub(GROQ_KEY_PLACEHOLDER.encode(), body)
    return url, body


def normalise_url(url: str) -> str:
    """Scheme, host, port and path as given; query parameters sorted."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    netloc = parts.netloc.lower()
    default_port = {"http": ":80", "https": ":443"}.get(parts.scheme)
    if default_port and netloc.endswith(default_port):
        netloc = netloc[: -len(default_port)]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


def _content_type(headers: Any) -> str:
    value = ""
    if isinstance(headers, dict):
        for name, values in headers.items():
            if name.lower() == "content-type":
                value = values[0] if isinstance(values, list) and values else str(values)
                break
    elif headers is not None:
        value = headers.get("content-type") or ""
    return str(value)


def _multipart_fields(body: bytes, content_type: str) -> list[tuple[str, str, str]] | None:
    parts = parse_multipart(body, content_type)
    if parts is None:
        return None
    return sorted(
        (part.name or "", part.filename or "", hashlib.sha256(body[part.start : part.end]).hexdigest())
        for part in parts
    )


def canonical_body(body: bytes, content_type: str) -> Any:
    """A comparable form of a body: parsed JSON, multipart fields, sorted form pairs, or masked bytes."""
    if not body:
        return None
    media = content_type.split(";")[0].strip().lower()
    if media.startswith("multipart/"):
        fields = _multipart_fields(body, content_type)
        if fields is not None:
            return {"multipart": fields}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {"bytes": hashlib.sha256(body).hexdigest()}
    if media == "application/x-www-form-urlencoded":
        return {"form": sorted(parse_qsl(text, keep_blank_values=True))}
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            pass
    return text


def body_digest(canonical: Any) -> str:
    """A stable digest of a canonical body."""
    if canonical is None:
        return ""
    blob = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RequestKey:
    """What identifies a request for replay."""

    method: str
    url: str
    body: str

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


class Probe:
    """A request as matching sees it. The URL is normalised at once; the body is masked and canonicalised
    only when the raw bytes alone cannot decide (see :meth:`groq_vcr.replay.Player.play`)."""

    def __init__(self, method: str, url: str, raw_url: str, raw_body: bytes, content_type: str, mask: Masker) -> None:
        self.method = method
        self.url = url
        self.raw_url = raw_url
        self.raw_body = raw_body
        self._content_type = content_type
        self._mask = mask

    @functools.cached_property
    def body(self) -> Any:
        """The canonical (masked, parsed) body."""
        _, masked = self._mask("", self.raw_body, self._content_type)
        return canonical_body(masked, self._content_type)

    @functools.cached_property
    def key(self) -> RequestKey:
        """The request's matching key (computed once)."""
        return RequestKey(self.method, self.url, body_digest(self.body))


def probe(method: str, url: str, body: bytes, headers: Any, mask: Masker = mask_secrets) -> Probe:
    """Normalise one request for matching (secrets masked first, so recorded and live sides agree)."""
    masked_url, _ = mask(url, b"", "")
    return Probe(method.upper(), normalise_url(masked_url), url, body, _content_type(headers), mask)
