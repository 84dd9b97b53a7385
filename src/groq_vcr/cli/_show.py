"""``groq-vcr show CASSETTE``: a readable (or ``--json``) view of each recorded interaction."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from groq_vcr.cassette import (
    Cassette,
    Headers,
    Interaction,
    Request,
    Response,
    StreamSummary,
    format_go_duration,
    parse_multipart,
    reassemble,
)
from groq_vcr.cli import EXIT_USAGE
from groq_vcr.errors import GroqVcrError, InputError
from groq_vcr.redaction import Redactor

KEY_HEADERS = re.compile(
    r"^(content-type|accept|authorization|api-key|retry-after(-ms)?|x-request-id|x-ratelimit-.*|x-groq-region)$",
    re.IGNORECASE,
)
"""Headers shown without ``--headers``: what tells a reader what happened (type, auth, limits, request id)."""

LONG_STRING = 200
"""JSON strings longer than this are shortened in the text view (base64 images, long answers) unless --full."""


def fail(message: str, hint: str) -> NoReturn:
    """Print ``error: message`` and ``hint: hint`` on stderr and exit 2."""
    click.echo(f"error: {message}", err=True)
    click.echo(f"hint: {hint}", err=True)
    sys.exit(EXIT_USAGE)


def _is_json_type(message: Request | Response) -> bool:
    media = (message.header("Content-Type") or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _json_or_none(message: Request | Response) -> Any:
    if isinstance(message.body, bytes) or not message.body.strip():
        return None
    text = message.body.strip()
    if not (_is_json_type(message) or text[:1] in "{["):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _shorten(value: Any, limit: int) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}…({len(value)} chars)"
    if isinstance(value, dict):
        return {key: _shorten(item, limit) for key, item in value.items()}
    if isinstance(value, list):
        return [_shorten(item, limit) for item in value]
    return value


def multipart_parts(request: Request) -> list[dict[str, Any]] | None:
    """The parts of a multipart/form-data body: name, filename, content type, size (and text value)."""
    body = request.body_bytes
    parts = parse_multipart(body, request.header("Content-Type"))
    if parts is None:
        return None
    described = []
    for part in parts:
        data = body[part.start : part.end]
        facts: dict[str, Any] = {"name": part.name, "size": len(data)}
        if part.filename is not None:
            facts["filename"] = part.filename
            facts["content_type"] = part.content_type
        else:
            facts["value"] = data.decode("utf-8", "replace")
        described.append(facts)
    return described


def stream_facts(summary: StreamSummary) -> dict[str, Any]:
    """A reassembled stream as plain data (the ``--json`` shape)."""
    return {
        "content": summary.content,
        "reasoning": summary.reasoning or None,
        "tool_calls": [call.to_dict() for call in summary.tool_calls],
        "finish_reason": summary.finish_reason,
        "usage": summary.usage,
        "error": summary.error,
        "chunks": summary.chunks,
        "done": summary.terminated_by_done,
        "ended_by": summary.ended_by,
        "api": summary.dialect,
        "incomplete": summary.incomplete,
        "id": summary.id,
        "model": summary.model,
        "x_groq_id": summary.x_groq_id,
    }


def _body_json(message: Request | Response) -> dict[str, Any]:
    if not message.body:
        return {"kind": "empty", "size": 0}
    size = len(message.body_bytes)
    if isinstance(message, Request):  # an upload with a binary file is held as bytes: still split into its parts
        parts = multipart_parts(message)
        if parts is not None:
            return {"kind": "multipart", "size": size, "parts": parts}
    if isinstance(message.body, bytes):
        return {"kind": "binary", "size": size}
    if isinstance(message, Response) and message.is_event_stream:
        return {"kind": "sse", "size": size, "stream": stream_facts(reassemble(message.body))}
    parsed = _json_or_none(message)
    if parsed is not None:
        return {"kind": "json", "size": size, "json": parsed}
    return {"kind": "text", "size": size, "text": message.body}


def interaction_json(interaction: Interaction) -> dict[str, Any]:
    """One interaction as the ``--json`` output describes it."""
    request, response = interaction.request, interaction.response
    return {
        "id": interaction.id,
        "request": {
            "method": request.method,
            "url": request.url,
            "proto": request.proto,
            "headers": request.headers,
            "body": _body_json(request),
        },
        "response": {
            "status": response.status,
            "code": response.code,
            "proto": response.proto,
            "duration": format_go_duration(response.duration),
            "duration_ns": response.duration,
            "headers": response.headers,
            "body": _body_json(response),
        },
    }


def _header_lines(prefix: str, headers: Headers, all_headers: bool) -> list[str]:
    return [
        f"{prefix} {name}: {value}"
        for name, values in headers.items()
        if all_headers or KEY_HEADERS.match(name)
        for value in values
    ]


def _indent(text: str, by: str = "    ") -> list[str]:
    return [by + line for line in text.splitlines()] or [by]


def _body_lines(message: Request | Response, full: bool) -> list[str]:
    described = _body_json(message)
    kind, size = described["kind"], described["size"]
    if kind == "empty":
        return []
    if kind == "binary":
        return [f"  body: binary, {size} bytes"]
    if kind == "multipart":
        lines = [f"  body: multipart/form-data, {size} bytes"]
        for part in described["parts"]:
            if "filename" in part:
                lines.append(
                    f"    {part['name']}: file {part['filename']!r} ({part['content_type']}, {part['size']} bytes)"
                )
            else:
                value = (
                    part["value"] if full or len(part["value"]) <= LONG_STRING else part["value"][:LONG_STRING] + "…"
                )
                lines.append(f"    {part['name']}: {value}")
        return lines
    if kind == "sse":
        return _stream_lines(described["stream"], size, full)
    if kind == "json":
        value = described["json"] if full else _shorten(described["json"], LONG_STRING)
        return [f"  body: JSON, {size} bytes", *_indent(json.dumps(value, indent=2, ensure_ascii=False))]
    text = described["text"]
    return [
        f"  body: text, {size} bytes",
        *_indent(text if full or len(text) <= 4 * LONG_STRING else text[: 4 * LONG_STRING] + "…"),
    ]


def _stream_lines(facts: dict[str, Any], size: int, full: bool) -> list[str]:
    ended_by = facts["ended_by"]
    ending = f"ended by {ended_by}" if ended_by else "error event" if facts["error"] else "no end event"
    if not ended_by and not facts["error"] and facts["api"] == "chat.completions":
        ending = "no [DONE]"
    if facts["incomplete"]:
        ending += ", last event lacks its blank line (dropped by the SDKs)"
    api = "" if facts["api"] == "chat.completions" else f" ({facts['api']})"
    lines = [f"  body: SSE stream{api}, {size} bytes, {facts['chunks']} chunks, {ending}; reassembled:"]

    def text(value: str) -> str:
        return json.dumps(
            value if full or len(value) <= 4 * LONG_STRING else value[: 4 * LONG_STRING] + "…", ensure_ascii=False
        )

    lines.append(f"    content: {text(facts['content'])}")
    if facts["reasoning"]:
        lines.append(f"    reasoning: {text(facts['reasoning'])}")
    for call in facts["tool_calls"]:
        function = call["function"]
        lines.append(f"    tool call {call['id']}: {function['name']}({function['arguments']})")
    lines.append(f"    finish reason: {facts['finish_reason']}")
    if facts["usage"]:
        lines.append("    usage: " + ", ".join(f"{key}={value}" for key, value in facts["usage"].items()))
    if facts["error"]:
        lines.append(f"    error: {json.dumps(facts['error'], ensure_ascii=False)}")
    return lines


def interaction_text(interaction: Interaction, *, full: bool = False, all_headers: bool = False) -> str:
    """One interaction as the text view shows it (``>`` request, ``<`` response, as in ``curl -v``)."""
    request, response = interaction.request, interaction.response
    lines = [f"#{interaction.id} {request.method} {request.url} -> {response.status}"]
    lines.append(f"> {request.method} {request.url} {request.proto}")
    lines += _header_lines(">", request.headers, all_headers)
    lines += _body_lines(request, full)
    lines.append(f"< {response.proto} {response.status} in {format_go_duration(response.duration)}")
    lines += _header_lines("<", response.headers, all_headers)
    lines += _body_lines(response, full)
    return "\n".join(lines)


@click.command("show")
@click.argument("cassette", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (for machines) instead of text.")
@click.option(
    "-i", "--interaction", "only", multiple=True, type=int, metavar="ID", help="Show only these ids (repeatable)."
)
@click.option("--full", is_flag=True, help="Do not shorten long strings (base64 images, long answers).")
@click.option("--headers", "all_headers", is_flag=True, help="Show every header, not only the key ones.")
@click.option("--show-secrets", is_flag=True, help="Print the cassette as it is, secrets included (never the default).")
def show(
    cassette: Path, as_json: bool, only: tuple[int, ...], full: bool, all_headers: bool, show_secrets: bool
) -> None:
    """Show each interaction of CASSETTE: request line, status, duration, key headers, pretty JSON bodies, and
    SSE streams reassembled into the final message (content, reasoning, tool calls, finish reason, usage).

    Everything shown is redacted, even when the cassette itself is not (secrets split across stream events,
    escaped or compressed included), unless --show-secrets asks otherwise.

    \b
    Examples:
      groq-vcr show cassettes/groq_chat_stream.yaml
      groq-vcr show cassettes/qa.yaml -i 2 --full --headers
      groq-vcr show cassettes/qa.yaml --json | jq '.interactions[].response.status'
    """
    from groq_vcr._settings import redactor_for
    from groq_vcr.cassette import load_cassette

    redactor = Redactor()
    try:
        redactor = redactor_for(Path.cwd())
        if not cassette.is_file():
            raise InputError(f"{cassette} does not exist or is not a file")
        loaded: Cassette = load_cassette(cassette)
        if not show_secrets:
            loaded = redactor.redact_cassette(loaded)
    except GroqVcrError as exc:
        if isinstance(exc, InputError):
            hint = "check the path; record one with: groq-vcr record -o CASSETTE --curl '...'"
        else:
            hint = "run groq-vcr check on it to see every problem"
        fail(redactor.redact_text(str(exc)), hint)
    for position, interaction in enumerate(loaded.interactions):
        interaction.id = position
    interactions = [i for i in loaded.interactions if not only or i.id in only]
    if only and not interactions:
        fail(
            f"{cassette} has no interaction with id {', '.join(map(str, only))} (it has {len(loaded.interactions)})",
            "ids start at 0; run without -i to list them",
        )
    if as_json:
        document = {"cassette": str(cassette), "interactions": [interaction_json(i) for i in interactions]}
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    click.echo(f"{cassette}: {len(loaded.interactions)} interaction(s)")
    for interaction in interactions:
        click.echo("")
        click.echo(interaction_text(interaction, full=full, all_headers=all_headers))
