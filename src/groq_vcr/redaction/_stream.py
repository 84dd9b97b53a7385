"""Secrets split across the events of a stream: found in the reassembled text, removed from every piece.

A model echoing a pasted key streams it a few characters per event; no single event holds it. The string
fields of the ``data:`` JSON events are joined per field path (``choices.0.delta.content``), the text rules run
on the joined text, and every event carrying a piece of a secret is rewritten (its JSON re-serialised, the
piece holding the secret's start carrying the placeholder, the others losing their part), so the stream stays
valid and replays.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["split_secret_spans"]

_DATA_RE = re.compile(r"(?m)^data:[ ]?(\{.*?)\r?$")

Path = tuple[str | int, ...]


@dataclass
class _Piece:
    event: int
    path: Path
    start: int
    """Where this piece starts in its field's joined text."""
    text: str


def _strings(value: Any, path: Path, out: list[tuple[Path, str]]) -> None:
    if isinstance(value, str):
        out.append((path, value))
    elif isinstance(value, dict):
        for key, item in value.items():
            _strings(item, (*path, key), out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _strings(item, (*path, index), out)


def _set(value: Any, path: Path, new: str) -> None:
    for step in path[:-1]:
        value = value[step]
    value[path[-1]] = new


def split_secret_spans(text: str, find: Callable[[str], list[tuple[int, int, str]]]) -> list[tuple[int, int, str]]:
    """``(start, end, new payload)`` for every ``data:`` payload of ``text`` that carries part of a secret which
    only the joined stream reveals. ``find(joined)`` returns ``(start, end, replacement)`` of each secret."""
    events: list[tuple[int, int, Any]] = []
    joined: dict[Path, list[str]] = {}
    pieces: dict[Path, list[_Piece]] = {}
    for m in _DATA_RE.finditer(text):
        try:
            payload = json.loads(m.group(1))
        except ValueError:
            continue
        found: list[tuple[Path, str]] = []
        _strings(payload, (), found)
        for path, value in found:
            parts = joined.setdefault(path, [])
            offset = sum(len(p) for p in parts)
            parts.append(value)
            pieces.setdefault(path, []).append(_Piece(len(events), path, offset, value))
        events.append((m.start(1), m.end(1), payload))
    changed: set[int] = set()
    for path, parts in joined.items():
        if len(parts) < 2:
            continue
        secrets = []
        for start, end, replacement in find("".join(parts)):
            carriers = [p for p in pieces[path] if p.start < end and p.start + len(p.text) > start]
            if len(carriers) >= 2:  # inside one event the ordinary rules redact it in place
                secrets.append((start, end, replacement))
        if not secrets:
            continue
        for piece in pieces[path]:
            kept: list[str] = []
            touched = False
            for i, char in enumerate(piece.text):
                at = piece.start + i
                inside = next((sec for sec in secrets if sec[0] <= at < sec[1]), None)
                if inside is None:
                    kept.append(char)
                    continue
                touched = True
                if at == inside[0]:
                    kept.append(inside[2])
            if touched:
                _set(events[piece.event][2], path, "".join(kept))
                changed.add(piece.event)
    out = []
    for index in sorted(changed):
        start, end, payload = events[index]
        raw = text[start:end]
        compact = ", " not in raw and ": " not in raw
        separators = (",", ":") if compact else (", ", ": ")
        out.append((start, end, json.dumps(payload, ensure_ascii=False, separators=separators)))
    return out
