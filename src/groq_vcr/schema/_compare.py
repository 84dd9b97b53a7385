"""Schema comparison: what changed between two schemas, path by path, and whether it breaks consumers.

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

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from deepdiff import DeepDiff

from groq_vcr.schema._infer import Schema, StreamFacts, ancestors, display_path, ordered_types, show_types

__all__ = ["SchemaChange", "SchemaReport", "Severity", "compare"]

Severity = Literal["breaking", "additive", "info"]
NUMBER_TYPES = frozenset({"int", "float"})
"""JSON numbers: ``int`` <-> ``float`` is not a new type for consumers."""


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
    old_t, new_t = ordered_types(old), ordered_types(new)
    shown = f"{show_types(old)} -> {show_types(new)}"
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
        target = next((a for a in reversed(ancestors(path)) if absorbs_removed(a)), None)
        if target is not None:
            folded[target] += 1
        else:
            kept.append(
                SchemaChange(
                    path, "removed", "breaking", f"removed ({show_types(old[path])})", ordered_types(old[path])
                )
            )
    for path in sorted(added):
        target = next((a for a in reversed(ancestors(path)) if absorbs_added(a)), None)
        if target is not None:
            folded[target] += 1
        else:
            types = ordered_types(new[path])
            kept.append(SchemaChange(path, "added", "additive", f"added ({show_types(new[path])})", (), types))
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
