"""Reassembling a recorded stream into its final message, as the SDKs would see it.

Chat completion chunks are read here; the Responses API, Anthropic and Gemini streams by
:mod:`groq_vcr.cassette._stream_dialects`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from groq_vcr.cassette import _stream_dialects as dialects
from groq_vcr.cassette._sse import DONE, SSEEvent, parse_stream
from groq_vcr.cassette._stream_summary import StreamChoice, StreamSummary, ToolCall

__all__ = ["reassemble"]


def _merge_tool_calls(choice: StreamChoice, deltas: list[Any]) -> None:
    by_index = {call.index: call for call in choice.tool_calls}
    for position, delta in enumerate(deltas):
        if not isinstance(delta, dict):
            continue
        index = delta.get("index")
        if not isinstance(index, int):
            index = position
        call = by_index.get(index)
        if call is None:
            call = by_index[index] = ToolCall(index=index)
            choice.tool_calls.append(call)
        if isinstance(delta.get("id"), str):
            call.id = delta["id"]
        if isinstance(delta.get("type"), str):
            call.type = delta["type"]
        function = delta.get("function")
        if isinstance(function, dict):
            # OpenAI streams name and arguments in fragments; Groq sends them whole: concatenation covers both.
            if isinstance(function.get("name"), str):
                call.name += function["name"]
            if isinstance(function.get("arguments"), str):
                call.arguments += function["arguments"]


def _apply_chunk(summary: StreamSummary, chunk: dict[str, Any]) -> None:
    summary.chunks += 1
    for key in ("id", "model", "system_fingerprint"):
        if isinstance(chunk.get(key), str):
            setattr(summary, key, chunk[key])
    x_groq = chunk.get("x_groq")
    if isinstance(x_groq, dict):
        if isinstance(x_groq.get("id"), str):
            summary.x_groq_id = x_groq["id"]
        if isinstance(x_groq.get("usage"), dict):
            summary.usage = x_groq["usage"]
    if isinstance(chunk.get("usage"), dict):
        summary.usage = chunk["usage"]
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        return
    for position, item in enumerate(choices):
        if not isinstance(item, dict):
            continue
        raw_index = item.get("index")
        index = raw_index if isinstance(raw_index, int) else position
        choice = summary.choices.setdefault(index, StreamChoice(index=index))
        delta = item.get("delta")
        if isinstance(delta, dict):
            if isinstance(delta.get("role"), str):
                choice.role = delta["role"]
            if isinstance(delta.get("content"), str):
                choice.content += delta["content"]
            if isinstance(delta.get("reasoning"), str):
                choice.reasoning += delta["reasoning"]
            if isinstance(delta.get("tool_calls"), list):
                _merge_tool_calls(choice, delta["tool_calls"])
        if isinstance(item.get("finish_reason"), str):
            choice.finish_reason = item["finish_reason"]


def reassemble(events: Iterable[SSEEvent] | bytes | str) -> StreamSummary:
    """Reassemble a stream (its events, or the raw body) into its final message.

    Chat completion streams, Responses-API streams (named ``response.*`` events), Anthropic message streams and
    Gemini streams are understood. Reading stops where the SDKs stop: at ``[DONE]``, at the event that completes
    the response, or at an error event (which the SDKs raise as ``APIError``).
    """
    incomplete = False
    if isinstance(events, bytes | str):
        parsed = parse_stream(events)
        events, incomplete = parsed.events, parsed.incomplete is not None
    summary = StreamSummary(incomplete=incomplete)
    known: str | None = None
    for event in events:
        if event.is_done:
            summary.terminated_by_done = True
            summary.ended_by = DONE
            break
        payload = event.json_or_none()
        if event.is_error:
            error = payload["error"]
            summary.error = error if isinstance(error, dict) else {"message": str(error)}
            break
        if not isinstance(payload, dict):
            continue
        known = known or dialects.dialect_of(event, payload)
        if known in (None, dialects.CHAT):
            if event.event is None:
                _apply_chunk(summary, payload)
            continue
        summary.dialect = known
        dialects.apply_event(summary, known, event, payload)
        summary.ended_by = dialects.end_event(known, event, payload)
        if summary.ended_by:
            break
    return summary
