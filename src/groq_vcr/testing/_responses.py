"""Responses as Groq sends them: rate-limit headers, request id, Cloudflare cookie, gzip for JSON."""

from __future__ import annotations

import email.utils
import gzip
import json
import math
import string
from typing import Any

from starlette.responses import Response

from groq_vcr.cassette import format_go_duration
from groq_vcr.testing._call import Call
from groq_vcr.testing._models import FALLBACK_LIMITS
from groq_vcr.testing._replies import FakeReply

__all__ = ["canned_response", "dumps", "groq_headers", "json_response"]

_COOKIE_ALPHABET = string.ascii_letters + string.digits + "_."


def dumps(payload: Any) -> bytes:
    """Compact JSON as Groq writes it (UTF-8, no spaces)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def groq_headers(call: Call, *, content_type: str, tokens_used: int = 0) -> dict[str, str]:
    """Groq's response headers for this call (rate limits, request id, Cloudflare)."""
    info = call.config.model(call.model) if call.model else None
    rpd, tpm = (info.requests_per_day, info.tokens_per_minute) if info else FALLBACK_LIMITS
    used_requests = call.config._count_model_call(call.model or "")
    reset_requests_ms = max(1, round(used_requests * 86_400_000 / rpd / 10)) * 10
    reset_tokens_ms = max(1, round(tokens_used * 60_000 / tpm / 10)) * 10 if tokens_used else 0
    ray = call.derived_bytes("cf-ray", 8).hex()
    headers = {
        "content-type": content_type,
        "cache-control": "private, max-age=0, no-store, no-cache, must-revalidate",
        "vary": "Origin, Accept-Encoding",
        "x-groq-region": "dls",
        "x-ratelimit-limit-requests": str(rpd),
        "x-ratelimit-limit-tokens": str(tpm),
        "x-ratelimit-remaining-requests": str(max(0, rpd - used_requests)),
        "x-ratelimit-remaining-tokens": str(max(0, tpm - tokens_used)),
        "x-ratelimit-reset-requests": format_go_duration(reset_requests_ms * 1_000_000),
        "x-ratelimit-reset-tokens": format_go_duration(reset_tokens_ms * 1_000_000),
        "x-request-id": call.request_id,
        "via": "1.1 google",
        "cf-cache-status": "DYNAMIC",
        "set-cookie": _cf_bm_cookie(call),
        "server": "cloudflare",
        "cf-ray": f"{ray[:16]}-DFW",
    }
    limit = call.config.request_limit
    if limit is not None and call.request_window is not None:
        remaining, reset = call.request_window
        headers["x-ratelimit-limit-requests"] = str(limit)
        headers["x-ratelimit-remaining-requests"] = str(remaining)
        headers["x-ratelimit-reset-requests"] = format_go_duration(math.ceil(reset * 1000) * 1_000_000)
    return headers


def _cf_bm_cookie(call: Call) -> str:
    """Cloudflare's ``__cf_bm`` cookie, as Groq sets it on every response."""
    raw = call.derived_bytes("cf-bm", 150)
    left = "".join(_COOKIE_ALPHABET[b % len(_COOKIE_ALPHABET)] for b in raw[:43])
    right = "".join(_COOKIE_ALPHABET[b % len(_COOKIE_ALPHABET)] for b in raw[43:])
    issued = call.created
    value = f"__cf_bm={left}-{issued}-1.0.1.1-{right}; path=/;"
    if call.config.cookie_domain is None:
        # A session cookie for this host: a deterministic `expires` would be in the past and dropped by clients.
        return f"{value} HttpOnly; SameSite=None"
    expires = email.utils.formatdate(issued + 1800, usegmt=True)
    return f"{value} expires={expires}; domain={call.config.cookie_domain}; HttpOnly; Secure; SameSite=None"


def json_response(
    call: Call, payload: Any, *, status: int = 200, tokens_used: int = 0, generated: bool = True
) -> Response:
    """``payload`` as JSON with Groq's headers, gzip-compressed when the client accepts it.

    A ``generated`` payload (the server's own answer, not a canned reply) gets the configured response changes.
    """
    if generated:
        for change in (call.config.response_change, call.reply.response_change if call.reply else None):
            if change is not None:
                change.apply(payload)
    headers = groq_headers(call, content_type="application/json", tokens_used=tokens_used)
    body = dumps(payload)
    if call.accepts_gzip:
        body = gzip.compress(body, mtime=0)
        headers["content-encoding"] = "gzip"
    return Response(body, status_code=status, headers=headers)


def canned_response(call: Call, reply: FakeReply) -> Response:
    """A canned reply as sent: its body (raw or JSON) with Groq's headers, overridden by the reply's own."""
    if reply.raw_body is not None:
        body = reply.raw_body.encode() if isinstance(reply.raw_body, str) else reply.raw_body
        content_type = reply.content_type or "text/plain; charset=utf-8"
        headers = groq_headers(call, content_type=content_type)
        headers.update({k.lower(): v for k, v in reply.headers.items()})
        return Response(body, status_code=reply.status, headers=headers)
    response = json_response(call, reply.json_body, status=reply.status, generated=False)
    for name, value in reply.headers.items():
        response.headers[name.lower()] = value
    return response
