"""A local Groq-compatible HTTP server (starlette) that tests, ``groq-vcr demo`` and CI scripts record against.

It answers under ``/openai/v1`` the way Groq does: chat completions (JSON and SSE streams with ``x_groq``, the
usage chunk and ``[DONE]``; ``reasoning`` for ``openai/gpt-oss-*``; tool calls; vision "OCR"), audio
transcriptions/translations (multipart), speech (a WAV generated in code) and the models list. Every response
carries Groq's ``x-ratelimit-*`` headers, an ``x-request-id`` and a Cloudflare ``__cf_bm`` cookie; JSON is
gzip-compressed when the client accepts it. Replies are derived from the request, and with
``FakeGroqConfig.deterministic`` (the default) ids, timestamps and cookies are too, so re-recording the same
calls writes the same bytes.

Faults are chosen per request, two ways:

* by model name: ``fail-404``, ``fail-429``, ``fail-500``, ... (see :data:`FAIL_MODELS`), ``fail-stream``
  (an ``event: error`` frame mid-stream); any other unknown model gets Groq's 404 ``model_not_found``;
* by a queue on the config: ``config.enqueue("/chat/completions", FakeReply.rate_limited())`` makes the next
  matching call return that reply, then normal service resumes.
"""

from __future__ import annotations

import copy
import email.utils
import gzip
import hashlib
import io
import json
import math
import random
import re
import secrets
import string
import threading
import time
import uuid
import wave
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from groq_vcr._groq_api import API_PREFIX, KEY_ALPHABET, KEY_BODY_LENGTH, KEY_PREFIX, error_body, is_groq_key
from groq_vcr.cassette import format_go_duration
from groq_vcr.servers._serving import ServerHandle, run_in_thread

__all__ = [
    "API_PREFIX",
    "DEFAULT_MODELS",
    "FAIL_MODELS",
    "FakeGroqConfig",
    "FakeGroqServer",
    "FakeReply",
    "ModelInfo",
    "ReceivedRequest",
    "ResponseChange",
    "create_app",
    "make_fake_api_key",
    "serve_fake_groq",
]

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_COOKIE_ALPHABET = string.ascii_letters + string.digits + "_."
_DEFAULT_CREATED = 1760555157  # the seed's chat response; any fixed instant would do
_GATE_TIMEOUT_SECONDS = 30.0


def make_fake_api_key(rng: random.Random | None = None) -> str:
    """A key of Groq's shape (``gsk_`` + 52 letters/digits), generated now; never a real key."""
    chooser = rng or random.SystemRandom()
    return KEY_PREFIX + "".join(chooser.choices(KEY_ALPHABET, k=KEY_BODY_LENGTH))


# --------------------------------------------------------------------------------------------------- models


@dataclass(frozen=True)
class ModelInfo:
    """A model the server knows: what it serves and the rate limits it reports (Groq's free plan)."""

    id: str
    owned_by: str
    kind: Literal["chat", "transcription", "speech"]
    context_window: int
    max_completion_tokens: int
    requests_per_day: int
    tokens_per_minute: int
    created: int = 1_733_447_754

    def to_json(self) -> dict[str, Any]:
        """The model as ``GET /openai/v1/models`` lists it."""
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.owned_by,
            "active": True,
            "context_window": self.context_window,
            "public_apps": None,
            "max_completion_tokens": self.max_completion_tokens,
        }


DEFAULT_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("llama-3.1-8b-instant", "Meta", "chat", 131072, 131072, 14400, 6000, 1693721698),
    ModelInfo("llama-3.3-70b-versatile", "Meta", "chat", 131072, 32768, 1000, 12000, 1733447754),
    ModelInfo("meta-llama/llama-4-scout-17b-16e-instruct", "Meta", "chat", 131072, 8192, 1000, 30000, 1743874824),
    ModelInfo("meta-llama/llama-4-maverick-17b-128e-instruct", "Meta", "chat", 131072, 8192, 1000, 6000, 1743877158),
    ModelInfo("moonshotai/kimi-k2-instruct-0905", "Moonshot AI", "chat", 262144, 16384, 1000, 10000, 1757046093),
    ModelInfo("openai/gpt-oss-120b", "OpenAI", "chat", 131072, 65536, 1000, 8000, 1754408224),
    ModelInfo("openai/gpt-oss-20b", "OpenAI", "chat", 131072, 65536, 1000, 8000, 1754407957),
    ModelInfo("qwen/qwen3-32b", "Alibaba Cloud", "chat", 131072, 40960, 1000, 6000, 1748396646),
    ModelInfo("whisper-large-v3", "OpenAI", "transcription", 448, 448, 2000, 7200, 1693721698),
    ModelInfo("whisper-large-v3-turbo", "OpenAI", "transcription", 448, 448, 2000, 7200, 1728413088),
    ModelInfo("playai-tts", "PlayAI", "speech", 8192, 8192, 100, 1200, 1740682874),
    ModelInfo("playai-tts-arabic", "PlayAI", "speech", 8192, 8192, 100, 1200, 1740682783),
)
"""The models served by default (ids, owners and limits as on Groq's pages)."""

