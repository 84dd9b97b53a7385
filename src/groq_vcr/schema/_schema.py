"""Response schemas and schema drift: what shape a response has, and what changed between two of them.

A :class:`Schema` keeps the shape of a response and never its values: every key path with the set of JSON
types seen there (``str``, ``int``, ``float``, ``bool``, ``null``, ``object``, ``array``; list items under
``path[]``, described by the union of all items). For an SSE stream it is the union of its chunks plus a few
stream facts (event kinds, ``[DONE]``, a usage chunk). Ids, timestamps, generated text and timings therefore
never show up as differences, and a stream that gains a chunk of a known shape has the same schema.

:func:`compare` diffs two schemas with DeepDiff and classifies each path-addressed change:

* **breaking**: a path removed; a new type at a path (``int -> str``); a field that became nullable (code that
  assumed a value breaks on ``None``) or is now always null; a lost stream fact (``[DONE]``, usage chunk, an
  event kind); a different body kind, status code or media type.
* **additive**: a path added; a field seen only as ``null`` before that now has a type; a new event kind.
* **info** (never fails): a field that stopped being nullable; a narrower type set (``str | int -> str``);
  ``int`` <-> ``float`` (JSON numbers: Groq writes ``0`` for a zero timing, so they are one ``number``
  for compatibility); items of a list that was empty on one side (their shape could not be observed).

Changes nested under a removed/added/retyped container are folded into it (``+N nested paths``).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from deepdiff import DeepDiff

from groq_vcr.cassette import Cassette, Interaction, Request, Response, parse_stream
from groq_vcr.errors import GroqVcrError

__all__ = [
    "CassetteDrift",
    "DriftEntry",
    "Schema",
    "SchemaChange",
    "SchemaReport",
    "StreamFacts",
    "compare",
    "compare_cassettes",
    "pair_interactions",
    "request_key",
    "schema_of",
    "schema_of_body",
    "schema_of_chunks",
    "schema_of_interaction",
    "schema_of_json",
    "schema_of_sse",
]

TYPE_ORDER = ("object", "array", "str", "int", "float", "bool", "null")
"""Every type name a schema uses, in display order."""
NUMBER_TYPES = frozenset({"int", "float"})
ROOT = ""
"""The path of the whole body (shown as ``<root>``)."""

BodyKind = Literal["json", "sse", "text", "binary", "empty"]
Severity = Literal["breaking", "additive", "info"]

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


def _ancestors(path: str) -> list[str]:
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


def _types(names: Iterable[str]) -> tuple[str, ...]:
    names = set(names)
    return tuple(name for name in TYPE_ORDER if name in names)


def _show_types(names: Iterable[str]) -> str:
    shown = _types(names)
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
            "paths": {path: list(_types(self.paths[path])) for path in sorted(self.paths)},
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
        lines.extend(f"{display_path(path)}: {_show_types(self.paths[path])}" for path in sorted(self.paths))
        return "\n".join(lines)


# --- building schemas -------------------------------------------------------------------------------------


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
    """The union of the schemas of a stream's JSON chunks, plus its stream facts."""
    parsed = parse_stream(body)
    acc: dict[str, set[str]] = {}
    has_usage = False
    for event in parsed.events:
        if event.is_done:
            continue
        payload = event.json_or_none()
        if payload is None and event.data != "null":
            acc.setdefault(ROOT, set()).add("str")
            continue
        _walk(payload, ROOT, acc)
        if isinstance(payload, dict):
            x_groq = payload.get("x_groq")
            has_usage = has_usage or isinstance(payload.get("usage"), dict)
            has_usage = has_usage or (isinstance(x_groq, dict) and isinstance(x_groq.get("usage"), dict))
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


