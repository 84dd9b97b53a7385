"""The fixtures groq-vcr adds to every test: ``groq_schema`` and ``groq_faults``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from groq_vcr._settings import redactor_for
from groq_vcr.pytest_plugin._faults import fault_plan_for, not_applied, uses_cassette
from groq_vcr.pytest_plugin._outcomes import watch_schema_checker

if TYPE_CHECKING:
    from groq_vcr.faults import FaultPlan
    from groq_vcr.schema import SchemaChecker

__all__ = ["SCHEMA_STRICT_INI", "groq_faults", "groq_schema"]

SCHEMA_STRICT_INI = "groq_schema_strict"
"""ini option (bool) the plugin may register: make ``groq_schema`` fail on additive changes by default."""


def _cassette_path(request: pytest.FixtureRequest) -> Path:
    directory = Path(request.getfixturevalue("vcr_cassette_dir"))
    name = str(request.getfixturevalue("default_cassette_name"))
    if not name.endswith((".yaml", ".yml")):
        name += ".yaml"
    return directory / name


@pytest.fixture
def groq_schema(request: pytest.FixtureRequest) -> SchemaChecker:
    """Compare responses with the schemas recorded in this test's cassette: ``groq_schema.check(response)``.

    Fails with a path-addressed drift report on breaking changes (removed fields, new types, new nullability);
    set ``groq_schema.strict = True`` or pass ``strict=True`` to fail on added fields too. While recording,
    the checks are made once the cassette is saved, so a test fails while recording where it would on replay.
    """
    from groq_vcr.schema import SchemaChecker

    strict = bool(request.config.getini(SCHEMA_STRICT_INI))
    # Requests are paired as replay matches them: masked by this test's redaction rules.
    marker = request.node.get_closest_marker("vcr")
    overrides = {**request.getfixturevalue("vcr_config"), **(marker.kwargs if marker else {})}
    redactor = redactor_for(request.config.rootpath, overrides)
    checker = SchemaChecker(_cassette_path(request), strict=strict, mask=redactor.mask)
    watch_schema_checker(request.node, checker)
    return checker


@pytest.fixture
def groq_faults(request: pytest.FixtureRequest) -> Iterator[FaultPlan]:
    """Faults injected into this test's Groq replies (starts with its ``groq_fault`` markers).

    ``groq_faults.add("rate_limited", retry_after=3, times=2)`` makes the next two requests get Groq's 429;
    ``groq_faults.add(faults.cut_stream(2, path="/chat/completions"))`` ends the next stream after two events.
    ``groq_faults.hits`` lists the requests a fault was applied to (``hits_of(fault)`` for one fault).
    Faults need a cassette: a test that adds some and opens none fails at teardown, saying so.
    """
    plan = fault_plan_for(request.node)
    yield plan
    item = request.node
    if plan.faults and not plan.sessions and not uses_cassette(item):
        pytest.fail(
            f"{item.nodeid}: faults were added to groq_faults but the test opened no cassette, so none was "
            "applied and its requests reached the network unaltered; add @pytest.mark.vcr, or pass "
            "faults=groq_faults to groq_vcr.use_cassette(...)",
            pytrace=False,
        )
    why = not_applied(item, plan)
    if why is not None:
        pytest.fail(f"{item.nodeid}: the faults added to groq_faults were not applied: {why}", pytrace=False)