_FALLBACK_LIMITS = (14400, 18000)  # Groq's illustrative RPD/TPM, used for fail-* and unknown models


# --------------------------------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class ResponseChange:
    """Alter response JSON for schema-drift tests: add, remove or retype fields.

    Paths are dotted with list indexes or ``*`` for every item: ``"choices.*.message.content"``,
    ``"usage.total_tokens"``, ``"x_groq.id"``. A path that does not exist in a payload is skipped (so one
    change applies to every stream chunk that has the field). ``add`` needs the parent to exist.
    """

    add: Mapping[str, Any] = field(default_factory=dict)
    remove: Sequence[str] = ()
    retype: Mapping[str, Any] = field(default_factory=dict)

    def apply(self, payload: Any) -> Any:
        """Apply the change to ``payload`` in place and return it."""
        for path in self.remove:
            for parent, key in _resolve_parents(payload, path):
                if isinstance(parent, dict):
                    parent.pop(key, None)
                elif isinstance(parent, list) and isinstance(key, int) and -len(parent) <= key < len(parent):
                    del parent[key]
        for path, value in self.retype.items():
            for parent, key in _resolve_parents(payload, path):
                if isinstance(parent, dict) and key in parent:
                    parent[key] = value
        for path, value in self.add.items():
            for parent, key in _resolve_parents(payload, path):
                if isinstance(parent, dict):
                    parent[key] = value
        return payload


def _resolve_parents(payload: Any, path: str) -> Iterator[tuple[Any, Any]]:
    """Yield ``(container, last_key)`` for every existing parent of the dotted ``path``."""
    *head, last = path.split(".")
    nodes = [payload]
    for part in head:
        nxt: list[Any] = []
        for node in nodes:
            if part == "*" and isinstance(node, list):
                nxt.extend(node)
            elif part == "*" and isinstance(node, dict):
                nxt.extend(node.values())
            elif isinstance(node, dict) and part in node:
                nxt.append(node[part])
            elif isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
                nxt.append(node[int(part)])
        nodes = nxt
    for node in nodes:
        if last == "*" and isinstance(node, dict):
            yield from ((node, k) for k in list(node))
        elif isinstance(node, list):
            if last == "*":
                yield from ((node, i) for i in reversed(range(len(node))))
            elif last.lstrip("-").isdigit():
                yield node, int(last)
        else:
            yield node, last


@dataclass
class FakeReply:
    """One scripted answer, queued with :meth:`FakeGroqConfig.enqueue`.

    With ``status`` 200 and neither ``json_body`` nor ``raw_body`` the server produces its normal answer,
    altered by the stream options below; otherwise this exact response is sent (Groq's headers are added
    unless ``headers`` overrides them). Use the class methods for Groq's real error replies.
    """

    status: int = 200
    json_body: Any = None
    raw_body: bytes | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    stream_error: str | None = None
    """Send an ``event: error`` frame with this message after ``error_after_events`` events; no ``[DONE]``."""
    error_after_events: int = 1
    event_delay: float | None = None
    """Seconds to sleep between stream events (overrides ``FakeGroqConfig.event_delay``)."""
    gate: threading.Event | None = None
    """The stream waits for this event after ``gate_after_events`` events (proves client-side streaming)."""
    gate_after_events: int = 1
    response_change: ResponseChange | None = None

    @property
    def is_canned(self) -> bool:
        """True when this reply replaces the normal answer instead of modifying it."""
        return self.status != 200 or self.json_body is not None or self.raw_body is not None

    @classmethod
    def error(
        cls, status: int, message: str, type_: str, code: str | None, headers: Mapping[str, str] | None = None
    ) -> FakeReply:
        """An error reply with Groq's body shape."""
        return cls(status=status, json_body=error_body(message, type_, code), headers=dict(headers or {}))

    @classmethod
    def rate_limited(
        cls,
        retry_after: float = 0.01,
        *,
        limit_type: Literal["tokens", "requests"] = "tokens",
        model: str = "llama-3.3-70b-versatile",
    ) -> FakeReply:
        """Groq's 429 ``rate_limit_exceeded`` with ``retry-after`` (seconds; small by default so tests stay fast)."""
        what = (
            "tokens per minute (TPM): Limit 12000, Used 11861, Requested 1234"
            if limit_type == "tokens"
            else ("requests per day (RPD): Limit 1000, Used 1000, Requested 1")
        )
        message = (
            f"Rate limit reached for model `{model}` in organization `org_01fakegroqlocal0000000000` service tier "
            f"`on_demand` on {what}. Please try again in {format_go_duration(round(retry_after * 1e9))}. "
            "Need more tokens? "
            "Upgrade to Dev Tier today at https://console.groq.com/settings/billing"
        )
        return cls.error(429, message, limit_type, "rate_limit_exceeded", {"retry-after": _seconds_text(retry_after)})

    @classmethod
    def request_too_large(cls) -> FakeReply:
        """Groq's 413 for a body over the size limit (not retried by the SDKs)."""
        return cls.error(413, "Request Entity Too Large", "invalid_request_error", "request_too_large")

    @classmethod
    def capacity_exceeded(cls) -> FakeReply:
        """Groq's 498 for the flex service tier at capacity (not retried by the SDKs)."""
        return cls.error(
            498,
            "Flex tier capacity exceeded. This model is experiencing high demand, please try again later or use "
            "the on_demand service tier.",
            "internal_server_error",
            "capacity_exceeded",
        )

    @classmethod
    def server_error(cls, status: int = 500) -> FakeReply:
        """A 5xx: 502 is Cloudflare's HTML page, others Groq's JSON body."""
        if status == 502:
            html = (
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
            )
            return cls(status=502, raw_body=html, content_type="text/html")
        if status == 503:
            return cls.error(503, "Service Unavailable", "internal_server_error", "service_unavailable")
        return cls.error(status, "Internal Server Error", "internal_server_error", "internal_server_error")

    @classmethod
    def stream_failure(cls, message: str = "Service Unavailable", after_events: int = 1) -> FakeReply:
        """A stream that sends ``after_events`` events, then an ``event: error`` frame and ends without ``[DONE]``."""
        return cls(stream_error=message, error_after_events=after_events)