# --- comparing schemas ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaChange:
    """One path-addressed change between two schemas."""

    path: str
    kind: str
    """``removed``, ``added``, ``type_changed``, ``became_nullable``, ``always_null``, ``now_typed``,
    ``no_longer_nullable``, ``narrowed``, ``number_format``, ``unobserved``, ``observed``, ``stream``,
    ``status``, ``content_type``, ``body_kind``, ``interaction_removed``, ``interaction_added``."""
    severity: Severity
    message: str
    old: tuple[str, ...] = ()
    new: tuple[str, ...] = ()
    nested: int = 0
    """How many changes below this path were folded into it."""

    def __str__(self) -> str:
        suffix = f" (+{self.nested} nested path{'s' if self.nested != 1 else ''})" if self.nested else ""
        return f"{display_path(self.path)}: {self.message}{suffix}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "path": self.path,
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "old": list(self.old),
            "new": list(self.new),
            "nested": self.nested,
        }


@dataclass(frozen=True)
class SchemaReport:
    """The classified changes between two schemas. ``ok`` is False on breaking changes (or additive, if strict)."""

    changes: tuple[SchemaChange, ...] = ()
    strict: bool = False

    @property
    def breaking(self) -> list[SchemaChange]:
        """Changes that break consumers: removed paths, new types, new nullability, lost stream facts."""
        return [change for change in self.changes if change.severity == "breaking"]

    @property
    def additive(self) -> list[SchemaChange]:
        """New paths, types and event kinds."""
        return [change for change in self.changes if change.severity == "additive"]

    @property
    def info(self) -> list[SchemaChange]:
        """Changes that never fail (narrowed types, int/float, no longer nullable, unobserved list items)."""
        return [change for change in self.changes if change.severity == "info"]

    @property
    def failures(self) -> list[SchemaChange]:
        """The changes that make the report fail under its strictness."""
        return [c for c in self.changes if c.severity == "breaking" or (self.strict and c.severity == "additive")]

    @property
    def ok(self) -> bool:
        """Whether nothing fails (no breaking change; with ``strict``, no additive change either)."""
        return not self.failures

    def summary(self) -> str:
        """``2 breaking, 1 additive, 0 info`` or ``no schema changes``."""
        if not self.changes:
            return "no schema changes"
        return f"{len(self.breaking)} breaking, {len(self.additive)} additive, {len(self.info)} info"

    def to_text(self) -> str:
        """The report for a terminal: a summary line, then the changes grouped by severity."""
        lines = [self.summary()]
        for severity, changes in (("breaking", self.breaking), ("additive", self.additive), ("info", self.info)):
            if changes:
                lines.append(f"{severity}:")
                lines.extend(f"  {change}" for change in changes)
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The report as markdown: a bold summary and a bullet list per severity, paths as code."""
        lines = [f"**{self.summary()}**"]
        for severity, changes in (("Breaking", self.breaking), ("Additive", self.additive), ("Info", self.info)):
            if changes:
                lines.extend(["", f"{severity}:", ""])
                for change in changes:
                    nested = f" (+{change.nested} nested)" if change.nested else ""
                    lines.append(f"- `{display_path(change.path)}`: {change.message}{nested}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "ok": self.ok,
            "strict": self.strict,
            "summary": self.summary(),
            "breaking": [c.to_dict() for c in self.breaking],
            "additive": [c.to_dict() for c in self.additive],
            "info": [c.to_dict() for c in self.info],
        }

    def to_json(self) -> str:
        """The report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def __str__(self) -> str:
        return self.to_text()


def _classify_types(path: str, old: frozenset[str], new: frozenset[str]) -> SchemaChange:
    """One change for a path whose type set differs."""
    old_t, new_t = _types(old), _types(new)
    shown = f"{_show_types(old)} -> {_show_types(new)}"
    if path.endswith("[]") and not new:
        return SchemaChange(path, "unobserved", "info", "items not observed in NEW (the list was empty)", old_t, new_t)
    if path.endswith("[]") and not old:
        return SchemaChange(path, "observed", "info", "items first observed (the list was empty in OLD)", old_t, new_t)
    old_values, new_values = old - {"null"}, new - {"null"}
    gained = new_values - old_values
    # int <-> float is one JSON number: not a new type for consumers.
    gained_real = gained - NUMBER_TYPES if old_values & NUMBER_TYPES else gained
    if old_values and gained_real:
        return SchemaChange(path, "type_changed", "breaking", f"type changed ({shown})", old_t, new_t)
    if "null" in new and "null" not in old:
        if not new_values:
            return SchemaChange(path, "always_null", "breaking", f"now always null ({shown})", old_t, new_t)
        return SchemaChange(path, "became_nullable", "breaking", f"became nullable ({shown})", old_t, new_t)
    if not old_values and new_values:
        return SchemaChange(
            path, "now_typed", "additive", f"now has a value ({shown}; was only seen as null)", old_t, new_t
        )
    if gained:
        return SchemaChange(path, "number_format", "info", f"number format changed ({shown})", old_t, new_t)
    if "null" in old and "null" not in new:
        return SchemaChange(path, "no_longer_nullable", "info", f"no longer nullable ({shown})", old_t, new_t)
    return SchemaChange(path, "narrowed", "info", f"narrowed ({shown})", old_t, new_t)


