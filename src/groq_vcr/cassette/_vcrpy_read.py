"""What a vcrpy cassette holds beyond go-vcr's fields, and how to tell vcrpy's files from go-vcr's format 1.

* ``parsed_body``: custom vcrpy serializers (pydantic-ai's) store a JSON body as YAML data instead of
  ``body: {string: ...}``. :func:`encode_parsed_body` turns it back into the bytes the sender wrote.
* What vcrpy wrote that the v2 model has no field for (the header names' own case, ``body: null`` rather than
  ``''``, a status message other than the standard phrase, keys vcrpy's stubs add) is kept in the converted
  cassette's top-level :data:`FIELDS_KEY` list, one entry per interaction, so ``convert --to v1`` gives
  back what vcrpy wrote. go-vcr ignores top-level keys it does not know.
* :func:`request_key` looks at the first recorded request: vcrpy names its URL ``uri``, go-vcr ``url``.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import yaml

from groq_vcr.cassette._load import _BaseLoader
from groq_vcr.cassette._model import Headers, canonical_header_name

__all__ = ["FIELDS_KEY", "encode_parsed_body", "original_headers", "request_key"]

FIELDS_KEY = "vcrpy_fields"
"""Top-level key of a converted cassette holding, per interaction, what vcrpy wrote and v2 has no field for."""


def _encodings(value: Any) -> list[str]:
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return [
        compact,  # what httpx (and so the groq/openai SDKs) and most servers send
        json.dumps(value, separators=(",", ":")),
        json.dumps(value),  # what pydantic-ai's own deserializer hands out
        json.dumps(value, ensure_ascii=False),
    ]


def encode_parsed_body(value: Any, content_length: int | None) -> str:
    """The JSON text of a ``parsed_body``: the usual encoding whose UTF-8 length is ``content_length`` (the
    recorded ``Content-Length``; a trailing newline counts), else the compact one clients send."""
    candidates = _encodings(value)
    if content_length is not None:
        for text in candidates:
            for candidate in (text, text + "\n"):
                if len(candidate.encode("utf-8")) == content_length:
                    return candidate
    return candidates[0]


def original_headers(headers: Headers, names: Any) -> dict[str, list[str]]:
    """``headers`` (Go-canonical names) under the names vcrpy wrote: ``names`` lists ``[name, value count]``
    in vcrpy's order. Values no longer there (edited since) are skipped; headers added since keep their name."""
    if not isinstance(names, list):
        return {k: list(v) for k, v in headers.items()}
    by_lower = {k.lower(): k for k in headers}
    taken: dict[str, int] = {}
    out: dict[str, list[str]] = {}
    for entry in names:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            continue
        name, count = entry
        key = by_lower.get(name.lower())
        if key is None or not isinstance(count, int):
            continue
        start = taken.get(key, 0)
        values = headers[key][start : start + count]
        taken[key] = start + len(values)
        if values:
            out.setdefault(name, []).extend(values)
    for key, values in headers.items():
        rest = values[taken.get(key, 0) :]
        if rest:
            out.setdefault(key, []).extend(rest)
    return out


def header_names_to_keep(raw: dict[Any, Any]) -> list[list[Any]] | None:
    """``[[name, value count], ...]`` for vcrpy's headers ``raw``, or None when the canonical names say it all
    (each name already canonical and none repeated in another case)."""
    entries: list[list[Any]] = []
    seen: set[str] = set()
    plain = True
    for name, values in raw.items():
        text = str(name)
        count = len(values) if isinstance(values, list | tuple) else 1
        entries.append([text, count])
        canonical = canonical_header_name(text)
        plain = plain and canonical == text and canonical not in seen
        seen.add(canonical)
    return None if plain else entries


def request_key(path: str | os.PathLike[str], data: bytes | None = None) -> str | None:
    """``uri`` (vcrpy) or ``url`` (go-vcr) for the first recorded request's URL key, read from the start of
    the file only (``data``: its bytes, when the caller already read them); None when the file has no request
    or is not YAML this can read."""
    # each open collection: [is a mapping, expecting a key, its last key, the key it sits under in its parent]
    stack: list[list[Any]] = []
    try:
        with contextlib.ExitStack() as stack_of_files:
            source = data if data is not None else stack_of_files.enter_context(open(path, "rb"))
            for event in yaml.parse(source, Loader=_BaseLoader):
                if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                    name = None
                    if stack and stack[-1][0]:
                        name = stack[-1][2]
                        stack[-1][1] = True
                    stack.append([isinstance(event, yaml.MappingStartEvent), True, None, name])
                elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                    done = stack.pop()
                    if len(stack) == 3 and done[3] == "request":
                        return None
                elif isinstance(event, yaml.ScalarEvent) and stack and stack[-1][0]:
                    top = stack[-1]
                    if top[1]:
                        in_request = len(stack) == 4 and stack[3][3] == "request" and stack[1][3] == "interactions"
                        if in_request and event.value in ("uri", "url"):
                            return str(event.value)
                        top[2] = event.value
                    top[1] = not top[1]
    except (OSError, yaml.YAMLError, UnicodeError):
        return None
    return None
