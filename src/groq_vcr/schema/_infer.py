"""Response schemas: what shape a response has, never its values.

A :class:`Schema` is every key path of a response with the set of JSON types seen there (``str``, ``int``,
``float``, ``bool``, ``null``, ``object``, ``array``; list items under ``path[]``, described by the union of all
items). For an SSE stream it is the union of its chunks plus a few stream facts (event kinds, ``[DONE]``, a usage
chunk). Ids, timestamps, generated text and timings therefore never show up as differences, and a stream that
gains a chunk of a known shape has the same schema.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from groq_vcr.cassette import Interaction, Request, Response, parse_stream
from groq_vcr.cassette._stream_dialects import RESPONSES, dialect_of
from groq_vcr.errors import GroqVcrError

__all__ = [
    "Schema",
    "StreamFacts",
    "ancestors",
    "display_path",
    "ordered_types",
    "schema_of",
    "schema_of_body",
    "schema_of_chunks",
    "schema_of_interaction",
    "schema_of_json",
    "schema_of_sse",
    "show_types",
]

TYPE_ORDER = ("object", "array", "str", "int", "float", "bool", "null")
"""Every type name a schema uses, in display order."""
ROOT = ""
"""The path of the whole body (shown as ``<root>``)."""

BodyKind = Literal["json", "sse", "text", "binary", "empty"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")
_PATH_TOKEN = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_\-]*)|(\[\])|(\["(?:[^"\\]|\\.)*"\])')


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    raise TypeError(f"{type(value).__name__} is not a JSON value; schema_of_json() takes decoded JSON.")


def _child(path: str, key: str) -> str:
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _parent(path: str) -> str | None:
    """The path one level up, or None for the root."""
    if path == ROOT:
        return None
    tokens = [m.group(0) for m in _PATH_TOKEN.finditer(path)]
    return "".join(tokens[:-1]).lstrip(".")


def ancestors(path: str) -> list[str]:
    """From the parent up to (and including) the root."""
    found = []
    parent = _parent(path)
    while parent is not None:
        found.append(parent)
        parent = _parent(parent)
    return found


def _walk(value: Any, path: str, acc: dict[str, set[str]]) -> None:
    name = _type_name(value)
    acc.setdefault(path, set()).add(name)
    if name == "object":
        for key, item in value.items():
            _walk(item, _child(path, str(key)), acc)
    elif name == "array":
        items = f"{path}[]"
        # An empty set records "a list was seen, but never an item": its items are unobserved, not absent.
        acc.setdefault(items, set())
        for item in value:
            _walk(item, items, acc)


def ordered_types(names: Iterable[str]) -> tuple[str, ...]:
    """Type names in display order."""
    names = set(names)
    return tuple(name for name in TYPE_ORDER if name in names)


def show_types(names: Iterable[str]) -> str:
    """``str | null``, or ``no items`` for the items of a list never seen with one."""
    shown = ordered_types(names)
    return " | ".join(shown) if shown else "no items"


def display_path(path: str) -> str:
    """A path as reports show it (the root is ``<root>``)."""
    return path or "<root>"


@dataclass(frozen=True)
class StreamFacts:
    """Facts about an SSE stream that are part of its shape. ``None`` means unknown (not compared)."""

    event_kinds: frozenset[str] = frozenset()
    """SSE event types dispatched (``message`` when the frame has no ``event:`` field)."""
    terminated_by_done: bool | None = None
    has_usage_chunk: bool | None = None
    """Whether a chunk carries ``usage`` or ``x_groq.usage``."""
    incomplete: bool | None = None
    """Whether the body ends with an event lacking its blank line (the SDKs silently drop it)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "event_kinds": sorted(self.event_kinds),
            "terminated_by_done": self.terminated_by_done,
            "has_usage_chunk": self.has_usage_chunk,
            "incomplete": self.incomplete,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StreamFacts:
        """Inverse of :meth:`to_dict`."""
        return cls(
            event_kinds=frozenset(data.get("event_kinds", ())),
            terminated_by_done=data.get("terminated_by_done"),
            has_usage_chunk=data.get("has_usage_chunk"),
            incomplete=data.get("incomplete"),
        )