_CONTAINERS = frozenset({"object", "array"})


def _compare_paths(
    old: Mapping[str, frozenset[str]],
    new: Mapping[str, frozenset[str]],
    added: set[str],
    removed: set[str],
    changed: set[str],
) -> list[SchemaChange]:
    retyped = {path: _classify_types(path, old[path], new[path]) for path in changed}

    def absorbs_removed(path: str) -> bool:
        if path in removed:
            return True
        change = retyped.get(path)
        return change is not None and (change.kind == "unobserved" or bool((old[path] - new[path]) & _CONTAINERS))

    def absorbs_added(path: str) -> bool:
        if path in added:
            return True
        change = retyped.get(path)
        return change is not None and (change.kind == "observed" or bool((new[path] - old[path]) & _CONTAINERS))

    folded: dict[str, int] = defaultdict(int)
    kept: list[SchemaChange] = []
    for path in sorted(removed):
        target = next((a for a in reversed(_ancestors(path)) if absorbs_removed(a)), None)
        if target is not None:
            folded[target] += 1
        else:
            kept.append(
                SchemaChange(path, "removed", "breaking", f"removed ({_show_types(old[path])})", _types(old[path]))
            )
    for path in sorted(added):
        target = next((a for a in reversed(_ancestors(path)) if absorbs_added(a)), None)
        if target is not None:
            folded[target] += 1
        else:
            types = _types(new[path])
            kept.append(SchemaChange(path, "added", "additive", f"added ({_show_types(new[path])})", (), types))
    kept.extend(retyped.values())
    result = []
    for change in kept:
        if folded.get(change.path):
            change = SchemaChange(
                change.path, change.kind, change.severity, change.message, change.old, change.new, folded[change.path]
            )
        result.append(change)
    return sorted(result, key=lambda c: c.path)


def _compare_stream(old: StreamFacts, new: StreamFacts) -> list[SchemaChange]:
    changes: list[SchemaChange] = []
    for kind in sorted(old.event_kinds - new.event_kinds):
        changes.append(SchemaChange("<stream>", "stream", "breaking", f"no more '{kind}' events", (kind,), ()))
    for kind in sorted(new.event_kinds - old.event_kinds):
        changes.append(SchemaChange("<stream>", "stream", "additive", f"new '{kind}' events", (), (kind,)))
    facts: tuple[tuple[str, str, Severity, Severity], ...] = (
        ("terminated_by_done", "ends with [DONE]", "breaking", "info"),
        ("has_usage_chunk", "has a usage chunk", "breaking", "additive"),
    )
    for name, what, lost, gained in facts:
        before, after = getattr(old, name), getattr(new, name)
        if before is None or after is None or before == after:
            continue
        if before:
            changes.append(SchemaChange("<stream>", "stream", lost, f"no longer {what}"))
        else:
            changes.append(SchemaChange("<stream>", "stream", gained, f"now {what}"))
    if old.incomplete is not None and new.incomplete is not None and old.incomplete != new.incomplete:
        if new.incomplete:
            message = "last event has no terminating blank line (the SDKs drop it)"
            changes.append(SchemaChange("<stream>", "stream", "breaking", message))
        else:
            changes.append(SchemaChange("<stream>", "stream", "info", "last event is now complete"))
    return changes


