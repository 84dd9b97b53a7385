"""Server-sent events: parse a recorded stream exactly as the ``groq`` and ``openai`` SDKs do, and reassemble it.

The SDKs split the byte stream into events on a blank line (``\\n\\n``, ``\\r\\n\\r\\n`` or ``\\r\\r``), read the
``event:``, ``data:``, ``id:`` and ``retry:`` fields line by line, skip ``:`` comments and silently drop a final
event that lacks its terminating blank line. ``data: [DONE]`` ends a chat completion stream. This module
reproduces those rules so that what we report about a cassette is what the SDK will see on replay; unlike the
SDKs, it reports a dropped final event as :attr:`ParsedStream.incomplete` instead of losing it.

:func:`split_events` cuts a raw body into the exact byte chunks of each event (the replay engine yields one per
read); :func:`reassemble` turns a chat completion stream back into the final message.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DONE",
    "ParsedStream",
    "SSEEvent",
    "StreamChoice",
    "StreamSummary",
    "ToolCall",
    "parse_events",
    "parse_stream",
    "reassemble",
    "split_events",
]

DONE = "[DONE]"
_SEPARATORS = (b"\r\r", b"\n\n", b"\r\n\r\n")


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched event: its fields after the SDKs' decoding rules (``data`` lines joined by ``\\n``)."""

    data: str = ""
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    @property
    def kind(self) -> str:
        """The event type as the SSE spec names it: ``message`` when no ``event:`` field was sent."""
        return self.event or "message"

    @property
    def is_done(self) -> bool:
        """Whether this is the ``[DONE]`` sentinel that ends an OpenAI-style stream (the SDKs test a prefix)."""
        return self.data.startswith(DONE)

    @property
    def is_error(self) -> bool:
        """Whether the SDKs raise ``APIError`` on this event (an ``event: error`` frame or a data chunk with
        a truthy ``"error"``)."""
        if self.is_done:
            return False
        payload = self.json_or_none()
        if not isinstance(payload, dict) or not payload.get("error"):
            return False
        return self.event is None or self.event == "error"

    def json(self) -> Any:
        """The data decoded as JSON (raises ``json.JSONDecodeError`` like the SDKs do)."""
        return json.loads(self.data)

    def json_or_none(self) -> Any:
        """The data decoded as JSON, or None when it is not JSON (``[DONE]``, plain text)."""
        try:
            return json.loads(self.data)
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands of levels deep
            return None


@dataclass(frozen=True)
class ParsedStream:
    """A parsed SSE body: the events the SDKs dispatch, and a final event they would drop."""

    events: list[SSEEvent]
    incomplete: SSEEvent | None = None
    """Fields of a last event that has no terminating blank line: the SDKs silently drop it."""

    @property
    def terminated_by_done(self) -> bool:
        """Whether a ``[DONE]`` event was dispatched."""
        return any(event.is_done for event in self.events)


class _Decoder:
    """The SDKs' line-level state machine (WHATWG event-stream interpretation as the SDKs implement it)."""

    def __init__(self) -> None:
        self.event: str | None = None
        self.data: list[str] = []
        self.last_event_id: str | None = None
        self.retry: int | None = None
        self.pending = False

    def feed(self, line: str) -> SSEEvent | None:
        if not line:
            if not self.event and not self.data and not self.last_event_id and self.retry is None:
                return None
            sse = SSEEvent(data="\n".join(self.data), event=self.event or None, id=self.last_event_id, retry=self.retry)
            # As in the SDKs (and the spec), the last event id survives the dispatch.
            self.event, self.data, self.retry, self.pending = None, [], None, False
            return sse
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry":
            with contextlib.suppress(ValueError):
                self.retry = int(value)
        else:
            return None
        self.pending = True
        return None


