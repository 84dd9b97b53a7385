"""pytest loads the plugin in every run of every project that has groq-vcr installed: it must stay light.

A run whose tests use no cassette imports none of vcrpy, deepdiff, PyYAML, rich, click, the servers or
groq-vcr's layers; the first ``@pytest.mark.vcr`` test imports what it needs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groq_vcr.engine import DEFAULT_LAST_RUN, LAST_RUN_CACHE_FOLDER, LAST_RUN_NAME
from groq_vcr.pacing import BUDGET_DIR_ENV
from groq_vcr.pytest_plugin import _pacing, _summary

WATCHED = (
    "vcr",
    "deepdiff",
    "yaml",
    "rich",
    "click",
    "uvicorn",
    "starlette",
    "groq_vcr.engine",
    "groq_vcr.cassette",
    "groq_vcr.redaction",
    "groq_vcr.schema",
    "groq_vcr.faults",
    "groq_vcr.report",
    "groq_vcr.pacing",
    "filelock",
    "groq_vcr.servers",
    "groq_vcr.testing",
)

CONFTEST = f"""
import json
import sys

WATCHED = {WATCHED!r}


def pytest_sessionfinish(session):
    modules = set(sys.modules)
    loaded = [name for name in WATCHED if any(m == name or m.startswith(name + ".") for m in modules)]
    plugin = session.config.pluginmanager.has_plugin("groq_vcr")
    with open("modules.json", "w") as handle:
        json.dump({{"loaded": loaded, "plugin": plugin}}, handle)
"""

PLAIN = """
def test_plain():
    assert 1 + 1 == 2
"""

WITH_CASSETTE = """
import pytest


@pytest.mark.vcr
def test_with_a_cassette():
    assert 1 + 1 == 2
"""


def _loaded(pytester: pytest.Pytester, *args: str) -> tuple[list[str], bool]:
    """The watched modules a pytest process had imported when its session ended, and whether groq-vcr was on."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    assert result.ret == 0, result.stdout.str()
    report = json.loads((pytester.path / "modules.json").read_text())
    return report["loaded"], report["plugin"]


def test_a_run_without_cassettes_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_plain=PLAIN)
    without_plugin, on = _loaded(pytester, "-p", "no:groq_vcr")
    assert not on
    loaded, on = _loaded(pytester)
    assert on
    # What pytest and the other plugins import without groq-vcr is not ours (today: nothing of the list).
    assert [name for name in loaded if name not in without_plugin] == []
    assert [name for name in loaded if name.startswith("groq_vcr.")] == []


def test_the_first_cassette_imports_what_it_needs(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_cassette=WITH_CASSETTE)
    loaded, on = _loaded(pytester, "--record-mode=none")
    assert on
    assert {"vcr", "yaml", "groq_vcr.engine", "groq_vcr.cassette"} <= set(loaded)
    # (click may be there: ``import httpx`` tries to load httpx's own command line when click is installed.)
    assert not {"uvicorn", "starlette", "groq_vcr.servers", "groq_vcr.testing"} & set(loaded)


def test_the_last_run_default_is_the_engines() -> None:
    # Spelt out in the plugin so that its options do not import the engine.
    assert Path(_summary.DEFAULT_LAST_RUN) == DEFAULT_LAST_RUN
    assert (_summary.LAST_RUN_CACHE_FOLDER, _summary.LAST_RUN_NAME) == (LAST_RUN_CACHE_FOLDER, LAST_RUN_NAME)


def test_the_budget_folder_variable_is_the_pacing_layers() -> None:
    assert _pacing.BUDGET_DIR_ENV == BUDGET_DIR_ENV
