"""The ``groq_fault`` marker: faults a test's replayed Groq replies get, without editing its cassette.

The marker and the ``groq_faults`` fixture share one :class:`~groq_vcr.faults.FaultPlan` per test, which the
test's cassette sessions receive in their options: faults added from the test body apply to the requests made
after that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from groq_vcr.faults import FaultPlan

__all__ = ["MARKER_HELP", "fault_plan_for"]

MARKER_HELP = (
    "groq_fault(fault, **settings): alter this test's replayed Groq replies without editing the cassette; "
    "fault is a groq_vcr.faults builder name (rate_limited, server_error, invalid_api_key, capacity_exceeded, "
    "error_response, cut_stream, stream_error, drop_connection, delay) or a Fault object; settings are the "
    "builder's arguments and the selectors path, method, interaction, nth, times."
)
"""The marker's line in ``pytest --markers``."""

_PLAN = pytest.StashKey["FaultPlan"]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


def fault_plan_for(item: pytest.Item) -> FaultPlan:
    """The fault plan of ``item`` (built once from its ``groq_fault`` markers, closest marker first)."""
    plan = item.stash.get(_PLAN, None)
    if plan is None:
        from groq_vcr.faults import FaultPlan, build_fault

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
