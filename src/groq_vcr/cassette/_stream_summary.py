"""What a stream adds up to: the final message of its choices, usage, and how it ended.

Filled by :func:`~groq_vcr.cassette._reassemble.reassemble` from any kind of stream (chat completions, the
Responses API, Anthropic messages, Gemini).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["StreamChoice", "StreamSummary", "ToolCall"]


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