def _compare_view(schema: Schema) -> dict[str, Any]:
    return {
        "kind": schema.kind,
        "status": schema.status,
        "content_type": schema.content_type,
        "paths": dict(schema.paths),
        "stream": schema.stream,
    }


def compare(old: Schema, new: Schema, *, strict: bool = False) -> SchemaReport:
    """Compare two schemas (values never matter, only paths, types and stream facts) into a :class:`SchemaReport`.

    ``strict`` makes additive changes fail the report too.
    """
    if old == new:  # the common case in a drift run; skips DeepDiff entirely
        return SchemaReport(strict=strict)
    diff = DeepDiff(_compare_view(old), _compare_view(new), view="tree")
    added: set[str] = set()
    removed: set[str] = set()
    changed: set[str] = set()
    top: set[str] = set()
    for report_type, levels in diff.items():
        for level in levels:
            where = level.path(output_format="list")
            if where[0] != "paths" or len(where) < 2:
                top.add(str(where[0]))
            elif report_type == "dictionary_item_added":
                added.add(where[1])
            elif report_type == "dictionary_item_removed":
                removed.add(where[1])
            else:
                changed.add(where[1])
    changes: list[SchemaChange] = []
    if "kind" in top:
        message = f"body kind changed ({old.kind} -> {new.kind})"
        changes.append(SchemaChange("<body>", "body_kind", "breaking", message, (old.kind,), (new.kind,)))
    if "status" in top and old.status is not None and new.status is not None:
        message = f"status changed ({old.status} -> {new.status})"
        changes.append(SchemaChange("<status>", "status", "breaking", message, (str(old.status),), (str(new.status),)))
    if "content_type" in top and old.content_type and new.content_type:
        message = f"content type changed ({old.content_type} -> {new.content_type})"
        changes.append(
            SchemaChange(
                "<content-type>", "content_type", "breaking", message, (old.content_type,), (new.content_type,)
            )
        )
    if old.kind == new.kind:
        # A different body kind makes a path-by-path comparison meaningless; report the kind alone.
        changes.extend(_compare_paths(old.paths, new.paths, added, removed, changed))
        if "stream" in top and old.stream is not None and new.stream is not None:
            changes.extend(_compare_stream(old.stream, new.stream))
    return SchemaReport(changes=tuple(changes), strict=strict)


# --- pairing interactions and diffing cassettes ----------------------------------------------------------


def _canonical_body(request: Request) -> bytes:
    body = request.body_bytes
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode("utf-8")
    except ValueError:
        pass
    content_type = request.header("Content-Type") or ""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match and content_type.lower().startswith("multipart/"):
        # The multipart boundary is random per run; everything else in the body is the request.
        return body.replace(match.group(1).encode("latin-1"), b"BOUNDARY")
    return body


def request_key(request: Request) -> tuple[str, str, str]:
    """What pairs an old and a new interaction: method, URL path + sorted query (not the host), canonical body.

    JSON bodies compare key-order-insensitively; multipart bodies ignore their boundary. The body is hashed.
    """
    parts = urlsplit(request.url)
    query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query, keep_blank_values=True)))
    target = parts.path + (f"?{query}" if query else "")
    return request.method.upper(), target, hashlib.sha256(_canonical_body(request)).hexdigest()


def pair_interactions(
    old: Sequence[Interaction], new: Sequence[Interaction]
) -> tuple[list[tuple[Interaction, Interaction]], list[Interaction], list[Interaction]]:
    """Pair old and new interactions by :func:`request_key`, in recorded order among equal requests.

    Returns ``(pairs, removed, added)``: interactions only in ``old`` are removed, only in ``new`` added.
    """
    waiting: dict[tuple[str, str, str], list[Interaction]] = defaultdict(list)
    for interaction in new:
        waiting[request_key(interaction.request)].append(interaction)
    pairs: list[tuple[Interaction, Interaction]] = []
    removed: list[Interaction] = []
    for interaction in old:
        candidates = waiting.get(request_key(interaction.request))
        if candidates:
            pairs.append((interaction, candidates.pop(0)))
        else:
            removed.append(interaction)
    taken = {id(n) for _, n in pairs}
    added = [interaction for interaction in new if id(interaction) not in taken]
    return pairs, removed, added


