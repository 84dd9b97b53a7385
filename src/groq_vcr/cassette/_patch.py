"""Minimal edits: write a changed cassette by touching only the bytes that changed in the file as it is.

``groq-vcr redact`` must leave every byte other than the secrets as it was: comments, another writer's layout,
quoting and key order included. :func:`patch_text` finds which scalars the change touched (by comparing the two
cassettes in go-vcr's layout), locates each in the original text and substitutes only the changed characters
inside it. The result is proven: it is accepted only when it loads back as exactly the changed cassette;
otherwise None tells the caller to write the whole file in go-vcr's layout instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from groq_vcr.cassette._emit import dump_cassette
from groq_vcr.cassette._load import _CassetteLoader, load_cassette_text, nesting_error
from groq_vcr.cassette._model import Cassette, canonical_header_name
from groq_vcr.errors import CassetteFormatError

__all__ = ["patch_text"]

_Path = tuple[str | int, ...]
_RESYNC_SPAN = 4096
"""How far (characters) a changed run may reach before the texts agree again: a secret is far shorter."""
_ANCHOR = 24
"""How many equal characters mark the end of a changed run."""
_MAX_REPLACEMENT = 512


def patch_text(text: str, before: Cassette, after: Cassette) -> str | None:
    """``text`` (which loads as ``before``) edited so that it loads as ``after``; None when that can't be done
    by substituting characters inside the changed scalars."""
    if before == after:
        return text
    if nesting_error(text) is not None:
        return None
    try:
        old_tree = yaml.compose(dump_cassette(before), Loader=_CassetteLoader)
        new_tree = yaml.compose(dump_cassette(after), Loader=_CassetteLoader)
        original = yaml.compose(text, Loader=_CassetteLoader)
    except yaml.YAMLError:
        return None
    if old_tree is None or new_tree is None or original is None:
        return None
    edits: list[tuple[int, int, str]] = []
    for path, old, new in _changed_scalars(old_tree, new_tree, ()):
        if path is None:
            return None
        node = _find(original, path)
        if not isinstance(node, yaml.ScalarNode) or node.value != old:
            return None
        start, end = node.start_mark.index, node.end_mark.index
        raw = _patch_scalar(text[start:end], old, new)
        if raw is None:
            return None
        edits.append((start, end, raw))
    patched = text
    for start, end, raw in sorted(edits, reverse=True):
        patched = patched[:start] + raw + patched[end:]
    try:
        return patched if load_cassette_text(patched) == after else None
    except CassetteFormatError:
        return None


def _changed_scalars(
    old: yaml.Node, new: yaml.Node, path: _Path
) -> Iterator[tuple[_Path, str, str] | tuple[None, str, str]]:
    """The scalars that differ between two documents of the same shape; a ``None`` path: shapes differ."""
    if isinstance(old, yaml.ScalarNode) and isinstance(new, yaml.ScalarNode):
        if old.tag != new.tag:
            yield None, "", ""
        elif old.value != new.value:
            yield path, old.value, new.value
    elif isinstance(old, yaml.MappingNode) and isinstance(new, yaml.MappingNode):
        if [k.value for k, _ in old.value] != [k.value for k, _ in new.value]:
            yield None, "", ""
            return
        for (key, old_value), (_, new_value) in zip(old.value, new.value, strict=True):
            yield from _changed_scalars(old_value, new_value, (*path, key.value))
    elif isinstance(old, yaml.SequenceNode) and isinstance(new, yaml.SequenceNode):
        if len(old.value) != len(new.value):
            yield None, "", ""
            return
        for index, (old_item, new_item) in enumerate(zip(old.value, new.value, strict=True)):
            yield from _changed_scalars(old_item, new_item, (*path, index))
    else:
        yield None, "", ""


def _find(node: yaml.Node, path: _Path) -> yaml.Node | None:
    """The node at ``path`` (keys as go-vcr writes them; header names matched as Go canonicalises them)."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, yaml.SequenceNode) or step >= len(node.value):
                return None
            node = node.value[step]
            continue
        if not isinstance(node, yaml.MappingNode):
            return None
        matches = [value for key, value in node.value if key.value == step]
        if not matches:
            matches = [value for key, value in node.value if canonical_header_name(str(key.value)) == step]
        if len(matches) != 1:
            return None
        node = matches[0]
    return node


def _patch_scalar(raw: str, old: str, new: str) -> str | None:
    """``raw`` (the written form of ``old``) with each changed run of characters replaced in place."""
    runs = _changed_runs(old, new)
    if runs is None:
        return None
    out: list[str] = []
    pos = 0
    for old_run, new_run in runs:
        if not old_run or "\n" in old_run or "\n" in new_run:
            return None
        at = raw.find(old_run, pos)
        if at == -1:
            return None
        out.append(raw[pos:at])
        out.append(new_run)
        pos = at + len(old_run)
    out.append(raw[pos:])
    return "".join(out)


def _common_run(a: str, i: int, b: str, j: int) -> int:
    """How many characters ``a[i:]`` and ``b[j:]`` share at their start (slice comparisons, no per-char loop)."""
    shared = 0
    limit = min(len(a) - i, len(b) - j)
    while shared < limit:
        size = min(65536, limit - shared)
        if a[i + shared : i + shared + size] == b[j + shared : j + shared + size]:
            shared += size
            continue
        low, high = 0, size  # equal before `low`; the first difference lies in [low, high)
        while high - low > 1:
            middle = (low + high) // 2
            if a[i + shared + low : i + shared + middle] == b[j + shared + low : j + shared + middle]:
                low = middle
            else:
                high = middle
        return shared + low
    return shared


def _changed_runs(old: str, new: str) -> list[tuple[str, str]] | None:
    """The (old, new) runs that turn ``old`` into ``new``, found left to right; None past the search limits."""
    runs: list[tuple[str, str]] = []
    i = j = 0
    while True:
        shared = _common_run(old, i, new, j)
        i, j = i + shared, j + shared
        if i == len(old) and j == len(new):
            return runs
        resync = _resync(old, i, new, j)
        if resync is None:
            return None
        runs.append((old[i : resync[0]], new[j : resync[1]]))
        i, j = resync


def _resync(old: str, i: int, new: str, j: int) -> tuple[int, int] | None:
    """Where ``old`` and ``new`` agree again after differing at ``old[i]`` / ``new[j]``."""
    for skip in range(1, min(_MAX_REPLACEMENT, len(new) - j) + 1):
        anchor = new[j + skip : j + skip + _ANCHOR]
        if len(anchor) < _ANCHOR:  # the end of the text: the rest must be the same tail
            if old.endswith(anchor) and len(old) - len(anchor) > i:
                return len(old) - len(anchor), j + skip
            continue
        at = old.find(anchor, i + 1, i + _RESYNC_SPAN + _ANCHOR)
        if at != -1:
            return at, j + skip
    return None
