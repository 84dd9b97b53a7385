"""What every endpoint does before its handler: record, limit size, authenticate, parse, inject faults.

The request's digest (method, path, query, canonical body, and how many times the same request came before)
seeds every id and number derived for it, so a deterministic server answers the same calls with the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from groq_vcr.cassette import format_go_duration
from groq_vcr.testing._call import Call, Reject, bad_request
from groq_vcr.testing._config import FakeGroqConfig, ReceivedRequest
from groq_vcr.testing._keys import auth_failure
from groq_vcr.testing._replies import FAIL_MODELS, FakeReply
from groq_vcr.testing._responses import canned_response

__all__ = ["Handler", "endpoint"]

Handler = Callable[[Call], Awaitable[Response]]
"""An endpoint's own work, given the request once the pipeline has parsed and accepted it."""


def _digest_parts(call: Call) -> list[bytes]:
    parts = [call.request.method.encode(), call.path.encode(), call.request.url.query.encode()]
    if call.payload is not None:
        parts.append(json.dumps(call.payload, sort_keys=True, separators=(",", ":")).encode())
    elif call.form is None:
        parts.append(call.body)
    return parts


async def _digest_form(form: FormData) -> list[bytes]:
    parts: list[bytes] = []
    for name, value in sorted(form.multi_items(), key=lambda item: item[0]):
        if isinstance(value, UploadFile):
            content = await value.read()
            await value.seek(0)
            parts.append(f"{name}={value.filename}:".encode() + hashlib.sha256(content).digest())
        else:
            parts.append(f"{name}={value}".encode())
    return parts


def endpoint(config: FakeGroqConfig, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with what every Groq endpoint does: count, limit size, authenticate, fault injection."""

    async def handle(request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        config._record(ReceivedRequest(request.method, path, request.url.query, tuple(request.headers.items()), body))
        call = Call(config, request, path, body, reply=None)
        call.digest = hashlib.sha256(b"\0".join(_digest_parts(call))).digest()
        if len(body) > config.max_request_bytes:
            return canned_response(call, FakeReply.request_too_large())
        failure = auth_failure(config, request)
        if failure is not None:
            return canned_response(call, failure)
        window = config._take_request()
        if window is not None:
            allowed, remaining, reset = window
            call.request_window = (remaining, reset)
            if not allowed:
                return canned_response(call, _over_the_limit(config, reset))
        call.reply = config._pop(path)
        content_type = request.headers.get("content-type", "")
        try:
            if content_type.startswith("multipart/form-data"):
                async with request.form() as form:
                    call.form = form
                    return await _dispatch(call, handler, await _digest_form(form))
            if body and request.method in ("POST", "PUT", "PATCH"):
                try:
                    parsed = json.loads(body)
                except ValueError as exc:
                    raise bad_request(f"The request body is not valid JSON: {exc}.") from exc
                if not isinstance(parsed, dict):
                    raise bad_request("The request body must be a JSON object.")
                call.payload = parsed
            return await _dispatch(call, handler, [])
        except Reject as reject:
            return canned_response(call, reject.reply)

    return handle


def _over_the_limit(config: FakeGroqConfig, reset: float) -> FakeReply:
    """Groq's 429 for a request beyond ``request_limit``, with ``retry-after`` at the end of the window."""
    limit = config.request_limit
    wait = format_go_duration(math.ceil(reset * 1000) * 1_000_000)
    message = (
        "Rate limit reached in organization `org_01fakegroqlocal0000000000` service tier `on_demand` on requests "
        f"per minute (RPM): Limit {limit}, Used {limit}, Requested 1. "
        f"Please try again in {wait}. Need more tokens? Upgrade to Dev Tier today at "
        "https://console.groq.com/settings/billing"
    )
    retry_after = f"{math.ceil(reset * 1000) / 1000:g}"
    return FakeReply.error(429, message, "requests", "rate_limit_exceeded", {"retry-after": retry_after})


async def _dispatch(call: Call, handler: Handler, extra_digest: list[bytes]) -> Response:
    parts = _digest_parts(call) + extra_digest
    key = hashlib.sha256(b"\0".join(parts)).hexdigest()
    occurrence = call.config._occurrence(key)
    call.digest = hashlib.sha256(f"{key}#{occurrence}".encode()).digest()
    if call.payload is not None and isinstance(call.payload.get("model"), str):
        call.model = call.payload["model"]
    elif call.form is not None and isinstance(call.form.get("model"), str):
        call.model = str(call.form.get("model"))
    if call.reply is not None and call.reply.is_canned:
        return canned_response(call, call.reply)
    if call.model in FAIL_MODELS:
        fault = FAIL_MODELS[call.model](call.model)
        if fault.is_canned:
            return canned_response(call, fault)
        call.reply = fault  # fail-stream: the normal answer, broken mid-stream
    return await handler(call)
