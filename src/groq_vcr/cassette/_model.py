"""The go-vcr "version: 2" cassette model.

Plain dataclasses that mirror go-vcr's ``cassette.Request`` / ``cassette.Response`` field for field, so a
cassette round-trips without loss. Writing and reading the YAML live in ``_emit`` and ``_load``; this module
only knows the model and the go-vcr rules about it (which fields exist, their zero values).

Bodies are ``str`` when they are valid UTF-8 text and ``bytes`` otherwise (written as ``!!binary``).
Durations are integer nanoseconds (Go's ``time.Duration``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Headers = dict[str, list[str]]
Body = str | bytes

FORMAT_VERSION = 2


@dataclass
class Request:
    """A recorded request, in go-vcr's field order."""

    proto: str = "HTTP/1.1"
    proto_major: int = 1
    proto_minor: int = 1
    content_length: int = 0
    transfer_encoding: list[str] = field(default_factory=list)
    trailer: Headers = field(default_factory=dict)
    host: str = ""
    remote_addr: str = ""
    request_uri: str = ""
    body: Body = ""
    form: dict[str, list[str]] = field(default_factory=dict)
    headers: Headers = field(default_factory=dict)
    url: str = ""
    method: str = ""

    @property
    def body_bytes(self) -> bytes:
        """The body as bytes, whatever its stored form."""
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body

    def header(self, name: str) -> str | None:
        """First value of header ``name`` (case-insensitive), or None."""
        return first_header(self.headers, name)


@dataclass
class Response:
    """A recorded response, in go-vcr's field order (``content_length`` after ``trailer``)."""

    proto: str = "HTTP/1.1"
    proto_major: int = 1
    proto_minor: int = 1
    transfer_encoding: list[str] = field(default_factory=list)
    trailer: Headers = field(default_factory=dict)
    content_length: int = -1
    uncompressed: bool = False
    body: Body = ""
    headers: Headers = field(default_factory=dict)
    status: str = "200 OK"
    code: int = 200
    duration: int = 0
    """Time until the response headers arrived, in nanoseconds."""

    @property
    def body_bytes(self) -> bytes:
        """The body as bytes, whatever its stored form."""
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body

    def header(self, name: str) -> str | None:
        """First value of header ``name`` (case-insensitive), or None."""
        return first_header(self.headers, name)

    @property
    def is_event_stream(self) -> bool:
        """Whether the body is a server-sent event stream."""
        content_type = self.header("Content-Type") or ""
        return content_type.split(";")[0].strip().lower() == "text/event-stream"


@dataclass
class Interaction:
    """One request and the response it got."""

    request: Request
    response: Response
    id: int = 0


@dataclass
class Cassette:
    """A whole cassette: ``version: 2`` and its interactions (renumbered 0..n-1 on save)."""

    interactions: list[Interaction] = field(default_factory=list)
    version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)
    """Top-level keys go-vcr does not know; kept so a load/save does not drop them."""


def first_header(headers: Headers, name: str) -> str | None:
    """First value of header ``name`` in ``headers``, compared case-insensitively."""
    lowered = name.lower()
    for key, values in headers.items():
        if key.lower() == lowered and values:
            return values[0]
    return None


def canonical_header_name(name: str) -> str:
    """Go's ``textproto.CanonicalMIMEHeaderKey``: ``x-ratelimit-limit-tokens`` -> ``X-Ratelimit-Limit-Tokens``.

    Names with characters Go considers invalid in a header key (spaces, etc.) are returned unchanged.
    """
    valid = all(c.isalnum() or c in "!#$%&'*+-.^_`|~" for c in name) and name.isascii()
    if not valid or not name:
        return name
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def response_content_length(code: int, request_method: str, declared: str | None, *, chunked: bool = False) -> int:
    """The ``content_length`` Go's client (so go-vcr) gives a response: net/http's ``fixLength``.

    A response to HEAD keeps what its ``Content-Length`` header declares; 1xx, 204 and 304 have no body, so 0;
    a chunked or undeclared body is -1 (unknown); otherwise the declared length.
    """
    length = int(declared) if declared and declared.isdigit() else -1
    if request_method.upper() == "HEAD":
        return length
    if code // 100 == 1 or code in (204, 304):
        return 0
    return -1 if chunked else length


def body_text_or_bytes(data: bytes) -> Body:
    """``data`` as ``str`` when it is valid UTF-8, else unchanged ``bytes`` (go-vcr writes those as !!binary)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data
