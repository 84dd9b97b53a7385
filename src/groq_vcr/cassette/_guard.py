"""Refuse YAML no cassette needs before anything builds it: anchors and aliases, deep nesting, duplicate keys.

go-vcr never writes an anchor or an alias and yaml.v3 refuses a repeated key; vcrpy's PyYAML dumper writes
neither either. A file that has them is damaged or hostile: aliases expand exponentially ("billion laughs": a 2 KB
file becomes gigabytes once walked), deep nesting overflows recursive code (composers, pickling, printers), and a
repeated key silently loses one of its values on the next save. :func:`structure_error` walks libyaml's events,
which never recurses nor expands an alias, so it costs time linear in the file and memory in its depth.
"""

from __future__ import annotations

from typing import IO, Any

import yaml

from groq_vcr.errors import CassetteFormatError

__all__ = ["MAX_NESTING", "structure_error"]

MAX_NESTING = 100
"""Deepest nesting of mappings and lists any reader accepts. A cassette nests 6 levels (vcrpy's 7); past a few
hundred, recursive code (PyYAML's constructor, pickle, printers) hits Python's recursion limit."""

_MAX_EXPANSION = 20
_EXPANSION_ALLOWANCE = 100_000
"""With aliases allowed, the values they expand to may reach 20x the values written, plus 100,000."""

_EventLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_COLLECTION_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_COLLECTION_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _refusal(problem: str, mark: Any) -> CassetteFormatError:
    return CassetteFormatError(
        problem,
        line=mark.line + 1 if mark is not None else None,
        column=mark.column + 1 if mark is not None else None,
    )


def alias_error(mark: Any, name: str, *, alias: bool) -> CassetteFormatError:
    """The refusal of a YAML anchor (``&name``) or alias (``*name``) at ``mark``."""
    what = f"alias `*{name}`" if alias else f"anchor `&{name}`"
    return _refusal(
        f"YAML {what}: a go-vcr cassette never holds anchors or aliases (go-vcr never writes them), and "
        "expanding them can blow a small file up to gigabytes; the file is damaged or hostile",
        mark,
    )


def too_deep_error(mark: Any, limit: int = MAX_NESTING) -> CassetteFormatError:
    """The refusal of a collection nested more than ``limit`` levels deep, at ``mark``."""
    return _refusal(
        f"mappings and lists are nested more than {limit} levels deep here; no cassette or request file needs "
        "that: the file is damaged or not what it claims to be",
        mark,
    )


def libyaml_depth_error(exc: yaml.YAMLError, limit: int = MAX_NESTING) -> CassetteFormatError | None:
    """The too-deep refusal when ``exc`` is libyaml's own nesting limit (newer libyaml stops at its limit
    before our scan counts past ours); None for any other YAML error, which the loader reports itself."""
    if "maximum nesting depth" not in str(exc):
        return None
    return too_deep_error(getattr(exc, "problem_mark", None), limit)


def duplicate_key_error(mark: Any, key: str, first_line: int) -> CassetteFormatError:
    """The refusal of a mapping key written a second time, at ``mark``."""
    shown = key if len(key) <= 40 else key[:37] + "..."
    return _refusal(
        f"mapping key {shown!r} is already defined at line {first_line}; go-vcr refuses duplicate keys, and "
        "the next save would silently drop one of the two values",
        mark,
    )


class _Mapping:
    __slots__ = ("expect_key", "keys")

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}
        self.expect_key = True


def expansion_error(mark: Any, nodes: int) -> CassetteFormatError:
    """The refusal of aliases that expand the document far past its written size, at ``mark``."""
    return _refusal(
        f"YAML aliases here expand the document to more than {nodes} values, far more than the file holds "
        '("billion laughs"); the file is damaged or hostile',
        mark,
    )


def structure_error(
    source: str | bytes | IO[bytes], *, limit: int = MAX_NESTING, aliases: bool = False
) -> CassetteFormatError | None:
    """The first problem no cassette has in ``source``, as a :class:`CassetteFormatError` with its line and
    column, or None: an anchor or alias (with ``aliases``, only aliases expanding the document to far more
    values than are written), a collection nested deeper than ``limit``, a repeated mapping key. Text that is
    not YAML gives None (the loader reports it, with its line)."""
    loader = _EventLoader(source)
    # One entry per open collection: its keys when it is a mapping, its anchor, the values seen before it.
    stack: list[tuple[_Mapping | None, str | None, int]] = []
    sizes: dict[str, int] = {}  # anchor -> values its node expands to
    written = expanded = 0

    def completed(key: str | None, mark: Any) -> CassetteFormatError | None:
        # A node ended inside the innermost open collection: a key or a value of a mapping, or a list item.
        top = stack[-1][0] if stack else None
        if top is None:
            return None
        if top.expect_key and key is not None:
            first = top.keys.get(key)
            if first is not None:
                return duplicate_key_error(mark, key, first)
            top.keys[key] = mark.line + 1
        top.expect_key = not top.expect_key
        return None

    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return None
            anchor = getattr(event, "anchor", None)
            if isinstance(event, yaml.AliasEvent):
                if not aliases:
                    return alias_error(event.start_mark, anchor or "", alias=True)
                written += 1
                expanded += sizes.get(anchor or "", 1)
                if expanded > _MAX_EXPANSION * written + _EXPANSION_ALLOWANCE:
                    return expansion_error(event.start_mark, expanded)
                problem = completed(None, event.start_mark)
            elif anchor is not None and not aliases:
                return alias_error(event.start_mark, anchor, alias=False)
            elif isinstance(event, yaml.ScalarEvent):
                written += 1
                expanded += 1
                if anchor is not None:
                    sizes[anchor] = 1
                problem = completed(event.value, event.start_mark)
            elif isinstance(event, _COLLECTION_START):
                if len(stack) >= limit:
                    return too_deep_error(event.start_mark, limit)
                written += 1
                expanded += 1
                keys = _Mapping() if isinstance(event, yaml.MappingStartEvent) else None
                stack.append((keys, anchor, expanded))
                continue
            elif isinstance(event, _COLLECTION_END):
                _, opened_anchor, before = stack.pop()
                if opened_anchor is not None:
                    sizes[opened_anchor] = expanded - before + 1
                problem = completed(None, event.start_mark)
            else:
                continue
            if problem is not None:
                return problem
    except yaml.YAMLError as exc:
        return libyaml_depth_error(exc, limit)
    finally:
        loader.dispose()
