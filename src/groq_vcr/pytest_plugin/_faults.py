"""pytest side of fault injection: the ``groq_fault`` marker and the ``groq_faults`` fixture.

The plugin (:mod:`groq_vcr.plugin`) registers :data:`MARKER_HELP`, exposes :func:`groq_faults`, and passes
:func:`session_fault_options` into each cassette's ``SessionOptions``, so the faults of the test being run reach
its cassette session. The marker and the fixture share one :class:`~groq_vcr.faults.FaultPlan` per test: faults
added from the test body apply to the requests made after that.
"""

from __future__ import annotations

from typing import Any

import pytest

from groq_vcr.faults import RETRY_AFTER_MODES, FaultPlan, build_fault

__all__ = ["MARKER_HELP", "RETRY_AFTER_KEY", "fault_plan_for", "session_fault_options"]

MARKER_HELP = (
    "groq_fault(fault, **settings): alter this test's replayed Groq replies without editing the cassette; "
    "fault is a groq_vcr.faults builder name (rate_limited, server_error, invalid_api_key, capacity_exceeded, "
    "error_response, cut_stream, stream_error, drop_connection, delay) or a Fault object; settings are the "
    "builder's arguments and the selectors path, method, interaction, nth, times."
)
"""The marker's line in ``pytest --markers``."""

RETRY_AFTER_KEY = "groq_vcr_retry_after"
"""The ``vcr_config`` / ``@pytest.mark.vcr`` key that sets how replayed ``retry-after`` is honoured."""

_PLAN = pytest.StashKey[FaultPlan]()


def fault_plan_for(item: pytest.Item) -> FaultPlan:
    """The fault plan of ``item`` (built once from its ``groq_fault`` markers, closest marker first)."""
    plan = item.stash.get(_PLAN, None)
    if plan is None:
        faults = []
        for mark in item.iter_markers("groq_fault"):
            if len(mark.args) != 1:
                raise pytest.UsageError(
                    f"{item.nodeid}: @pytest.mark.groq_fault takes one fault (a builder name or a Fault object) and "
                    f"keyword settings, got {len(mark.args)} positional arguments; write one marker per fault"
                )
            try:
                faults.append(build_fault(mark.args[0], **mark.kwargs))
            except (TypeError, ValueError) as exc:
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.groq_fault: {exc}") from None
        plan = item.stash[_PLAN] = FaultPlan(faults)
    return plan


def session_fault_options(item: pytest.Item | None, config: dict[str, Any]) -> dict[str, Any]:
    """``SessionOptions`` keyword arguments for faults: ``faults`` (the test's plan) and ``retry_after``.

    ``config`` is the merged ``vcr_config`` / marker keyword arguments; ``groq_vcr_retry_after`` there chooses
    ``fast`` (default), ``zero`` or ``recorded`` (see :data:`groq_vcr.faults.RETRY_AFTER_MODES`).
    """
    mode = str(config.get(RETRY_AFTER_KEY, "fast"))
    if mode not in RETRY_AFTER_MODES:
        raise pytest.UsageError(f"{RETRY_AFTER_KEY}={mode!r} is not one of {', '.join(RETRY_AFTER_MODES)}")
    return {"faults": fault_plan_for(item) if item is not None else None, "retry_after": mode}
