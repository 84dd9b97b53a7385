"""What a replayed answer is, whatever sends it: status, headers and the body in the chunks a client reads.

The one place that turns a recorded interaction (or an answer fault) into a reply. The httpx/httpx2
interception wraps a :class:`Reply` into an ``httpx.Response``; the replay server writes it over HTTP. An event
stream is cut into one chunk per SSE event, so clients read it event by event as they did live.
"""

from __future__ import annotations

from dataclasses import dataclass

from groq_vcr.cassette import Interaction, split_events
from groq_vcr.engine._options import RetryAfter
from groq_vcr.faults import BodyAlteration, ErrorResponse

__all__ = ["Reply", "alter_chunks", "fault_reply", "reply_for", "retry_after_headers"]


@dataclass(frozen=True)
class Reply:
    """A response ready to send: status line, headers in order, and the body's chunks."""

    status: int
    reason: str
    http_version: str
    """``HTTP/1.1``, ``HTTP/2``..."""
    headers: list[tuple[str, str]]
    chunks: list[bytes]
    cut_short: bool = False
    """A body fault ends it before the whole recorded body (a cut, an ``event: error`` frame before the end, a
    dropped connection): the client never gets the complete answer."""


def reply_for(
    interaction: Interaction, *, retry_after: RetryAfter = RetryAfter.FAST, alteration: BodyAlteration | None = None
) -> Reply:
    """The reply that replays ``interaction``.

    ``Content-Length`` is made to fit the stored body (redaction may have changed its length) and dropped when a
    body fault ends it early; ``Content-Encoding`` is dropped for a body stored decompressed; ``retry-after`` is
    made fast as ``retry_after`` says.
    """
    recorded = interaction.response
    body = recorded.body_bytes
    chunks = split_events(body) if recorded.is_event_stream else ([body] if body else [])
    headers: list[tuple[str, str]] = []
    for name, values in recorded.headers.items():
        lowered = name.lower()
        if lowered == "content-encoding" and recorded.uncompressed:
            continue
        if lowered == "content-length" and alteration is not None and alteration.end_after is not None:
            continue  # the body is no longer what Content-Length announced
        headers.extend((name, str(len(body)) if lowered == "content-length" else value) for value in values)
    cut_short = False
    if alteration is not None:
        cut_short = alteration.cuts_short(len(chunks))
        chunks = alter_chunks(chunks, alteration)
    http_version = "HTTP/2" if recorded.proto_major == 2 else recorded.proto
    reason = recorded.status.partition(" ")[2]
    return Reply(recorded.code, reason, http_version, retry_after_headers(headers, retry_after), chunks, cut_short)


def fault_reply(fault: ErrorResponse, *, retry_after: RetryAfter = RetryAfter.FAST) -> Reply:
    """The reply of an answer fault: Groq's error status, body and headers."""
    headers = [*fault.headers, ("Content-Length", str(len(fault.body)))]
    chunks = [fault.body] if fault.body else []
    return Reply(fault.status, "", "HTTP/1.1", retry_after_headers(headers, retry_after), chunks)


def alter_chunks(chunks: list[bytes], alteration: BodyAlteration) -> list[bytes]:
    """The chunks a body alteration delivers before it ends (an ``event: error`` frame included)."""
    if alteration.end_after is None:
        return chunks
    kept = chunks[: alteration.end_after]
    return [*kept, alteration.error_frame] if alteration.ending == "error" else kept


def retry_after_headers(headers: list[tuple[str, str]], mode: RetryAfter) -> list[tuple[str, str]]:
    """Replayed headers with ``retry-after`` made fast as ``mode`` says (see :class:`RetryAfter`)."""
    if mode == RetryAfter.RECORDED or not any(name.lower() in ("retry-after", "retry-after-ms") for name, _ in headers):
        return headers
    out: list[tuple[str, str]] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == "retry-after-ms":
            continue
        if lowered == "retry-after" and mode == RetryAfter.ZERO:
            value = "0"
        out.append((name, value))
    out.append(("Retry-After-Ms", "1"))
    return out