def interaction_label(interaction: Interaction) -> str:
    """``#0 POST /openai/v1/chat/completions``."""
    method, target, _ = request_key(interaction.request)
    return f"#{interaction.id} {method} {target}"


@dataclass(frozen=True)
class DriftEntry:
    """The comparison of one interaction (or one that exists on a single side)."""

    label: str
    report: SchemaReport


@dataclass(frozen=True)
class CassetteDrift:
    """The schema drift between two cassettes (or two folders of cassettes), interaction by interaction."""

    entries: tuple[tuple[str, tuple[DriftEntry, ...]], ...] = ()
    """``(cassette name, entries)`` in order."""
    strict: bool = False

    @property
    def reports(self) -> list[SchemaReport]:
        """Every entry's report."""
        return [entry.report for _, entries in self.entries for entry in entries]

    @property
    def ok(self) -> bool:
        """Whether no entry fails."""
        return all(report.ok for report in self.reports)

    def counts(self) -> dict[str, int]:
        """Total breaking/additive/info changes and compared interactions."""
        return {
            "breaking": sum(len(r.breaking) for r in self.reports),
            "additive": sum(len(r.additive) for r in self.reports),
            "info": sum(len(r.info) for r in self.reports),
            "interactions": len(self.reports),
            "cassettes": len(self.entries),
        }

    def summary(self) -> str:
        """One line: totals and the verdict."""
        c = self.counts()
        verdict = "OK" if self.ok else "DRIFT"
        return (
            f"{verdict}: {c['breaking']} breaking, {c['additive']} additive, {c['info']} info "
            f"in {c['interactions']} interaction(s) of {c['cassettes']} cassette(s)"
        )

    def to_text(self) -> str:
        """Per cassette, per interaction: its report (indented), then the summary line."""
        lines: list[str] = []
        for name, entries in self.entries:
            lines.append(name)
            for entry in entries:
                report_lines = entry.report.to_text().splitlines()
                lines.append(f"  {entry.label}: {report_lines[0]}")
                lines.extend(f"    {line}" for line in report_lines[1:])
        lines.append(self.summary())
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """Markdown: a heading per cassette, a sub-heading per interaction."""
        lines = [f"## Schema drift: {self.summary()}"]
        for name, entries in self.entries:
            lines.extend(["", f"### `{name}`"])
            for entry in entries:
                lines.extend(["", f"#### {entry.label}", "", entry.report.to_markdown()])
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "ok": self.ok,
            "strict": self.strict,
            "counts": self.counts(),
            "cassettes": [
                {"cassette": name, "interactions": [{"label": e.label, **e.report.to_dict()} for e in entries]}
                for name, entries in self.entries
            ],
        }

    def to_json(self) -> str:
        """The drift report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def __str__(self) -> str:
        return self.to_text()


def compare_cassettes(old: Cassette, new: Cassette, *, strict: bool = False) -> list[DriftEntry]:
    """Compare the response schemas of two cassettes, interaction by interaction (paired by request).

    An interaction missing from ``new`` is breaking (its shape could not be checked); a new one is additive.
    """
    pairs, removed, added = pair_interactions(old.interactions, new.interactions)
    entries: list[tuple[int, DriftEntry]] = []
    for before, after in pairs:
        report = compare(schema_of_interaction(before), schema_of_interaction(after), strict=strict)
        entries.append((before.id, DriftEntry(interaction_label(before), report)))
    for interaction in removed:
        change = SchemaChange("<interaction>", "interaction_removed", "breaking", "missing from NEW (not re-recorded)")
        entries.append((interaction.id, DriftEntry(interaction_label(interaction), SchemaReport((change,), strict))))
    for interaction in added:
        change = SchemaChange("<interaction>", "interaction_added", "additive", "only in NEW (a new request)")
        label = interaction_label(interaction) + " (new)"
        entries.append((len(old.interactions) + interaction.id, DriftEntry(label, SchemaReport((change,), strict))))
    return [entry for _, entry in sorted(entries, key=lambda item: item[0])]
