"""The ``groq_fault`` marker: faults a test's Groq replies get, without editing its cassette.

The marker and the ``groq_faults`` fixture share one :class:`~groq_vcr.faults.FaultPlan` per test, which the
test's cassette sessions receive in their options: faults added from the test body apply to the requests made
after that. A marker with a bad fault, or on a test that opens no cassette, fails the test at setup with one
line saying why (no plugin traceback), before any request is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from groq_vcr.faults import FaultPlan

__all__ = ["MARKER_HELP", "NOT_APPLIED", "fault_plan_for", "not_applied", "uses_cassette"]

MARKER_HELP = (
    "groq_fault(fault, **settings): alter this test's Groq replies (replayed or recorded) without editing the "
    "cassette; fault is a groq_vcr.faults builder name (rate_limited, server_error, invalid_api_key, "
    "capacity_exceeded, error_response, cut_stream, stream_error, drop_connection, delay) or a Fault object; "
    "settings are the builder's arguments and the selectors path, method, interaction, nth, times. Needs a "
    "cassette (@pytest.mark.vcr)."
)
"""The marker's line in ``pytest --markers``."""

_PLAN = pytest.StashKey["FaultPlan"]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


def uses_cassette(item: pytest.Item) -> bool:
    """Whether ``item`` opens a pytest-recording cassette: its autouse ``vcr`` fixture does for a ``vcr`` marker."""
    return item.get_closest_marker("vcr") is not None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Check the test's ``groq_fault`` markers before its fixtures open a cassette or it sends anything."""
    if item.get_closest_marker("groq_fault") is None:
        return
    fault_plan_for(item)
    if not uses_cassette(item) and "groq_faults" not in getattr(item, "fixturenames", ()):
        pytest.fail(
            f"{item.nodeid}: @pytest.mark.groq_fault alters the answers of the test's cassette, but this test uses "
            "none, so its requests would reach the network without the fault; add @pytest.mark.vcr (and record "
            "the cassette once: pytest --record-mode=once)",
            pytrace=False,
        )


NOT_APPLIED = (
    "its cassette was not opened by groq-vcr (a cassette vcrpy wrote is played by vcrpy itself), so the faults "
    "cannot apply to it; convert it to go-vcr v2 (groq-vcr convert --in-place PATH, or vcrpy-cassettes = "
    '"convert" under [tool.groq-vcr])'
)
"""Why faults were not applied to a test that has a cassette."""


def not_applied(item: pytest.Item, plan: FaultPlan) -> str | None:
    """Why the faults of ``plan`` cannot apply to ``item``'s requests (None when they can, or when the user turned
    cassettes off with --disable-recording)."""
    if not plan.faults or plan.sessions or item.config.getoption("disable_recording", False):
        return None
    return NOT_APPLIED if uses_cassette(item) else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """The fixtures have opened the cassette: a fault that no groq-vcr cassette applies fails before the body."""
    plan = item.stash.get(_PLAN, None)
    why = not_applied(item, plan) if plan is not None else None
    if why is not None:
        pytest.fail(f"{item.nodeid}: @pytest.mark.groq_fault: {why}", pytrace=False)


def fault_plan_for(item: pytest.Item) -> FaultPlan:
    """The fault plan of ``item`` (built once from its ``groq_fault`` markers, closest marker first).

    A marker that does not build fails the test with one line naming the test, the fault and what it accepts.
    """
    plan = item.stash.get(_PLAN, None)
    if plan is None:
        from groq_vcr.faults import FaultPlan, build_fault

        faults = []
        for mark in item.iter_markers("groq_fault"):
            if len(mark.args) != 1:
                pytest.fail(
                    f"{item.nodeid}: @pytest.mark.groq_fault takes one fault (a builder name or a Fault object) and "
                    f"keyword settings, got {len(mark.args)} positional arguments; write one marker per fault",
                    pytrace=False,
                )
            problem = None
            try:
                faults.append(build_fault(mark.args[0], **mark.kwargs))
            except (TypeError, ValueError) as exc:
                problem = str(exc)
            if problem is not None:  # outside the except: the report shows no chained exception
                pytest.fail(f"{item.nodeid}: @pytest.mark.groq_fault: {problem}", pytrace=False)
        plan = item.stash[_PLAN] = FaultPlan(faults)
    return plan
