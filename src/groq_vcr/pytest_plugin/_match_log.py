"""The match log: every matching decision of a test and why each candidate was rejected, in its report.

Shown for every test with ``--groq-vcr-log`` or for one with ``@pytest.mark.groq_vcr_log``: in the report of
a failing test, and in the terminal summary for the others.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

import pytest

__all__ = ["LOG_MARKER", "LOG_SECTION"]

LOG_MARKER = "groq_vcr_log"
LOG_SECTION = "groq-vcr match log"

_COLLECTOR = pytest.StashKey["_LogCollector"]()
_PRINTED = pytest.StashKey[list[tuple[str, str]]]()

_match_log = logging.getLogger("groq_vcr.match")


class _LogCollector(logging.Handler):
    """Collects ``groq_vcr.match`` records of one test, for its report section."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.previous_level = logging.NOTSET
        self.previous_propagate = True
        self.set_aside: list[logging.Handler] = []
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class _LogReports:
    """Keeps the match logs of tests that did not fail, to print them in the terminal summary.

    A failed test shows its report sections with its failure already. This runs where the terminal is (the
    xdist controller too, where the sections arrive with each report).
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.failed: set[str] = set()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed.add(report.nodeid)
        if report.when == "teardown" and report.nodeid not in self.failed:
            for title, content in report.sections:
                if title.endswith(f"{LOG_SECTION} teardown"):
                    self.config.stash[_PRINTED].append((report.nodeid, content))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("groq-vcr", "groq-vcr cassettes").addoption(
        "--groq-vcr-log",
        action="store_true",
        default=False,
        help="Show the match log (every matching decision and why each candidate was rejected) of each test "
        f"(one test: @pytest.mark.{LOG_MARKER}).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_PRINTED] = []
    config.pluginmanager.register(_LogReports(config), "groq_vcr_log_reports")
    config.addinivalue_line("markers", f"{LOG_MARKER}: show this test's groq-vcr match log in its report.")


def _wants_log(item: pytest.Item) -> bool:
    return bool(item.config.getoption("--groq-vcr-log")) or item.get_closest_marker(LOG_MARKER) is not None


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    if _wants_log(item):  # from setup on: the cassette is opened (and may expire) in a fixture
        collector = item.stash[_COLLECTOR] = _LogCollector()
        collector.previous_level = _match_log.level
        collector.previous_propagate = _match_log.propagate
        _match_log.setLevel(logging.DEBUG)
        _match_log.propagate = False
        _match_log.addHandler(collector)
    _set_aside_others(item)
    try:
        return (yield)
    finally:
        _put_back_others(item)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    _set_aside_others(item)
    try:
        return (yield)
    finally:
        _put_back_others(item)


def _set_aside_others(item: pytest.Item) -> None:
    """While a phase of a logged test runs, the match log goes to its collector alone: pytest's log capture
    attaches to this (non-propagating) logger too, and would print every line a second time ("Captured log")."""
    collector = item.stash.get(_COLLECTOR, None)
    if collector is None:
        return
    collector.set_aside = [handler for handler in _match_log.handlers if handler is not collector]
    for handler in collector.set_aside:
        _match_log.removeHandler(handler)


def _put_back_others(item: pytest.Item) -> None:
    collector = item.stash.get(_COLLECTOR, None)
    if collector is None:
        return
    for handler in collector.set_aside:
        _match_log.addHandler(handler)
    collector.set_aside = []


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    _set_aside_others(item)
    try:
        return (yield)
    finally:  # after the fixtures are torn down: the cassette is closed, its decisions are all logged
        _put_back_others(item)
        collector = item.stash.get(_COLLECTOR, None)
        if collector is not None:
            _match_log.removeHandler(collector)
            _match_log.setLevel(collector.previous_level)
            _match_log.propagate = collector.previous_propagate
            text = "\n".join(collector.lines) or "(no request went through a cassette)"
            item.add_report_section("teardown", LOG_SECTION, text)


@pytest.hookimpl(tryfirst=True)  # the logs come before the summary's totals
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if getattr(config, "workeroutput", None) is not None:
        return
    for nodeid, content in config.stash.get(_PRINTED, []):
        terminalreporter.write_sep("-", f"{LOG_SECTION}: {nodeid}")
        terminalreporter.write_line(content)
