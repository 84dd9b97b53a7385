"""One request identity: what makes two requests the same request, for replay and for pairing recordings.

A request's *key* (:class:`RequestKey`) is (method, origin, target, canonical body digest):

- the origin is scheme, host and port (lower-cased, default port dropped); the target is the path and the
  query, compared as a sorted multiset;
- a JSON body is compared parsed (key order and whitespace ignored);
- a multipart body by its fields, file names and file bytes (the boundary is ignored);
- a form body by its sorted fields; anything else byte for byte.

Headers take no part by default: the ones that identify a request do not vary (content type is implied by the
body), and the ones that vary per run (auth, cookies, ``User-Agent``, ``X-Stainless-*``) must not. A user may
name headers of their own (``match_headers``) whose values tell otherwise identical requests apart: they become
the key's ``tag``.
Secrets are masked by the same :func:`mask_secrets` the redactor applies before saving, so a live request
carrying a real key matches the recorded one that carries the placeholder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from groq_vcr._content_coding import UndecodableBody, content_codings, decode_body
from groq_vcr._groq_api import GROQ_KEY_PLACEHOLDER, GROQ_KEY_RE
from groq_vcr.cassette._model import Request
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


def _origin_and_target(url: str) -> tuple[str, str]:
    """``("https://api.groq.com", "/openai/v1/files?a=1&b=2")``: the normalised origin and target of ``url``."""
    parts = urlsplit(url)
    netloc = parts.netloc.lower()
    default_port = {"http": ":80", "https": ":443"}.get(parts.scheme)
    if default_port and netloc.endswith(default_port):
        netloc = netloc[: -len(default_port)]
    origin = urlunsplit((parts.scheme.lower(), netloc, "", "", ""))
    path = parts.path or "/"
    if "//" in origin and not path.startswith("/"):  # as urlunsplit joins them
        path = "/" + path
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return origin, path + (f"?{query}" if query else "")


def normalise_url(url: str) -> str:
    """Scheme, host, port and path as given (scheme and host lower-cased, default port dropped); query sorted."""
    origin, target = _origin_and_target(url)
    return origin + target


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


@dataclasses.dataclass(frozen=True)
class RequestKey:
    """What identifies a request: method, origin, target and canonical body digest.

    Replay compares all four (a recording made against one server does not answer requests to another).
    Pairing the interactions of two recordings compares :meth:`without_origin`: a drift run re-records
    against another server (the local Groq-compatible server on 127.0.0.1 instead of api.groq.com).
    """

    method: str
    origin: str
    """Scheme, host and port: ``https://api.groq.com`` (empty for a URL without them)."""
    target: str
    """Path and sorted query: ``/openai/v1/files?after=a&limit=2``."""
    body: str
    """Digest of the canonical body (empty when there is none)."""
    tag: str = ""
    """The values of the headers the user matches on (``match_headers``), empty by default."""

    @property
    def url(self) -> str:
        """The normalised URL (origin and target)."""
        return self.origin + self.target

    def without_origin(self) -> RequestKey:
        """This key with no origin: the same request sent to any server."""
        return dataclasses.replace(self, origin="")

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


class Probe:
    """A request as matching sees it. The URL is normalised at once; the body is masked and canonicalised
    only when the raw bytes alone cannot decide (see the engine's ``Player.play``)."""

    def __init__(
        self,
        method: str,
        origin: str,
        target: str,
        raw_url: str,
        raw_body: bytes,
        content_type: str,
        mask: Masker,
        tag: str = "",
    ) -> None:
        self.method = method
        self.origin = origin
        self.target = target
        self.url = origin + target
        """The normalised URL (see :func:`normalise_url`)."""
        self.raw_url = raw_url
        self.raw_body = raw_body
        self._content_type = content_type
        self._mask = mask
        self.live: Request | None = None
        """The whole live request, kept only when a custom matcher needs more than the key."""
        self.tag = tag
        """The values of the matched headers (see :attr:`RequestKey.tag`)."""

    def masked(self, text: str) -> str:
        """``text`` (a message about this request) with the secrets the masker knows replaced."""
        return self._mask(text, b"", "")[0]

    @functools.cached_property
    def body(self) -> Any:
        """The canonical (masked, parsed) body."""
        _, masked = self._mask("", self.raw_body, self._content_type)
        return canonical_body(masked, self._content_type)

    @functools.cached_property
    def key(self) -> RequestKey:
        """The request's matching key (computed once)."""
        return RequestKey(self.method, self.origin, self.target, body_digest(self.body), self.tag)


def _header(headers: Any, name: str) -> str:
    """The first value of header ``name`` (case-insensitive) in any header container; empty when absent."""
    lowered = name.lower()
    if isinstance(headers, dict):
        for key, values in headers.items():
            if str(key).lower() == lowered:
                return str(values[0]) if isinstance(values, list) and values else str(values)
        return ""
    if headers is None:
        return ""
    return str(headers.get(name) or "")


def header_tag(headers: Any, names: tuple[str, ...]) -> str:
    """The :attr:`RequestKey.tag` of a request: ``name=value`` of each header in ``names``, one per line."""
    return "\n".join(f"{name.lower()}={_header(headers, name)}" for name in names)


def probe(
    method: str, url: str, body: bytes, headers: Any, mask: Masker = mask_secrets, match_headers: tuple[str, ...] = ()
) -> Probe:
    """Normalise one request for matching (secrets masked first, so recorded and live sides agree).

    A compressed body is matched decoded, as redaction stores it.
    """
    coding = _header(headers, "content-encoding") if body else ""
    if coding:
        with contextlib.suppress(UndecodableBody):
            body = decode_body(content_codings({"content-encoding": [coding]}), body)
    masked_url, _ = mask(url, b"", "")
    origin, target = _origin_and_target(masked_url)
    tag = header_tag(headers, match_headers) if match_headers else ""
    return Probe(method.upper(), origin, target, url, body, _content_type(headers), mask, tag)


def probe_recorded(request: Request, mask: Masker = mask_secrets, match_headers: tuple[str, ...] = ()) -> Probe:
    """:func:`probe` of a request as a cassette holds it."""
    return probe(request.method, request.url, request.body_bytes, request.headers, mask, match_headers)
