"""Scripted replies: Groq's error answers, the ``fail-*`` model faults, and response changes for drift tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from groq_vcr._groq_api import error_body
from groq_vcr.cassette import format_go_duration

__all__ = ["FAIL_MODELS", "FakeReply", "ResponseChange", "model_not_found"]


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
    def failed_generation(cls, generation: str, *, tool_use: bool = False) -> FakeReply:
        """Groq's 400 for output that failed validation: ``json_validate_failed`` (JSON mode, structured
        outputs) or ``tool_use_failed``, with what the model produced in ``error.failed_generation``."""
        if tool_use:
            message, code = "Failed to call a function. Please adjust your prompt.", "tool_use_failed"
        else:
            message, code = "Failed to generate JSON. Please adjust your prompt.", "json_validate_failed"
        body = error_body(message + " See 'failed_generation' for more details.", "invalid_request_error", code)
        body["error"]["failed_generation"] = generation
        return cls(status=400, json_body=body)

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
    "fail-404": lambda m: model_not_found(m),
    "fail-413": lambda m: FakeReply.request_too_large(),
    "fail-429": lambda m: FakeReply.rate_limited(model=m),
    "fail-498": lambda m: FakeReply.capacity_exceeded(),
    "fail-500": lambda m: FakeReply.server_error(500),
    "fail-502": lambda m: FakeReply.server_error(502),
    "fail-503": lambda m: FakeReply.server_error(503),
    "fail-json": lambda m: FakeReply.failed_generation('{"name": "Lisbon", "population": }'),
    "fail-tool": lambda m: FakeReply.failed_generation(
        '<function=get_weather>{"city": "Lisbon"</function>', tool_use=True
    ),
    "fail-stream": lambda m: FakeReply.stream_failure(),
}
"""Model names that trigger a fault, with the reply each gets. ``fail-stream`` breaks streams with an ``event: error``
frame (a non-streamed call with it succeeds); any other unknown model gets Groq's 404 ``model_not_found``."""


def model_not_found(model: str) -> FakeReply:
    """Groq's 404 ``model_not_found`` for ``model``."""
    return FakeReply.error(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    )
