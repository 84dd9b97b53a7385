"""Streams that are not chat completions: the Responses API, Anthropic messages and Gemini, reassembled.

Each function reads one decoded event payload into a :class:`~groq_vcr.cassette._stream_summary.StreamSummary`, filling
the same fields a chat completion stream fills (content, reasoning, tool calls, finish reason, usage), so that
``groq-vcr show`` and the schema checks read every kind of stream alike. :func:`dialect_of` tells the kinds
apart from the first event that carries data.
"""

from __future__ import annotations

import json
from typing import Any

from groq_vcr.cassette._sse import SSEEvent
from groq_vcr.cassette._stream_summary import StreamChoice, StreamSummary, ToolCall

__all__ = ["CHAT", "GEMINI", "MESSAGES", "RESPONSES", "apply_event", "dialect_of", "end_event"]

CHAT = "chat.completions"
RESPONSES = "responses"
MESSAGES = "anthropic.messages"
GEMINI = "gemini"

_MESSAGES_EVENTS = frozenset(
    {"message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta"}
)


def _kind(event: SSEEvent, payload: dict[str, Any]) -> str:
    """The event's name: its ``event:`` field, else the payload's ``type`` (both name the same thing)."""
    kind = payload.get("type")
    return event.event or (kind if isinstance(kind, str) else "")


def dialect_of(event: SSEEvent, payload: dict[str, Any]) -> str | None:
    """Which kind of stream an event with a JSON object payload belongs to (None: cannot tell from it)."""
    kind = _kind(event, payload)
    if kind.startswith("response."):
        return RESPONSES
    if kind in _MESSAGES_EVENTS:
        return MESSAGES
    if "candidates" in payload or "usageMetadata" in payload:
        return GEMINI
    if "choices" in payload or payload.get("object") == "chat.completion.chunk":
        return CHAT
    return None


def end_event(dialect: str, event: SSEEvent, payload: dict[str, Any]) -> str | None:
    """The name of the event that completes a stream of ``dialect``, if ``event`` is it."""
    kind = _kind(event, payload)
    if dialect == RESPONSES and kind in ("response.completed", "response.incomplete", "response.failed"):
        return kind
    if dialect == MESSAGES and kind == "message_stop":
        return kind
    if dialect == GEMINI:  # Gemini has no closing event: its last chunk carries the finish reason
        candidates = payload.get("candidates")
        if isinstance(candidates, list) and any(isinstance(c, dict) and c.get("finishReason") for c in candidates):
            return "finishReason"
    return None


def apply_event(summary: StreamSummary, dialect: str, event: SSEEvent, payload: dict[str, Any]) -> None:
    """Add one payload of a Responses, Anthropic or Gemini stream to ``summary``."""
    if dialect == RESPONSES:
        _responses(summary, _kind(event, payload), payload)
    elif dialect == MESSAGES:
        _messages(summary, _kind(event, payload), payload)
    elif dialect == GEMINI:
        _gemini(summary, payload)


def _choice(summary: StreamSummary, index: int = 0) -> StreamChoice:
    return summary.choices.setdefault(index, StreamChoice(index=index))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _responses(summary: StreamSummary, kind: str, payload: dict[str, Any]) -> None:
    summary.chunks += 1
    choice = _choice(summary)
    response = payload.get("response")
    if isinstance(response, dict):
        summary.id = _text(response.get("id")) or summary.id
        summary.model = _text(response.get("model")) or summary.model
        if isinstance(response.get("usage"), dict):
            summary.usage = response["usage"]
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            choice.finish_reason = _text(response.get("status")) or kind.removeprefix("response.")
        if isinstance(response.get("error"), dict):
            summary.error = response["error"]
    if kind == "response.output_text.delta":
        choice.content += _text(payload.get("delta"))
    elif kind in ("response.reasoning_text.delta", "response.reasoning_summary_text.delta"):
        choice.reasoning += _text(payload.get("delta"))
    elif kind == "response.output_item.added":
        item = payload.get("item")
        if isinstance(item, dict) and item.get("type") == "function_call":
            _add_call(choice, payload.get("output_index"), item.get("call_id"), _text(item.get("name")))
    elif kind == "response.function_call_arguments.delta":
        call = _call_at(choice, payload.get("output_index"))
        call.arguments += _text(payload.get("delta"))
    elif kind == "error":
        summary.error = payload