def split_events(body: bytes | str) -> list[bytes]:
    """Split a raw SSE body into the exact byte chunks of its events, each with its terminating blank line.

    ``b"".join(split_events(body)) == body`` always holds; a trailing partial event is the last chunk. Fed one
    by one to the SDKs, the chunks decode to the same events as the whole body.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else body
    chunks: list[bytes] = []
    pending: list[bytes] = []
    tail = b""
    for line in raw.splitlines(keepends=True):
        pending.append(line)
        # The separator may straddle two lines ("\r\n" + "\r\n"), so look at the last four bytes seen.
        tail = (tail + line)[-4:]
        if tail.endswith(_SEPARATORS):
            chunks.append(b"".join(pending))
            pending, tail = [], b""
    if pending:
        chunks.append(b"".join(pending))
    return chunks


def parse_stream(body: bytes | str) -> ParsedStream:
    """Parse an SSE body into the events the SDKs would dispatch, plus a final event they would drop."""
    decoder = _Decoder()
    events: list[SSEEvent] = []
    for chunk in split_events(body):
        # Split before decoding, so that only \r and \n end lines (as in the SDKs).
        for raw_line in chunk.splitlines():
            sse = decoder.feed(raw_line.decode("utf-8", errors="replace"))
            if sse is not None:
                events.append(sse)
    incomplete = None
    if decoder.pending:
        incomplete = SSEEvent(
            data="\n".join(decoder.data), event=decoder.event or None, id=decoder.last_event_id, retry=decoder.retry
        )
    return ParsedStream(events=events, incomplete=incomplete)


def parse_events(body: bytes | str) -> list[SSEEvent]:
    """The events the SDKs would dispatch from ``body`` (a final event without its blank line is dropped)."""
    return parse_stream(body).events


@dataclass
class ToolCall:
    """A tool call of the final message, merged from its deltas by ``index``."""

    index: int
    id: str | None = None
    type: str | None = None
    name: str = ""
    arguments: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The tool call in the shape of a non-streamed ``message.tool_calls`` item."""
        return {
            "id": self.id,
            "type": self.type or "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass
class StreamChoice:
    """One choice of a reassembled chat completion stream."""

    index: int
    role: str | None = None
    content: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None


@dataclass
class StreamSummary:
    """What a chat completion stream adds up to: the final message, usage and how the stream ended."""

    id: str | None = None
    model: str | None = None
    x_groq_id: str | None = None
    system_fingerprint: str | None = None
    choices: dict[int, StreamChoice] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    """The error payload of an ``event: error`` frame or an ``{"error": ...}`` chunk (the SDKs raise on it)."""
    terminated_by_done: bool = False
    ended_by: str | None = None
    """The event that completed the stream: ``[DONE]``, ``response.completed``, ``message_stop``..."""
    dialect: str = "chat.completions"
    """Which API streamed it: ``chat.completions``, ``responses``, ``anthropic.messages`` or ``gemini``."""
    chunks: int = 0
    """How many JSON chunks were read."""
    incomplete: bool = False
    """Whether the body ended with an event that lacks its terminating blank line (the SDKs drop it)."""

    def _first(self) -> StreamChoice:
        return self.choices[min(self.choices)] if self.choices else StreamChoice(index=0)

    @property
    def content(self) -> str:
        """The text of the first choice."""
        return self._first().content

    @property
    def reasoning(self) -> str:
        """The reasoning text of the first choice (gpt-oss models stream ``delta.reasoning``)."""
        return self._first().reasoning

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls of the first choice."""
        return self._first().tool_calls

    @property
    def finish_reason(self) -> str | None:
        """The finish reason of the first choice."""
        return self._first().finish_reason

    def to_message(self) -> dict[str, Any]:
        """The first choice as a non-streamed ``choices[0].message`` dict (empty fields left out)."""
        choice = self._first()
        message: dict[str, Any] = {"role": choice.role or "assistant", "content": choice.content}
        if choice.reasoning:
            message["reasoning"] = choice.reasoning
        if choice.tool_calls:
            message["tool_calls"] = [call.to_dict() for call in choice.tool_calls]
        return message


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
    from groq_vcr.cassette import _stream_dialects as dialects  # it builds on this module's classes

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
