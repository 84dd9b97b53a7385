"""How a cassette's text differs from go-vcr's own layout, in words: what ``groq-vcr fmt`` would change.

go-vcr >= 4.0.2 writes through gopkg.in/yaml.v3 with 4-space indentation and omits zero-valued fields;
older go-vcr releases and other writers (PyYAML, hand edits) produce other layouts that load just as well.
These helpers tell a user why ``fmt --check`` flags such a file, and where its YAML comments are (go-vcr's
layout has none, so reformatting drops them).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

from groq_vcr.cassette._load import _BaseLoader

__all__ = ["EXPECTED_LAYOUT", "comment_lines", "layout_differences", "line_list"]

EXPECTED_LAYOUT = "go-vcr >= 4.0.2 (gopkg.in/yaml.v3, 4-space indentation, zero-valued fields omitted)"

# A field holding its zero value, which yaml.v3's omitempty drops: `transfer_encoding: []`, `host: ""`, ...
_ZERO_FIELD = re.compile(r"^\s*(?:- )?([a-z_]+): (\[\]|\{\}|\"\"|''|0|false)\s*$")
_FIRST_ITEM = re.compile(r"^( *)- ")


def comment_lines(text: str) -> list[int]:
    """1-based numbers of the lines holding a YAML comment (a ``#`` inside a scalar is not one)."""
    if "#" not in text:
        return []
    lines: list[int] = []
    end = 0
    try:
        for token in yaml.scan(text, Loader=_BaseLoader):
            lines.extend(_comments_in(text, end, token.start_mark.index))
            end = max(end, token.end_mark.index)
    except yaml.YAMLError:
        return lines  # the loader reports the syntax error itself
    lines.extend(_comments_in(text, end, len(text)))
    return sorted(set(lines))


def _comments_in(text: str, start: int, stop: int) -> list[int]:
    """Lines of the comments in a gap between tokens (only blanks, line breaks and comments live there)."""
    found = []
    at = text.find("#", start, stop)
    while at != -1:
        found.append(text.count("\n", 0, at) + 1)
        line_end = text.find("\n", at, stop)
        if line_end == -1:
            break
        at = text.find("#", line_end, stop)
    return found


def _item_indent(text: str) -> int | None:
    """Indentation of the first interaction's ``- `` under ``interactions:``."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("interactions:"):
            for following in lines[i + 1 : i + 4]:
                match = _FIRST_ITEM.match(following)
                if match:
                    return len(match.group(1))
            return None
    return None


def layout_differences(text: str, canonical: str, mask: Callable[[str], str] = str) -> list[str]:
    """Sentences naming how ``text`` departs from ``canonical`` (the same cassette as go-vcr writes it).

    ``mask`` is applied to every quoted line of the file, so a caller can keep secrets out of the output.
    """
    if text == canonical:
        return []
    found: list[str] = []
    no_start = canonical.startswith("---\n") and not _has_document_start(text)
    if no_start:
        found.append("it has no `---` line before `version: 2`")
    ours, theirs = _item_indent(canonical), _item_indent(text)
    if theirs is not None and ours is not None and theirs != ours:
        found.append(f"interactions are indented by {_spaces(theirs)} where go-vcr indents them by {_spaces(ours)}")
    canonical_lines = set(canonical.splitlines())
    zero_fields = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _ZERO_FIELD.match(line)
        if match and line not in canonical_lines:
            zero_fields.append(f"`{match.group(1)}: {match.group(2)}` (line {number})")
    if zero_fields:
        shown = ", ".join(zero_fields[:3]) + (f" and {len(zero_fields) - 3} more" if len(zero_fields) > 3 else "")
        found.append(f"it writes zero-valued fields that go-vcr omits: {shown}")
    comments = comment_lines(text)
    if comments:
        found.append(f"it has YAML comments ({line_list(comments)}), which go-vcr's layout cannot hold")
    first = _first_difference(text, canonical, mask)
    if first:
        found.append(first)
    return found


def _has_document_start(text: str) -> bool:
    for line in text.lstrip("\ufeff").splitlines():
        if line.startswith("---"):
            return True
        if line.strip() and not line.lstrip().startswith("#"):
            return False
    return False


def _spaces(count: int) -> str:
    return "1 space" if count == 1 else f"{count} spaces"


def _first_difference(text: str, canonical: str, mask: Callable[[str], str]) -> str:
    have, want = text.splitlines(), canonical.splitlines()
    shift = 0 if _has_document_start(text) or not want or want[0] != "---" else 1
    for number, (got, expected) in enumerate(zip(have, want[shift:], strict=False), 1):
        if got != expected:
            expected, got = _clip(mask(expected)), _clip(mask(got))
            return f"first difference at line {number}: go-vcr writes `{expected}`, the file has `{got}`"
    if len(have) != len(want) - shift:
        return f"the file has {len(have)} line(s) where go-vcr writes {len(want) - shift}"
    return "the line endings or the final line break differ"


def _clip(line: str, width: int = 60) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


def line_list(numbers: list[int]) -> str:
    """``line 3`` / ``lines 1, 3, ...`` (at most five numbers shown)."""
    shown = ", ".join(str(n) for n in numbers[:5]) + (", ..." if len(numbers) > 5 else "")
    return f"line {shown}" if len(numbers) == 1 else f"lines {shown}"
