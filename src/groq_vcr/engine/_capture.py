"""What is recorded: turning an httpx/httpx2 request and response into the cassette model.

httpx and its fork httpx2 share one duck-typed API, so nothing here imports either of them. The transport
layer (:mod:`groq_vcr.engine._httpx`) calls these at the moments go-vcr records: the request as sent, the
response head when it arrives (``duration`` is the time until then), and the body once it has been read.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from groq_vcr._content_coding import UndecodableBody, content_codings, decode_body
from groq_vcr.cassette import (
    Headers,
    Request,
    Response,
    body_text_or_bytes,
    canonical_header_name,
    response_content_length,
)

# Headers Go keeps out of the header map (it stores them in dedicated fields or drops them).
_REQUEST_HEADERS_NOT_RECORDED = {"host"}


def collect_headers(pairs: Any, *, skip: set[str] | frozenset[str] = frozenset()) -> Headers:
    """Header (name, value) pairs -> go-vcr's map of canonical name -> values in arrival order."""
    headers: Headers = {}
    for name, value in pairs:
        if name.lower() in skip:
            continue
        headers.setdefault(canonical_header_name(name), []).append(value)
    return headers


def request_from_httpx(request: Any, body: bytes) -> Request:
    """The model of an ``httpx.Request`` (or httpx2) whose body is ``body``."""
    headers = collect_headers(request.headers.multi_items(), skip=_REQUEST_HEADERS_NOT_RECORDED)
    form: dict[str, list[str]] = {}
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded" and body:
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            form = {}
    return Request(
        content_length=len(body),
        body=body_text_or_bytes(body),
        form=form,
        headers=headers,
        url=str(request.url),
        method=request.method,
    )


def proto_of(http_version: str) -> tuple[str, int, int]:
    """httpx's ``http_version`` ("HTTP/1.1", "HTTP/2") -> Go's (proto, major, minor)."""
    version = (http_version or "HTTP/1.1").upper()
    if version in ("HTTP/2", "HTTP/2.0"):
        return "HTTP/2.0", 2, 0
    if version == "HTTP/1.0":
        return "HTTP/1.0", 1, 0
    if version in ("HTTP/3", "HTTP/3.0"):
        return "HTTP/3.0", 3, 0
    return "HTTP/1.1", 1, 1


def status_text(code: int, reason: str) -> str:
    """Go's ``Status`` text: "200 OK" (HTTP/2 sends no reason phrase, so the standard one is used)."""
    if not reason:
        try:
            reason = HTTPStatus(code).phrase
        except ValueError:
            reason = ""
    return f"{code} {reason}".rstrip()


def response_head_from_httpx(response: Any, duration_ns: int, request_method: str) -> Response:
    """The model of a response's status line and headers (to a ``request_method`` request), before its body."""
    proto, major, minor = proto_of(response.http_version)
    raw_headers = list(response.headers.multi_items())
    transfer_encoding = [
        value.strip().lower()
        for name, value in raw_headers
        if name.lower() == "transfer-encoding"
        for value in value.split(",")
    ]
    headers = collect_headers(raw_headers, skip={"transfer-encoding"})
    content_length = response_content_length(
        response.status_code,
        request_method,
        response.headers.get("content-length"),
        chunked="chunked" in transfer_encoding,
    )
    return Response(
        proto=proto,
        proto_major=major,
        proto_minor=minor,
        transfer_encoding=transfer_encoding,
        content_length=content_length,
        headers=headers,
        status=status_text(response.status_code, response.reason_phrase),
        code=response.status_code,
        duration=duration_ns,
    )


def finish_response(head: Response, raw_body: bytes) -> Response:
    """Attach the body read off the wire to ``head``.

    A compressed body (gzip, deflate, br, zstd) is stored decompressed with ``uncompressed: true`` and without its
    ``Content-Encoding``/``Content-Length`` headers, as Go's transport records a body it decompressed:
    cassettes stay reviewable and replay serves plain bytes.
    """
    encodings = content_codings({"Content-Encoding": head.headers.get("Content-Encoding", [])})
    body = raw_body
    uncompressed = False
    if encodings and raw_body:
        try:
            body = decode_body(encodings, raw_body)
            uncompressed = True
        except UndecodableBody:  # kept as it came: redaction refuses to store it, with the reason
            body, uncompressed = raw_body, False
    headers = head.headers
    content_length = head.content_length
    if uncompressed:
        headers = {k: v for k, v in headers.items() if k not in ("Content-Encoding", "Content-Length")}
        content_length = -1
    return Response(
        proto=head.proto,
        proto_major=head.proto_major,
        proto_minor=head.proto_minor,
        transfer_encoding=head.transfer_encoding,
        trailer=head.trailer,
        content_length=content_length,
        uncompressed=uncompressed,
        body=body_text_or_bytes(body),
        headers=headers,
        status=head.status,
        code=head.code,
        duration=head.duration,
    )
