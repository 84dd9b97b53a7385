"""Server-sent events: parse a recorded stream exactly as the ``groq`` and ``openai`` SDKs do, and reassemble it.

The SDKs split the byte stream into events on a blank line (``\\n\\n``, ``\\r\\n\\r\\n`` or ``\\r\\r``), read the
``event:``, ``data:``, ``id:`` and ``retry:`` fields line by line, skip ``:`` comments and silently drop a final
event that lacks its terminating blank line. ``data: [DONE]`` ends a chat completion stream. This module
reproduces those rules so that what we report about a cassette is what the SDK will see on replay; unlike the
SDKs, it reports a dropped final event as :attr:`ParsedStream.incomplete` instead of losing it.

:func:`split_events` cuts a raw body into the exact byte chunks of each event (the replay engine yields one per
read); :mod:`groq_vcr.cassette._reassemble` turns a stream back into the final message.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["DONE", "ParsedStream", "SSEEvent", "parse_events", "parse_stream", "split_events"]

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