@dataclass(frozen=True)
class Schema:
    """The shape of a response: key path -> JSON type names, plus body kind, stream facts and HTTP facts."""

    paths: Mapping[str, frozenset[str]] = field(default_factory=dict)
    kind: BodyKind = "json"
    stream: StreamFacts | None = None
    status: int | None = None
    """HTTP status code, when the schema was taken from a response."""
    content_type: str | None = None
    """Media type without parameters, when known."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (types in a fixed order, paths sorted)."""
        return {
            "kind": self.kind,
            "status": self.status,
            "content_type": self.content_type,
            "paths": {path: list(ordered_types(self.paths[path])) for path in sorted(self.paths)},
            "stream": self.stream.to_dict() if self.stream is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        """Inverse of :meth:`to_dict`."""
        stream = data.get("stream")
        return cls(
            paths={path: frozenset(names) for path, names in data.get("paths", {}).items()},
            kind=data.get("kind", "json"),
            stream=StreamFacts.from_dict(stream) if stream is not None else None,
            status=data.get("status"),
            content_type=data.get("content_type"),
        )

    def to_json(self) -> str:
        """The schema as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """One ``path: types`` line per path, for terminals."""
        lines = [f"kind: {self.kind}"]
        if self.status is not None:
            lines.append(f"status: {self.status}")
        if self.content_type:
            lines.append(f"content-type: {self.content_type}")
        if self.stream is not None:
            facts = self.stream
            lines.append(
                f"stream: events={','.join(sorted(facts.event_kinds)) or '-'} done={facts.terminated_by_done} "
                f"usage={facts.has_usage_chunk} incomplete={facts.incomplete}"
            )
        lines.extend(f"{display_path(path)}: {show_types(self.paths[path])}" for path in sorted(self.paths))
        return "\n".join(lines)


def schema_of_json(value: Any) -> Schema:
    """The schema of a decoded JSON value."""
    acc: dict[str, set[str]] = {}
    _walk(value, ROOT, acc)
    return Schema(paths={path: frozenset(names) for path, names in acc.items()}, kind="json")


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _looks_like_sse(text: str) -> bool:
    for line in text.splitlines():
        if line.strip():
            return line.startswith(("data:", "event:", "id:", "retry:", ":"))
    return False


def schema_of_sse(body: str | bytes) -> Schema:
    """The union of the schemas of a stream's JSON chunks, plus its stream facts.

    A Responses-API stream (``event: response.created``, ...) is described event type by event type: each
    event's paths sit under its name (``["response.output_text.delta"].delta``), since its events differ in shape.
    """
    parsed = parse_stream(body)
    acc: dict[str, set[str]] = {}
    has_usage = False
    named = False  # a Responses-API stream: each event type has its own shape
    for event in parsed.events:
        if event.is_done:
            continue
        payload = event.json_or_none()
        if payload is None and event.data != "null":
            acc.setdefault(ROOT, set()).add("str")
            continue
        if isinstance(payload, dict):
            named = named or dialect_of(event, payload) == RESPONSES
            x_groq = payload.get("x_groq")
            response = payload.get("response")
            has_usage = has_usage or isinstance(payload.get("usage"), dict)
            has_usage = has_usage or (isinstance(x_groq, dict) and isinstance(x_groq.get("usage"), dict))
            has_usage = has_usage or (isinstance(response, dict) and isinstance(response.get("usage"), dict))
        if named and isinstance(payload, dict):
            kind = payload.get("type")
            _walk(payload, _child(ROOT, event.event or (kind if isinstance(kind, str) else event.kind)), acc)
        else:
            _walk(payload, ROOT, acc)
    facts = StreamFacts(
        event_kinds=frozenset(event.kind for event in parsed.events),
        terminated_by_done=parsed.terminated_by_done,
        has_usage_chunk=has_usage,
        incomplete=parsed.incomplete is not None,
    )
    return Schema(
        paths={path: frozenset(names) for path, names in acc.items()},
        kind="sse",
        stream=facts,
        content_type="text/event-stream",
    )


def schema_of_body(body: str | bytes, content_type: str | None = None, *, stream: bool | None = None) -> Schema:
    """The schema of a response body: JSON, an SSE stream, plain text or binary.

    ``content_type`` (``text/event-stream``) or ``stream=True`` (the request asked for a stream) make it an SSE
    stream; otherwise JSON is tried, then SSE by its look. A gzip body (magic bytes) is decompressed first.
    """
    media = _media_type(content_type)
    if isinstance(body, bytes) and body[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError, EOFError):
            body = gzip.decompress(body)
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Schema(kind="binary", content_type=media)
    else:
        text = body
    if media == "text/event-stream" or stream:
        return schema_of_sse(text)
    if not text.strip():
        return Schema(kind="empty", content_type=media)
    try:
        value = json.loads(text)
    except ValueError:
        if _looks_like_sse(text):
            return schema_of_sse(text)
        return Schema(kind="text", content_type=media)
    schema = schema_of_json(value)
    return Schema(paths=schema.paths, kind="json", content_type=media)


def _model_dump(obj: Any, exclude_unset: bool) -> Any:
    # exclude_unset=True reproduces the wire JSON: the SDK models declare many optional fields
    # (tool_calls, function_call, executed_tools, x_groq.usage, ...) that model_dump() would otherwise
    # emit as null, each one a false "added (null)" against the recorded body.
    return obj.model_dump(mode="json", exclude_unset=exclude_unset)


def _is_model(obj: Any) -> bool:
    return callable(getattr(obj, "model_dump", None)) and hasattr(type(obj), "model_fields")


def schema_of_chunks(chunks: Iterable[Any], *, exclude_unset: bool = True) -> Schema:
    """The stream schema of chunks the user already has (SDK ``ChatCompletionChunk`` objects or dicts).

    Stream facts that only the raw body knows (``[DONE]``, an incomplete last event) are left unknown.
    """
    acc: dict[str, set[str]] = {}
    has_usage = False
    for chunk in chunks:
        payload = _model_dump(chunk, exclude_unset) if _is_model(chunk) else chunk
        _walk(payload, ROOT, acc)
        if isinstance(payload, dict):
            x_groq = payload.get("x_groq")
            has_usage = has_usage or isinstance(payload.get("usage"), dict)
            has_usage = has_usage or (isinstance(x_groq, dict) and isinstance(x_groq.get("usage"), dict))
    return Schema(
        paths={path: frozenset(names) for path, names in acc.items()},
        kind="sse",
        stream=StreamFacts(event_kinds=frozenset({"message"}), has_usage_chunk=has_usage),
    )


def _request_wants_stream(request: Request) -> bool:
    try:
        payload = json.loads(request.body_bytes)
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("stream") is True


def _schema_of_response(response: Response, *, stream: bool | None = None) -> Schema:
    schema = schema_of_body(response.body, response.header("Content-Type"), stream=stream or None)
    return Schema(
        paths=schema.paths,
        kind=schema.kind,
        stream=schema.stream,
        status=response.code,
        content_type=schema.content_type,
    )


def schema_of_interaction(interaction: Interaction) -> Schema:
    """The schema of an interaction's response (a stream when the request asked for one)."""
    return _schema_of_response(interaction.response, stream=_request_wants_stream(interaction.request))


def _schema_of_http_response(response: Any) -> Schema:
    # httpx.Response, or httpx2's Response (same surface): read a streamed body first.
    if not hasattr(response, "_content"):
        if getattr(response, "is_stream_consumed", False):
            raise GroqVcrError(
                f"The body of the streamed response from {response.request.url} was already consumed, so its "
                "schema cannot be taken; pass the chunks you collected (schema_of(list_of_chunks)) instead."
            )
        response.read()
    schema = schema_of_body(response.content, response.headers.get("content-type"))
    return Schema(
        paths=schema.paths,
        kind=schema.kind,
        stream=schema.stream,
        status=int(response.status_code),
        content_type=schema.content_type,
    )


def _is_http_response(obj: Any) -> bool:
    module = type(obj).__module__.split(".")[0]
    return module in {"httpx", "httpx2"} and type(obj).__name__ == "Response"


def schema_of(obj: Any, *, exclude_unset: bool = True) -> Schema:
    """The schema of whatever the user has in hand.

    Accepts a :class:`Schema`, a cassette :class:`~groq_vcr.cassette.Interaction` or
    :class:`~groq_vcr.cassette.Response`, an ``httpx.Response`` (read if needed), a pydantic model such as the
    SDKs' ``ChatCompletion`` (dumped with ``model_dump(mode="json", exclude_unset=True)`` so that it has the keys
    of the wire JSON; pass ``exclude_unset=False`` to include every declared field), a list of SDK stream
    chunks, decoded JSON (dict, list, scalars), or a raw body (``str``/``bytes``, JSON or SSE).
    """
    if isinstance(obj, Schema):
        return obj
    if isinstance(obj, Interaction):
        return schema_of_interaction(obj)
    if isinstance(obj, Response):
        return _schema_of_response(obj)
    if _is_http_response(obj):
        return _schema_of_http_response(obj)
    if _is_model(obj):
        return schema_of_json(_model_dump(obj, exclude_unset))
    if isinstance(obj, str | bytes):
        return schema_of_body(obj)
    if isinstance(obj, list) and obj and all(_is_model(item) for item in obj):
        return schema_of_chunks(obj, exclude_unset=exclude_unset)
    return schema_of_json(obj)