def _seconds_text(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


FAIL_MODELS: dict[str, Callable[[str], FakeReply]] = {
    "fail-400": lambda m: FakeReply.error(
        400, "'messages' : value must be an array of valid messages", "invalid_request_error", None
    ),
    "fail-401": lambda m: FakeReply.error(401, "Invalid API Key", "invalid_request_error", "invalid_api_key"),
    "fail-403": lambda m: FakeReply.error(
        403, "Access denied. Please check your network settings.", "permissions_error", "permission_denied"
    ),
    "fail-404": lambda m: _model_not_found(m),
    "fail-413": lambda m: FakeReply.request_too_large(),
    "fail-429": lambda m: FakeReply.rate_limited(model=m),
    "fail-498": lambda m: FakeReply.capacity_exceeded(),
    "fail-500": lambda m: FakeReply.server_error(500),
    "fail-502": lambda m: FakeReply.server_error(502),
    "fail-503": lambda m: FakeReply.server_error(503),
    "fail-stream": lambda m: FakeReply.stream_failure(),
}
"""Model names that trigger a fault, with the reply each gets. ``fail-stream`` breaks streams with an ``event: error``
frame (a non-streamed call with it succeeds); any other unknown model gets Groq's 404 ``model_not_found``."""


def _model_not_found(model: str) -> FakeReply:
    return FakeReply.error(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    )


# --------------------------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the server received it (for tests that check what a client sent)."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k == lowered), None)


@dataclass
class FakeGroqConfig:
    """Behaviour and bookkeeping of one fake Groq server; safe to use from the test thread while it serves."""

    deterministic: bool = True
    """Derive ids, ``created``, timings and cookies from the request, so re-recording does not churn."""
    echo_full_key_in_errors: bool = False
    """Make the 401 body echo the full key sent (for redaction tests) instead of a masked one."""
    event_delay: float = 0.0
    """Seconds to sleep between stream events."""
    response_change: ResponseChange | None = None
    """Applied to every JSON payload the server generates (responses and stream chunks)."""
    cookie_domain: str | None = ".groq.com"
    """``Domain`` of the ``__cf_bm`` cookie; None sends a host-only session cookie (no ``Secure``) that httpx
    sends back to 127.0.0.1 on later requests, like it does to api.groq.com."""
    max_request_bytes: int = 100 * 1024 * 1024
    """Bodies above this get Groq's 413 ``request_too_large``."""
    created: int = _DEFAULT_CREATED
    """The ``created`` timestamp of every response when deterministic."""
    models: tuple[ModelInfo, ...] = DEFAULT_MODELS

    requests: Counter[str] = field(default_factory=Counter, init=False)
    """Requests received, by path (``/openai/v1/chat/completions``)."""
    events_sent: Counter[str] = field(default_factory=Counter, init=False)
    """SSE events written, by path."""
    received: list[ReceivedRequest] = field(default_factory=list, init=False)
    _queue: list[tuple[str, FakeReply]] = field(default_factory=list, init=False, repr=False)
    _seen: Counter[str] = field(default_factory=Counter, init=False, repr=False)
    _model_calls: Counter[str] = field(default_factory=Counter, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def enqueue(self, path_suffix: str, reply: FakeReply, times: int = 1) -> None:
        """Answer the next ``times`` requests whose path ends with ``path_suffix`` with ``reply``, in FIFO order."""
        if times < 1:
            raise ValueError(f"enqueue(times={times}) must queue at least one reply")
        with self._lock:
            self._queue.extend((path_suffix, reply) for _ in range(times))

    def pending(self, path_suffix: str = "") -> int:
        """Queued replies not yet used whose suffix matches ``path_suffix`` (all by default)."""
        with self._lock:
            return sum(1 for suffix, _ in self._queue if suffix.endswith(path_suffix))

    def count(self, path_suffix: str = "") -> int:
        """Requests received whose path ends with ``path_suffix`` (all by default)."""
        with self._lock:
            return sum(n for path, n in self.requests.items() if path.endswith(path_suffix))

    def model(self, model_id: str) -> ModelInfo | None:
        """The served model with this id, or None."""
        return next((m for m in self.models if m.id == model_id), None)

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests[request.path] += 1
            self.received.append(request)

    def _pop(self, path: str) -> FakeReply | None:
        with self._lock:
            for i, (suffix, reply) in enumerate(self._queue):
                if path.endswith(suffix):
                    del self._queue[i]
                    return reply
        return None

    def _occurrence(self, key: str) -> int:
        with self._lock:
            self._seen[key] += 1
            return self._seen[key]

    def _count_model_call(self, model: str) -> int:
        with self._lock:
            self._model_calls[model] += 1
            return self._model_calls[model]

    def _count_event(self, path: str) -> None:
        with self._lock:
            self.events_sent[path] += 1


# --------------------------------------------------------------------------------------------------- per call


class _Reject(Exception):
    """Raised inside a handler to answer with a canned reply."""

    def __init__(self, reply: FakeReply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def _bad_request(message: str, code: str | None = None) -> _Reject:
    return _Reject(FakeReply.error(400, message, "invalid_request_error", code))


@dataclass
class _Call:
    """One request in flight: what it asked, and the ids/numbers derived from it."""

    config: FakeGroqConfig
    request: Request
    path: str
    body: bytes
    reply: FakeReply | None
    payload: dict[str, Any] | None = None
    form: FormData | None = None
    digest: bytes = b""
    model: str | None = None

    @property
    def accepts_gzip(self) -> bool:
        return "gzip" in self.request.headers.get("accept-encoding", "").lower()

    def _bytes(self, label: str, n: int = 32) -> bytes:
        if not self.config.deterministic:
            return secrets.token_bytes(n)
        out = b""
        counter = 0
        while len(out) < n:
            out += hashlib.sha256(self.digest + label.encode() + counter.to_bytes(4, "big")).digest()
            counter += 1
        return out[:n]

    def number(self, label: str) -> float:
        """A number in [0, 1), fixed per request when deterministic."""
        return int.from_bytes(self._bytes(label, 8), "big") / 2**64

    @property
    def created(self) -> int:
        return self.config.created if self.config.deterministic else int(time.time())

    @property
    def completion_id(self) -> str:
        return f"chatcmpl-{uuid.UUID(bytes=self._bytes('chatcmpl', 16), version=4)}"

    @property
    def request_id(self) -> str:
        raw = int.from_bytes(self._bytes("request-id", 16), "big")
        tail = "".join(_CROCKFORD[(raw >> (5 * i)) & 31] for i in range(23))
        return f"req_01k{tail}"

    def tool_call_id(self, index: int) -> str:
        raw = self._bytes(f"tool-call-{index}", 8)
        return "call_" + "".join(KEY_ALPHABET[b % 36].lower() for b in raw)

    def fingerprint(self, model: str) -> str:
        return "fp_" + hashlib.sha256(model.encode()).hexdigest()[:10]

    def cookie(self) -> str:
        raw = self._bytes("cf-bm", 150)
        left = "".join(_COOKIE_ALPHABET[b % len(_COOKIE_ALPHABET)] for b in raw[:43])
        right = "".join(_COOKIE_ALPHABET[b % len(_COOKIE_ALPHABET)] for b in raw[43:])
        issued = self.created
        value = f"__cf_bm={left}-{issued}-1.0.1.1-{right}; path=/;"
        if self.config.cookie_domain is None:
            # A session cookie for this host: a deterministic `expires` would be in the past and dropped by clients.
            return f"{value} HttpOnly; SameSite=None"
        expires = email.utils.formatdate(issued + 1800, usegmt=True)
        return f"{value} expires={expires}; domain={self.config.cookie_domain}; HttpOnly; Secure; SameSite=None"


# --------------------------------------------------------------------------------------------------- responses


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _headers(call: _Call, *, content_type: str, tokens_used: int = 0) -> dict[str, str]:
    """Groq's response headers for this call (rate limits, request id, Cloudflare)."""
    info = call.config.model(call.model) if call.model else None
    rpd, tpm = (info.requests_per_day, info.tokens_per_minute) if info else _FALLBACK_LIMITS
    used_requests = call.config._count_model_call(call.model or "")
    reset_requests_ms = max(1, round(used_requests * 86_400_000 / rpd / 10)) * 10
    reset_tokens_ms = max(1, round(tokens_used * 60_000 / tpm / 10)) * 10 if tokens_used else 0
    ray = call._bytes("cf-ray", 8).hex()
    return {
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
        "set-cookie": call.cookie(),
        "server": "cloudflare",
        "cf-ray": f"{ray[:16]}-DFW",
    }


def _json_response(
    call: _Call, payload: Any, *, status: int = 200, tokens_used: int = 0, generated: bool = True
) -> Response:
    if generated:
        for change in (call.config.response_change, call.reply.response_change if call.reply else None):
            if change is not None:
                change.apply(payload)
    headers = _headers(call, content_type="application/json", tokens_used=tokens_used)
    body = _dumps(payload)
    if call.accepts_gzip:
        body = gzip.compress(body, mtime=0)
        headers["content-encoding"] = "gzip"
    return Response(body, status_code=status, headers=headers)


def _canned_response(call: _Call, reply: FakeReply) -> Response:
    if reply.raw_body is not None:
        body = reply.raw_body.encode() if isinstance(reply.raw_body, str) else reply.raw_body
        content_type = reply.content_type or "text/plain; charset=utf-8"
        headers = _headers(call, content_type=content_type)
        headers.update({k.lower(): v for k, v in reply.headers.items()})
        return Response(body, status_code=reply.status, headers=headers)
    response = _json_response(call, reply.json_body, status=reply.status, generated=False)
    for name, value in reply.headers.items():
        response.headers[name.lower()] = value
    return response


# --------------------------------------------------------------------------------------------------- chat


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _count_tokens(text: str) -> int:
    return len(re.findall(r"\w+|[^\w\s]", text))


def _pieces(text: str) -> list[str]:
    """Split text into stream-sized pieces (a word with its leading space), rejoining exactly."""
    return re.findall(r"\s*\S+|\s+$", text)


@dataclass
class _Completion:
    content: str | None
    reasoning: str | None
    tool_calls: list[dict[str, Any]]
    finish_reason: str
    usage: dict[str, Any]


def _ocr_text(url: str) -> str:
    raw = hashlib.sha256(url.encode()).digest()
    return "".join(string.ascii_letters[b % 52] for b in raw[: 5 + raw[-1] % 3])


def _tool_arguments(schema: Any, last_word: str) -> dict[str, Any]:
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    required = schema.get("required", list(props)) if isinstance(schema, dict) else []
    args: dict[str, Any] = {}
    for name in required:
        spec = props.get(name, {}) if isinstance(props, dict) else {}
        kind = spec.get("type") if isinstance(spec, dict) else None
        if isinstance(spec, dict) and spec.get("enum"):
            args[name] = spec["enum"][0]
        elif kind in ("number", "integer"):
            args[name] = 1
        elif kind == "boolean":
            args[name] = True
        elif kind == "array":
            args[name] = []
        elif kind == "object":
            args[name] = {}
        else:
            args[name] = last_word
    return args


_VERBS = {"get", "set", "list", "create", "fetch", "find", "search", "lookup", "update", "delete", "call", "run"}


def _pick_tool(payload: dict[str, Any], text: str) -> dict[str, Any] | None:
    """The function to call: forced by ``tool_choice``, named (or its noun, ``weather`` for ``get_weather``)
    in the last user message, or the first one when the message asks for a tool or function."""
    functions = [t.get("function") for t in payload.get("tools") or [] if isinstance(t, dict)]
    tools: list[dict[str, Any]] = [f for f in functions if isinstance(f, dict) and f.get("name")]
    choice = payload.get("tool_choice")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        wanted = choice.get("function", {}).get("name")
        return next((t for t in tools if t["name"] == wanted), tools[0])
    if choice == "required":
        return tools[0]
    lowered = text.lower()
    words = set(re.findall(r"[a-z0-9]+", lowered))
    for tool in tools:
        name = str(tool["name"])
        parts = {p.lower() for p in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)} - _VERBS
        if name.lower() in lowered or any(len(p) > 3 and p in words for p in parts):
            return tool
    if re.search(r"\b(tool|function)s?\b", lowered):
        return tools[0]
    return None


def _complete(call: _Call, payload: dict[str, Any]) -> _Completion:
    messages = payload["messages"]
    last_user = next((m for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "user"), None)
    content_field = last_user.get("content") if last_user else None
    text = _text_of(content_field).strip()
    images = [
        p.get("image_url", {}).get("url", "")
        for p in (content_field if isinstance(content_field, list) else [])
        if isinstance(p, dict) and p.get("type") == "image_url" and isinstance(p.get("image_url"), dict)
    ]
    model = str(payload["model"])
    tool = _pick_tool(payload, text)
    tool_calls: list[dict[str, Any]] = []
    content: str | None
    if tool is not None:
        words = re.findall(r"[\w-]+", text)
        arguments = _tool_arguments(tool.get("parameters"), words[-1] if words else "")
        tool_calls.append(
            {
                "id": call.tool_call_id(0),
                "type": "function",
                "function": {"name": tool["name"], "arguments": json.dumps(arguments)},
            }
        )
        content = None
    elif images:
        content = " ".join(_ocr_text(url) for url in images)
    else:
        snippet = text if len(text) <= 200 else text[:197] + "..."
        content = f"This is a deterministic reply from the local Groq server. You said: {snippet}"
    reasoning: str | None = None
    wants_reasoning = (
        payload.get("include_reasoning", True) is not False and payload.get("reasoning_format") != "hidden"
    )
    if model.startswith("openai/gpt-oss-") and wants_reasoning:
        reasoning = f"The user wrote {_count_tokens(text)} tokens. I should answer briefly and deterministically."
    limit = payload.get("max_completion_tokens") or payload.get("max_tokens")
    finish_reason = "tool_calls" if tool_calls else "stop"
    if content is not None and isinstance(limit, int) and limit > 0 and len(_pieces(content)) > limit:
        content = "".join(_pieces(content)[:limit])
        finish_reason = "length"
    prompt_text = " ".join(_text_of(m.get("content")) for m in messages if isinstance(m, dict))
    prompt_tokens = _count_tokens(prompt_text) + 4 * len(messages) + 10 * len(images)
    completion_tokens = (len(_pieces(content or "")) + len(_pieces(reasoning or "")) + 12 * len(tool_calls)) or 1
    queue_time = round(0.01 + 0.05 * call.number("queue"), 9)
    prompt_time = round(prompt_tokens * 0.0000503 + 0.002 * call.number("prompt"), 9)
    completion_time = round(completion_tokens * 0.002041 + 0.001 * call.number("completion"), 9)
    usage = {
        "queue_time": queue_time,
        "prompt_tokens": prompt_tokens,
        "prompt_time": prompt_time,
        "completion_tokens": completion_tokens,
        "completion_time": completion_time,
        "total_tokens": prompt_tokens + completion_tokens,
        "total_time": round(prompt_time + completion_time, 9),
    }
    return _Completion(content, reasoning, tool_calls, finish_reason, usage)


def _validate_chat(payload: dict[str, Any]) -> None:
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad_request("'messages' : minimum number of items is 1")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "user",
            "assistant",
            "tool",
            "developer",
        ):
            raise _bad_request(f"'messages.{i}' : discriminator property 'role' has invalid value")


async def _chat_completions(call: _Call) -> Response:
    payload = call.payload
    if payload is None:
        raise _bad_request("The request body must be a JSON object.")
    _validate_chat(payload)
    _require_model(call, "chat", "chat completions")
    completion = _complete(call, payload)
    if payload.get("stream"):
        return _stream_response(call, payload, completion)
    message: dict[str, Any] = {"role": "assistant"}
    if completion.content is not None:
        message["content"] = completion.content
    if completion.reasoning is not None:
        message["reasoning"] = completion.reasoning
    if completion.tool_calls:
        message["tool_calls"] = completion.tool_calls
    body = {
        "id": call.completion_id,
        "object": "chat.completion",
        "created": call.created,
        "model": payload["model"],
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": completion.finish_reason}],
        "usage": completion.usage,
        "usage_breakdown": None,
        "system_fingerprint": call.fingerprint(str(payload["model"])),
        "x_groq": {"id": call.request_id},
        "service_tier": payload.get("service_tier") or "on_demand",
    }
    return _json_response(call, body, tokens_used=completion.usage["total_tokens"])


def _stream_events(call: _Call, payload: dict[str, Any], completion: _Completion) -> list[dict[str, Any]]:
    model = str(payload["model"])
    base = {
        "id": call.completion_id,
        "object": "chat.completion.chunk",
        "created": call.created,
        "model": model,
        "system_fingerprint": call.fingerprint(model),
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**base, "choices": [choice], **extra}

    events = [chunk({"role": "assistant", "content": ""}, x_groq={"id": call.request_id})]
    events += [chunk({"reasoning": piece}) for piece in _pieces(completion.reasoning or "")]
    events += [chunk({"content": piece}) for piece in _pieces(completion.content or "")]
    if completion.tool_calls:
        events.append(chunk({"tool_calls": [{**tc, "index": i} for i, tc in enumerate(completion.tool_calls)]}))
    include_usage = bool((payload.get("stream_options") or {}).get("include_usage"))
    usage = completion.usage
    final_extra: dict[str, Any] = {"x_groq": {"id": call.request_id, "usage": usage}}
    if include_usage:
        final_extra["usage"] = usage
    events.append(chunk({}, completion.finish_reason, **final_extra))
    if include_usage:
        events.append(
            {**base, "choices": [], "usage": usage, "service_tier": payload.get("service_tier") or "on_demand"}
        )
    return events


def _stream_response(call: _Call, payload: dict[str, Any], completion: _Completion) -> Response:
    headers = _headers(call, content_type="text/event-stream", tokens_used=completion.usage["total_tokens"])
    events = _stream_events(call, payload, completion)
    changes = [c for c in (call.config.response_change, call.reply.response_change if call.reply else None) if c]
    if changes:
        events = copy.deepcopy(events)  # chunks share the usage dict; change each chunk on its own
        for change in changes:
            for event in events:
                change.apply(event)
    reply = call.reply or FakeReply()
    delay = reply.event_delay if reply.event_delay is not None else call.config.event_delay
    config, path = call.config, call.path

    async def body() -> AsyncIterator[bytes]:
        frames = [b"data: " + _dumps(event) + b"\n\n" for event in events] + [b"data: [DONE]\n\n"]
        for sent, frame in enumerate(frames):
            if reply.stream_error is not None and sent == reply.error_after_events:
                error = error_body(reply.stream_error, "internal_server_error", "internal_server_error")
                config._count_event(path)
                yield b"event: error\ndata: " + _dumps(error) + b"\n\n"
                return
            if sent and reply.gate is not None and sent == reply.gate_after_events:
                await _wait_for(reply.gate)
            elif sent and delay > 0:
                await anyio.sleep(delay)
            config._count_event(path)
            yield frame

    return StreamingResponse(body(), headers=headers)


async def _wait_for(gate: threading.Event) -> None:
    deadline = time.monotonic() + _GATE_TIMEOUT_SECONDS
    while not gate.is_set() and time.monotonic() < deadline:
        await anyio.sleep(0.002)


# --------------------------------------------------------------------------------------------------- audio


def _require_model(call: _Call, kind: str, what: str) -> ModelInfo | None:
    """The requested model's info (None for ``fail-*`` names); raises Groq's 400/404 when it cannot serve ``what``."""
    if not call.model:
        raise _bad_request("'model' : property 'model' is missing", "missing_required_parameter")
    if call.model in FAIL_MODELS:
        return None
    info = call.config.model(call.model)
    if info is None:
        raise _Reject(_model_not_found(call.model))
    if info.kind != kind:
        raise _bad_request(f"model `{call.model}` does not support {what}", "model_not_supported")
    return info


async def _audio(call: _Call, task: Literal["transcribe", "translate"]) -> Response:
    form = call.form
    if form is None:
        raise _bad_request("The request must be multipart/form-data with 'file' and 'model' fields.")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise _bad_request("file must be provided", "missing_required_parameter")
    _require_model(call, "transcription", "transcriptions or translations")
    audio = await upload.read()
    if not audio:
        raise _bad_request("file is empty: upload the audio to transcribe", "invalid_file")
    response_format = str(form.get("response_format") or "json")
    words = ("OpenAI", "is", "very", "interesting", "one", "Groq", "runs", "fast", "audio", "models")
    digest = hashlib.sha256(audio).digest()
    text = " " + " ".join(words[b % len(words)] for b in digest[: 4 + digest[-1] % 4]) + "."
    if task == "transcribe" and form.get("language") not in (None, "", "en"):
        text = f" [{form.get('language')}]{text}"
    if response_format == "text":
        headers = _headers(call, content_type="text/plain; charset=utf-8")
        return Response(text.encode(), headers=headers)
    if response_format == "json":
        return _json_response(call, {"text": text, "x_groq": {"id": call.request_id}})
    if response_format == "verbose_json":
        duration = round(len(audio) / 16000, 2) or 0.01
        segment = {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": duration,
            "text": text,
            "tokens": [50365 + i for i in range(len(text.split()))],
            "temperature": 0.0,
            "avg_logprob": round(-0.1 - 0.2 * call.number("logprob"), 6),
            "compression_ratio": 0.8,
            "no_speech_prob": round(0.01 * call.number("nospeech"), 6),
        }
        body = {
            "task": task,
            "language": "English",
            "duration": duration,
            "text": text,
            "segments": [segment],
            "x_groq": {"id": call.request_id},
        }
        return _json_response(call, body)
    raise _bad_request(
        f"response_format `{response_format}` is not supported by the local server; use json, text or verbose_json.",
        "invalid_value",
    )


def _wav(text: str, sample_rate: int) -> bytes:
    """A short mono 16-bit WAV: one tone per word (deterministic)."""
    words = text.split() or [""]
    samples = bytearray()
    per_word = max(1, sample_rate // 20)
    for word in words[:40]:
        freq = 220 + 20 * (sum(map(ord, word)) % 24)
        for n in range(per_word):
            value = int(8000 * math.sin(2 * math.pi * freq * n / sample_rate))
            samples += value.to_bytes(2, "little", signed=True)
    return wav_file(bytes(samples), sample_rate)


def wav_file(samples: bytes, sample_rate: int) -> bytes:
    """A mono 16-bit WAV file holding ``samples`` (little-endian signed 16-bit frames)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(samples)
    return out.getvalue()


async def _speech(call: _Call) -> Response:
    payload = call.payload
    if payload is None:
        raise _bad_request("The request body must be a JSON object.")
    text = payload.get("input")
    if not isinstance(text, str) or not text:
        raise _bad_request("'input' : property 'input' is missing", "missing_required_parameter")
    _require_model(call, "speech", "text to speech")
    response_format = payload.get("response_format") or "wav"
    if response_format != "wav":
        raise _bad_request(
            f"response_format `{response_format}` is not supported by the local server; use wav.", "invalid_value"
        )
    sample_rate = payload.get("sample_rate") or 24000
    if sample_rate not in (8000, 16000, 22050, 24000, 32000, 44100, 48000):
        raise _bad_request(f"sample_rate {sample_rate} is not one of 8000, 16000, 22050, 24000, 32000, 44100, 48000")
    headers = _headers(call, content_type="audio/wav", tokens_used=_count_tokens(text))
    return Response(_wav(text, int(sample_rate)), headers=headers)


# --------------------------------------------------------------------------------------------------- models


async def _models(call: _Call) -> Response:
    return _json_response(call, {"object": "list", "data": [m.to_json() for m in call.config.models]})


async def _model(call: _Call) -> Response:
    model_id = str(call.request.path_params["model_id"])
    info = call.config.model(model_id)
    if info is None:
        raise _Reject(_model_not_found(model_id))
    return _json_response(call, info.to_json())


async def _unknown_url(call: _Call) -> Response:
    message = (
        f"Unknown request URL: {call.request.method} {call.path}. Please check the URL for typos, or see the docs "
        "at https://console.groq.com/docs/"
    )
    raise _Reject(FakeReply.error(404, message, "invalid_request_error", "unknown_url"))


# --------------------------------------------------------------------------------------------------- pipeline


def _mask_key(key: str) -> str:
    return f"{key[:6]}{'*' * max(0, len(key) - 10)}{key[-4:]}" if len(key) > 10 else "*" * len(key)


def _auth_failure(config: FakeGroqConfig, request: Request) -> FakeReply | None:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() == "bearer" and is_groq_key(key):
        return None
    if not key:
        message = "Invalid API Key: no key was sent. Pass it as 'Authorization: Bearer gsk_...'."
    else:
        shown = key if config.echo_full_key_in_errors else _mask_key(key)
        message = f"Invalid API Key provided: {shown}"
    return FakeReply.error(401, message, "invalid_request_error", "invalid_api_key")


def _digest_parts(call: _Call) -> list[bytes]:
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


_Handler = Callable[[_Call], Awaitable[Response]]


def _endpoint(config: FakeGroqConfig, handler: _Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with what every Groq endpoint does: count, limit size, authenticate, fault injection."""

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        config._record(ReceivedRequest(request.method, path, request.url.query, tuple(request.headers.items()), body))
        call = _Call(config, request, path, body, reply=None)
        call.digest = hashlib.sha256(b"\0".join(_digest_parts(call))).digest()
        if len(body) > config.max_request_bytes:
            return _canned_response(call, FakeReply.request_too_large())
        failure = _auth_failure(config, request)
        if failure is not None:
            return _canned_response(call, failure)
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
                    raise _bad_request(f"The request body is not valid JSON: {exc}.") from exc
                if not isinstance(parsed, dict):
                    raise _bad_request("The request body must be a JSON object.")
                call.payload = parsed
            return await _dispatch(call, handler, [])
        except _Reject as reject:
            return _canned_response(call, reject.reply)

    return endpoint


async def _dispatch(call: _Call, handler: _Handler, extra_digest: list[bytes]) -> Response:
    parts = _digest_parts(call) + extra_digest
    key = hashlib.sha256(b"\0".join(parts)).hexdigest()
    occurrence = call.config._occurrence(key)
    call.digest = hashlib.sha256(f"{key}#{occurrence}".encode()).digest()
    if call.payload is not None and isinstance(call.payload.get("model"), str):
        call.model = call.payload["model"]
    elif call.form is not None and isinstance(call.form.get("model"), str):
        call.model = str(call.form.get("model"))
    if call.reply is not None and call.reply.is_canned:
        return _canned_response(call, call.reply)
    if call.model in FAIL_MODELS:
        fault = FAIL_MODELS[call.model](call.model)
        if fault.is_canned:
            return _canned_response(call, fault)
        call.reply = fault  # fail-stream: the normal answer, broken mid-stream
    return await handler(call)


def create_app(config: FakeGroqConfig | None = None) -> Starlette:
    """The fake Groq ASGI app; ``app.state.config`` holds the :class:`FakeGroqConfig` it serves with."""
    cfg = config or FakeGroqConfig()
    routes = [
        Route(f"{API_PREFIX}/chat/completions", _endpoint(cfg, _chat_completions), methods=["POST"]),
        Route(
            f"{API_PREFIX}/audio/transcriptions",
            _endpoint(cfg, lambda call: _audio(call, "transcribe")),
            methods=["POST"],
        ),
        Route(
            f"{API_PREFIX}/audio/translations", _endpoint(cfg, lambda call: _audio(call, "translate")), methods=["POST"]
        ),
        Route(f"{API_PREFIX}/audio/speech", _endpoint(cfg, _speech), methods=["POST"]),
        Route(f"{API_PREFIX}/models", _endpoint(cfg, _models), methods=["GET"]),
        Route(f"{API_PREFIX}/models/{{model_id:path}}", _endpoint(cfg, _model), methods=["GET"]),
        Route(
            "/{rest:path}",
            _endpoint(cfg, _unknown_url),
            methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
        ),
    ]
    app = Starlette(routes=routes)
    app.state.config = cfg
    return app


# --------------------------------------------------------------------------------------------------- serving


@dataclass(frozen=True)
class FakeGroqServer:
    """A running fake Groq server and a fake key it accepts."""

    handle: ServerHandle
    config: FakeGroqConfig
    api_key: str

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self.handle.base_url

    @property
    def groq_base_url(self) -> str:
        """The ``base_url`` for ``groq.Groq`` (it appends ``/openai/v1`` itself)."""
        return self.handle.base_url

    @property
    def openai_base_url(self) -> str:
        """The ``base_url`` for ``openai.OpenAI`` (``.../openai/v1``)."""
        return self.handle.base_url + API_PREFIX


@contextmanager
def serve_fake_groq(config: FakeGroqConfig | None = None, *, port: int = 0) -> Iterator[FakeGroqServer]:
    """Run the fake Groq server on 127.0.0.1 for the duration of the block."""
    cfg = config or FakeGroqConfig()
    with run_in_thread(create_app(cfg), "127.0.0.1", port) as handle:
        yield FakeGroqServer(handle=handle, config=cfg, api_key=make_fake_api_key())