def _messages(summary: StreamSummary, kind: str, payload: dict[str, Any]) -> None:
    summary.chunks += 1
    choice = _choice(summary)
    if kind == "message_start" and isinstance(payload.get("message"), dict):
        message = payload["message"]
        summary.id = _text(message.get("id")) or summary.id
        summary.model = _text(message.get("model")) or summary.model
        choice.role = _text(message.get("role")) or choice.role
        if isinstance(message.get("usage"), dict):
            summary.usage = dict(message["usage"])
    elif kind == "content_block_start" and isinstance(payload.get("content_block"), dict):
        block = payload["content_block"]
        if block.get("type") == "tool_use":
            _add_call(choice, payload.get("index"), block.get("id"), _text(block.get("name")))
        elif block.get("type") == "text":
            choice.content += _text(block.get("text"))
    elif kind == "content_block_delta" and isinstance(payload.get("delta"), dict):
        delta = payload["delta"]
        if delta.get("type") == "text_delta":
            choice.content += _text(delta.get("text"))
        elif delta.get("type") == "thinking_delta":
            choice.reasoning += _text(delta.get("thinking"))
        elif delta.get("type") == "input_json_delta":
            _call_at(choice, payload.get("index")).arguments += _text(delta.get("partial_json"))
    elif kind == "message_delta":
        delta = payload.get("delta")
        if isinstance(delta, dict) and isinstance(delta.get("stop_reason"), str):
            choice.finish_reason = delta["stop_reason"]
        if isinstance(payload.get("usage"), dict):
            summary.usage = {**(summary.usage or {}), **payload["usage"]}


def _gemini(summary: StreamSummary, payload: dict[str, Any]) -> None:
    summary.chunks += 1
    summary.id = _text(payload.get("responseId")) or summary.id
    summary.model = _text(payload.get("modelVersion")) or summary.model
    if isinstance(payload.get("usageMetadata"), dict):
        summary.usage = payload["usageMetadata"]
    candidates = payload.get("candidates")
    for position, candidate in enumerate(candidates if isinstance(candidates, list) else []):
        if not isinstance(candidate, dict):
            continue
        index = candidate.get("index")
        choice = _choice(summary, index if isinstance(index, int) else position)
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        for part in parts if isinstance(parts, list) else []:
            if not isinstance(part, dict):
                continue
            if isinstance(part.get("functionCall"), dict):
                call = part["functionCall"]
                added = _add_call(choice, None, call.get("id"), _text(call.get("name")))
                added.arguments = json.dumps(call.get("args", {}), ensure_ascii=False)
            elif part.get("thought") is True:
                choice.reasoning += _text(part.get("text"))
            else:
                choice.content += _text(part.get("text"))
        if isinstance(content, dict) and isinstance(content.get("role"), str):
            choice.role = content["role"]
        if isinstance(candidate.get("finishReason"), str):
            choice.finish_reason = candidate["finishReason"]


def _add_call(choice: StreamChoice, index: Any, call_id: Any, name: str) -> ToolCall:
    position = index if isinstance(index, int) else len(choice.tool_calls)
    call = ToolCall(index=position, id=call_id if isinstance(call_id, str) else None, type="function", name=name)
    choice.tool_calls.append(call)
    return call


def _call_at(choice: StreamChoice, index: Any) -> ToolCall:
    for call in choice.tool_calls:
        if call.index == index:
            return call
    return _add_call(choice, index, None, "")
