"""Checks of fault arguments where they are given, naming the fault and what it accepts.

Builders (:mod:`groq_vcr.faults`) check their keyword names before anything is built, and every fault checks its
values when it is created; both raise :class:`~groq_vcr.errors.FaultArgumentError` with the name the user wrote
(``delay(first_byte='soon')``), so a marker or ``groq_faults.add(...)`` with a typo fails on its own line, not with
a ``TypeError`` from a comparison deep in a replay.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import math
from collections.abc import Iterable, Iterator
from typing import Any

from groq_vcr.errors import FaultArgumentError

__all__ = [
    "building",
    "check_choice",
    "check_count",
    "check_names",
    "check_positions",
    "check_seconds",
    "check_status",
    "check_text",
    "fault_name",
]

_BUILDING: contextvars.ContextVar[str | None] = contextvars.ContextVar("groq_vcr_fault_builder", default=None)


@contextlib.contextmanager
def building(name: str) -> Iterator[None]:
    """Within the block, errors of the faults being created name the builder ``name`` (not the class)."""
    token = _BUILDING.set(name)
    try:
        yield
    finally:
        _BUILDING.reset(token)


def fault_name(default: str) -> str:
    """The name to show for the fault being created: its builder's, else ``default`` (the class name)."""
    return _BUILDING.get() or default


def _fail(fault: str, argument: str, value: Any, rule: str) -> FaultArgumentError:
    return FaultArgumentError(f"{fault}({argument}={value!r}): {rule}")


def check_names(fault: str, given: Iterable[str], own: Iterable[str], selectors: Iterable[str]) -> None:
    """Every keyword in ``given`` is one of the fault's ``own`` arguments or a selector."""
    own, selectors = list(own), list(selectors)
    allowed = [*own, *selectors]
    for name in given:
        if name in allowed:
            continue
        close = difflib.get_close_matches(name, allowed, n=1)
        maybe = f" (did you mean {close[0]!r}?)" if close else ""
        takes = f"{', '.join(own)} and the selectors" if own else "only the selectors"
        raise FaultArgumentError(
            f"{fault}(): unknown argument {name!r}{maybe}; it takes {takes} {', '.join(selectors)}"
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_count(fault: str, argument: str, value: Any, *, optional: bool = False) -> None:
    """``value`` is a whole number, 0 or more (or None when ``optional``)."""
    if value is None and optional:
        return
    if not _is_int(value) or value < 0:
        none = " or None" if optional else ""
        raise _fail(fault, argument, value, f"must be a whole number (0 or more){none}")


def check_positions(fault: str, value: Any) -> tuple[int, ...] | None:
    """``nth``: a 0-based position or a list of them; returned as a tuple."""
    if value is None:
        return None
    rule = "must be a 0-based position (a whole number, 0 or more) or a list of them, e.g. nth=0 or nth=[0, 2]"
    if _is_int(value):
        positions: tuple[Any, ...] = (value,)
    elif isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise _fail(fault, "nth", value, rule)
    else:
        positions = tuple(value)
    if not positions or not all(_is_int(n) and n >= 0 for n in positions):
        raise _fail(fault, "nth", value, rule)
    return positions


def check_seconds(fault: str, argument: str, value: Any) -> None:
    """``value`` is a finite number of seconds, 0 or more."""
    number = _is_int(value) or isinstance(value, float)
    if not number or not math.isfinite(value) or value < 0:
        raise _fail(fault, argument, value, "must be a number of seconds, 0 or more (e.g. 0.5)")


def check_text(fault: str, argument: str, value: Any, *, optional: bool = False) -> None:
    """``value`` is a string (or None when ``optional``)."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise _fail(fault, argument, value, "must be a string" + (" or None" if optional else ""))


def check_choice(fault: str, argument: str, value: Any, choices: Iterable[Any]) -> None:
    """``value`` is one of ``choices``."""
    allowed = list(choices)
    if value not in allowed or type(value) is not type(allowed[0]):
        raise _fail(fault, argument, value, f"must be one of {', '.join(repr(c) for c in allowed)}")


def check_status(fault: str, value: Any, low: int, high: int, hint: str = "") -> None:
    """``status`` is a whole number from ``low`` to ``high``."""
    if not _is_int(value) or not low <= value <= high:
        raise _fail(fault, "status", value, f"must be an HTTP status from {low} to {high}{hint}")
