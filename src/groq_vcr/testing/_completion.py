"""What a chat completion says: a reply derived from the prompt, tool calls, vision "OCR", reasoning and usage."""

from __future__ import annotations

import hashlib
import json
import re
import string
from dataclasses import dataclass
from typing import Any

from groq_vcr.testing._call import Call
from groq_vcr.testing._structured import executed_tools, raw_reasoning, structured_content

__all__ = ["Completion", "complete", "count_tokens", "pieces"]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def count_tokens(text: str) -> int:
    """Tokens as the server counts them: words and punctuation marks."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def pieces(text: str) -> list[str]:
    """Split text into stream-sized pieces (a word with its leading space), rejoining exactly."""
    return re.findall(r"\s*\S+|\s+$", text)


@dataclass
class Completion:
    """What the assistant answers to one chat request, before it is framed as JSON or a stream."""

    content: str | None
    reasoning: str | None
    tool_calls: list[dict[str, Any]]
    finish_reason: str
    usage: dict[str, Any]
    executed_tools: list[dict[str, Any]] | None = None
    """The built-in tools a compound model ran (``groq/compound*``)."""


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


_REASONING_MODELS = ("openai/gpt-oss-", "qwen/qwen3-")
"""Models that reason: ``reasoning`` in the message, or ``<think>`` in the content with ``reasoning_format="raw"``."""

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


def complete(call: Call, payload: dict[str, Any]) -> Completion:
    """The completion for a validated chat ``payload``: a tool call, the "OCR" of its images, or an echo."""
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
        words = re.findall(r"[\w-]+", text)
        last_word = words[-1] if words else ""
        content = structured_content(payload, content, lambda schema: _tool_arguments(schema, last_word)) or content
    reasoning: str | None = None
    wants_reasoning = (
        payload.get("include_reasoning", True) is not False and payload.get("reasoning_format") != "hidden"
    )
    if model.startswith(_REASONING_MODELS) and wants_reasoning:
        reasoning = f"The user wrote {count_tokens(text)} tokens. I should answer briefly and deterministically."
        if payload.get("reasoning_format") == "raw":
            content, reasoning = raw_reasoning(reasoning, content), None
    ran = executed_tools(text) if model.startswith("groq/compound") else None
    limit = payload.get("max_completion_tokens") or payload.get("max_tokens")
    finish_reason = "tool_calls" if tool_calls else "stop"
    if content is not None and isinstance(limit, int) and limit > 0 and len(pieces(content)) > limit:
        content = "".join(pieces(content)[:limit])
        finish_reason = "length"
    prompt_text = " ".join(_text_of(m.get("content")) for m in messages if isinstance(m, dict))
    prompt_tokens = count_tokens(prompt_text) + 4 * len(messages) + 10 * len(images)
    completion_tokens = (len(pieces(content or "")) + len(pieces(reasoning or "")) + 12 * len(tool_calls)) or 1
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
    return Completion(content, reasoning, tool_calls, finish_reason, usage, ran)
