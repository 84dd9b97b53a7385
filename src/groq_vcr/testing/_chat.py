"""``POST /chat/completions``: the request checked, the completion sent as JSON or as an SSE stream.

A stream is Groq's: ``x_groq.id`` on the first chunk, usage on the last, ``[DONE]``; queued replies can pace
it, hold it at a gate, or break it with an ``event: error`` frame.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.responses import Response, StreamingResponse

from groq_vcr._groq_api import error_body
from groq_vcr.testing._call import Call, bad_request, require_model
from groq_vcr.testing._completion import Completion, complete, pieces
from groq_vcr.testing._replies import FakeReply
from groq_vcr.testing._responses import dumps, groq_headers, json_response

__all__ = ["chat_body", "chat_completions", "validate_chat"]

_GATE_TIMEOUT_SECONDS = 30.0


def validate_chat(payload: dict[str, Any]) -> None:
    """Groq's 400 for a chat request without valid ``messages``."""
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' : minimum number of items is 1")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "user",
            "assistant",
            "tool",
            "developer",
        ):
            raise bad_request(f"'messages.{i}' : discriminator property 'role' has invalid value")


async def chat_completions(call: Call) -> Response:
    """``POST /chat/completions``: the completion as a JSON body, or as an SSE stream when ``stream`` is set."""
    payload = call.payload
    if payload is None:
        raise bad_request("The request body must be a JSON object.")
    validate_chat(payload)
    require_model(call, "chat", "chat completions")
    completion = complete(call, payload)
    if payload.get("stream"):
        return _stream_response(call, payload, completion)
    body = chat_body(call, payload, completion)
    return json_response(call, body, tokens_used=completion.usage["total_tokens"])


def chat_body(
    call: Call, payload: dict[str, Any], completion: Completion, completion_id: str | None = None
) -> dict[str, Any]:
    """The ``chat.completion`` object that answers a (non-streamed) chat request."""
    message: dict[str, Any] = {"role": "assistant"}
    if completion.content is not None:
        message["content"] = completion.content
    if completion.reasoning is not None:
        message["reasoning"] = completion.reasoning
    if completion.tool_calls:
        message["tool_calls"] = completion.tool_calls
    if completion.executed_tools is not None:
        message["executed_tools"] = completion.executed_tools
    return {
        "id": completion_id or call.completion_id,
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


def _stream_events(call: Call, payload: dict[str, Any], completion: Completion) -> list[dict[str, Any]]:
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
    if completion.executed_tools is not None:
        events.append(chunk({"executed_tools": completion.executed_tools}))
    events += [chunk({"reasoning": piece}) for piece in pieces(completion.reasoning or "")]
    events += [chunk({"content": piece}) for piece in pieces(completion.content or "")]
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


def _stream_response(call: Call, payload: dict[str, Any], completion: Completion) -> Response:
    headers = groq_headers(call, content_type="text/event-stream", tokens_used=completion.usage["total_tokens"])
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
        frames = [b"data: " + dumps(event) + b"\n\n" for event in events] + [b"data: [DONE]\n\n"]
        for sent, frame in enumerate(frames):
            if reply.stream_error is not None and sent == reply.error_after_events:
                error = error_body(reply.stream_error, "internal_server_error", "internal_server_error")
                config._count_event(path)
                yield b"event: error\ndata: " + dumps(error) + b"\n\n"
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
