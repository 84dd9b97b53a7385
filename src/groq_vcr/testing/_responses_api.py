"""``POST /responses``: Groq's OpenAI-compatible Responses API, as a JSON ``response`` or a stream of named events.

The request's ``input`` (a string or a list of message items), ``instructions``, flat function ``tools``,
``tool_choice`` and ``max_output_tokens`` are read into a chat completion (the same deterministic answer the
chat endpoint gives); the answer is then framed as the Responses API frames it: ``output`` items (``reasoning``
for ``openai/gpt-oss-*``, a ``message`` with ``output_text``, ``function_call``) and ``usage`` in
``input_tokens``/``output_tokens``. A stream sends ``event: response.created`` ... ``event: response.completed``
with a ``sequence_number`` on each, and no ``[DONE]``; the ``fail-stream`` model (or a queued
:meth:`FakeReply.stream_failure`) breaks it with an ``event: error``.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.responses import Response, StreamingResponse

from groq_vcr.testing._call import Call, bad_request, require_model
from groq_vcr.testing._completion import Completion, complete, pieces
from groq_vcr.testing._responses import dumps, groq_headers, json_response

__all__ = ["responses"]


def _item_id(call: Call, prefix: str, label: str) -> str:
    return call.object_id(prefix, label)


def _content_text(content: Any) -> Any:
    """A Responses message's content as chat content (``input_text`` parts become text parts)."""
    if not isinstance(content, list):
        return content
    return [
        {"type": "text", "text": part.get("text", "")}
        for part in content
        if isinstance(part, dict) and part.get("type") in ("input_text", "output_text", "text")
    ]


def _chat_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The chat request a Responses request amounts to; raises Groq's 400 for a malformed ``input``."""
    given = payload.get("input")
    messages: list[dict[str, Any]] = []
    if isinstance(payload.get("instructions"), str):
        messages.append({"role": "system", "content": payload["instructions"]})
    if isinstance(given, str):
        messages.append({"role": "user", "content": given})
    elif isinstance(given, list) and given:
        for i, item in enumerate(given):
            if not isinstance(item, dict):
                raise bad_request(f"'input.{i}' : value must be an object")
            if item.get("type") in (None, "message") and "role" in item:
                messages.append({"role": item["role"], "content": _content_text(item.get("content"))})
            elif item.get("type") == "function_call_output":
                messages.append({"role": "tool", "content": str(item.get("output", ""))})
    else:
        raise bad_request("'input' : property 'input' is missing", "missing_required_parameter")
    tools = [
        {"type": "function", "function": {k: v for k, v in tool.items() if k != "type"}}
        for tool in payload.get("tools") or []
        if isinstance(tool, dict) and tool.get("type") == "function"
    ]
    choice = payload.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function":
        choice = {"type": "function", "function": {"name": choice.get("name")}}
    reasoning = payload.get("reasoning")
    return {
        "model": payload.get("model"),
        "messages": messages,
        "tools": tools,
        "tool_choice": choice,
        "max_completion_tokens": payload.get("max_output_tokens"),
        "include_reasoning": not (isinstance(reasoning, dict) and reasoning.get("effort") == "none"),
    }


def _output_items(call: Call, completion: Completion) -> list[dict[str, Any]]:
    """The completed ``output`` items: reasoning, then the message or the function calls."""
    items: list[dict[str, Any]] = []
    if completion.reasoning is not None:
        items.append(
            {
                "type": "reasoning",
                "id": _item_id(call, "rs", "reasoning"),
                "status": "completed",
                "summary": [],
                "content": [{"type": "reasoning_text", "text": completion.reasoning}],
            }
        )
    for i, tool_call in enumerate(completion.tool_calls):
        items.append(
            {
                "type": "function_call",
                "id": _item_id(call, "fc", f"function-call-{i}"),
                "status": "completed",
                "call_id": tool_call["id"],
                "name": tool_call["function"]["name"],
                "arguments": tool_call["function"]["arguments"],
            }
        )
    if completion.content is not None:
        items.append(
            {
                "type": "message",
                "id": _item_id(call, "msg", "message"),
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": completion.content, "annotations": [], "logprobs": []}],
            }
        )
    return items


def _usage(completion: Completion) -> dict[str, Any]:
    usage = completion.usage
    return {
        "input_tokens": usage["prompt_tokens"],
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": usage["completion_tokens"],
        "output_tokens_details": {"reasoning_tokens": len(pieces(completion.reasoning or ""))},
        "total_tokens": usage["total_tokens"],
    }


