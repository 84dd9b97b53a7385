"""Building a loaded cassette cheaply: hundreds of thousands of small objects, many of them equal, no cycles.

:func:`gc_paused` keeps the cyclic collector from running over and over while such a tree is built (or written,
or unpickled): it would find nothing to collect. :func:`string_sharer` makes equal short texts one object: a
cassette repeats the same few hundred header names and values (``Content-Type``, ``application/json``,
``HTTP/2.0``) thousands of times, so sharing them shrinks the loaded cassette, its pickle in the cache (pickle
stores a shared object once) and the time to unpickle it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator

__all__ = ["SHARED_MAX_LEN", "gc_paused", "string_sharer"]

SHARED_MAX_LEN = 200
"""Texts up to this length (header names and values, protos, statuses, most URLs) are shared; bodies are not."""


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (if it runs) for the duration of the block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def string_sharer() -> Callable[[str], str]:
    """A new ``share(text)``: the first object it was given equal to ``text`` when that is short, else ``text``."""
    seen: dict[str, str] = {}
    setdefault = seen.setdefault

    def share(text: str) -> str:
        return setdefault(text, text) if len(text) <= SHARED_MAX_LEN else text

    return share