def _response_object(call: Call, payload: dict[str, Any], completion: Completion, *, done: bool) -> dict[str, Any]:
    incomplete = completion.finish_reason == "length"
    status = ("incomplete" if incomplete else "completed") if done else "in_progress"
    text = payload.get("text") if isinstance(payload.get("text"), dict) else {"format": {"type": "text"}}
    return {
        "id": _item_id(call, "resp", "response"),
        "object": "response",
        "status": status,
        "created_at": call.created,
        "output": _output_items(call, completion) if done else [],
        "previous_response_id": None,
        "model": payload["model"],
        "reasoning": payload.get("reasoning"),
        "max_output_tokens": payload.get("max_output_tokens"),
        "instructions": payload.get("instructions"),
        "text": text,
        "tools": payload.get("tools") or [],
        "tool_choice": payload.get("tool_choice") or "auto",
        "truncation": "disabled",
        "metadata": payload.get("metadata") or {},
        "temperature": payload.get("temperature", 1),
        "top_p": payload.get("top_p", 1),
        "user": None,
        "service_tier": payload.get("service_tier") or "default",
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if done and incomplete else None,
        "usage": _usage(completion) if done else None,
        "parallel_tool_calls": payload.get("parallel_tool_calls", True),
        "store": False,
        "background": False,
    }


async def responses(call: Call) -> Response:
    """``POST /responses``: the response object as JSON, or its events as an SSE stream when ``stream`` is set."""
    payload = call.payload
    if payload is None:
        raise bad_request("The request body must be a JSON object.")
    chat = _chat_payload(payload)
    require_model(call, "chat", "the Responses API")
    completion = complete(call, chat)
    if payload.get("stream"):
        return _stream_response(call, payload, completion)
    body = _response_object(call, payload, completion, done=True)
    return json_response(call, body, tokens_used=completion.usage["total_tokens"])


def _item_events(index: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    """The events that build one output item: added, its deltas and dones, done."""
    base = {"output_index": index, "item_id": item["id"]}
    kind = item["type"]
    events: list[dict[str, Any]] = []
    if kind == "function_call":
        events.append(
            {
                "type": "response.output_item.added",
                "output_index": index,
                "item": {**item, "arguments": "", "status": "in_progress"},
            }
        )
        events += [
            {"type": "response.function_call_arguments.delta", **base, "delta": piece}
            for piece in pieces(item["arguments"])
        ]
        events.append({"type": "response.function_call_arguments.done", **base, "arguments": item["arguments"]})
    else:
        parts = item["content"]
        events.append(
            {
                "type": "response.output_item.added",
                "output_index": index,
                "item": {**item, "status": "in_progress", "content": []},
            }
        )
        text_kind = "reasoning_text" if kind == "reasoning" else "output_text"
        for c, part in enumerate(parts):
            at = {**base, "content_index": c}
            empty = {**part, "text": ""}
            events.append({"type": "response.content_part.added", **at, "part": empty})
            delta_extra: dict[str, Any] = {"logprobs": []} if text_kind == "output_text" else {}
            events += [
                {"type": f"response.{text_kind}.delta", **at, "delta": piece, **delta_extra}
                for piece in pieces(part["text"])
            ]
            events.append({"type": f"response.{text_kind}.done", **at, "text": part["text"], **delta_extra})
            events.append({"type": "response.content_part.done", **at, "part": part})
    events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return events


def _stream_events(call: Call, payload: dict[str, Any], completion: Completion) -> list[dict[str, Any]]:
    started = _response_object(call, payload, completion, done=False)
    finished = _response_object(call, payload, completion, done=True)
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
    ]
    for index, item in enumerate(finished["output"]):
        events += _item_events(index, item)
    closing = "response.incomplete" if finished["status"] == "incomplete" else "response.completed"
    events.append({"type": closing, "response": finished})
    return [{**event, "sequence_number": n} for n, event in enumerate(events)]


def _stream_response(call: Call, payload: dict[str, Any], completion: Completion) -> Response:
    headers = groq_headers(call, content_type="text/event-stream", tokens_used=completion.usage["total_tokens"])
    events = _stream_events(call, payload, completion)
    changes = [c for c in (call.config.response_change, call.reply.response_change if call.reply else None) if c]
    if changes:
        events = copy.deepcopy(events)
        for change in changes:
            for event in events:
                change.apply(event)
    reply = call.reply
    delay = reply.event_delay if reply is not None and reply.event_delay is not None else call.config.event_delay
    config, path = call.config, call.path

    async def body() -> AsyncIterator[bytes]:
        for sent, event in enumerate(events):
            if reply is not None and reply.stream_error is not None and sent == reply.error_after_events:
                # The Responses API's own error event: no `error` wrapper, the fields at the top level.
                error = {"type": "error", "code": "internal_server_error", "message": reply.stream_error}
                config._count_event(path)
                yield b"event: error\ndata: " + dumps({**error, "param": None, "sequence_number": sent}) + b"\n\n"
                return
            if sent and delay > 0:
                await anyio.sleep(delay)
            config._count_event(path)
            yield f"event: {event['type']}\n".encode() + b"data: " + dumps(event) + b"\n\n"

    return StreamingResponse(body(), headers=headers)
