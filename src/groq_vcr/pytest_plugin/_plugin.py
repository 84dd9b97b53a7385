"""pytest entry point of groq-vcr (registered as the ``groq_vcr`` pytest11 plugin).

groq-vcr builds on pytest-recording: ``@pytest.mark.vcr``, ``--record-mode``, ``--block-network`` and the
``vcr_config`` fixture work as documented there. Through pytest-recording's ``pytest_recording_configure``
hook every cassette becomes a go-vcr v2 file with groq-vcr's recording, redaction and matching, with no
configuration in the user's project.

Cassette lifecycle options (``pytest --help``, group "groq-vcr"): a maximum cassette age and what to do past
it, verify mode (send live, compare schemas, never save), a per-test match log, keeping what failed tests
recorded, and the end-of-run record that ``groq-vcr check --unused`` reads.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from groq_vcr._settings import ON_EXPIRED, Settings, load_settings, parse_max_age, redaction_for
from groq_vcr.engine import DEFAULT_LAST_RUN, SessionOptions, SessionStats, write_last_run
from groq_vcr.errors import GroqVcrError
from groq_vcr.pytest_plugin._faults import MARKER_HELP as FAULT_MARKER_HELP
from groq_vcr.pytest_plugin._faults import session_fault_options
from groq_vcr.pytest_plugin._fixtures import SCHEMA_STRICT_INI, groq_faults, groq_schema
from groq_vcr.pytest_plugin._vcr import install
from groq_vcr.schema import Schema, compare

__all__ = ["CassetteExpired", "ReplayMiss", "groq_faults", "groq_schema"]

MAX_AGE_KEY = "groq_vcr_max_age"
"""``vcr_config`` / ``@pytest.mark.vcr`` key: this test's maximum cassette age (``"30d"``, ``"off"``)."""
ON_EXPIRED_KEY = "groq_vcr_on_expired"
"""``vcr_config`` / ``@pytest.mark.vcr`` key: ``warn``, ``fail`` or ``rerecord`` for this test."""
LOG_MARKER = "groq_vcr_log"
LOG_SECTION = "groq-vcr match log"

_FAILED = pytest.StashKey[bool]()
_UNUSED = pytest.StashKey[list[str]]()
_DRIFT = pytest.StashKey[list[str]]()
_LOG = pytest.StashKey["_LogCollector"]()
_STATS = pytest.StashKey[list[SessionStats]]()
_SETTINGS = pytest.StashKey[Settings]()
_PRINTED_LOGS = pytest.StashKey[list[tuple[str, str]]]()

_match_log = logging.getLogger("groq_vcr.match")


class ReplayMiss(pytest.fail.Exception):  # type: ignore[name-defined,misc]
    """A request no recorded interaction answers.

    Raised as a test failure (a ``BaseException``) rather than an ``Exception`` on purpose: the SDKs catch
    ``Exception`` from their transport and retry it as a connection error, which would hide this message
    behind ``APIConnectionError: Connection error.`` after seconds of back-off.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, pytrace=False)


class CassetteExpired(pytest.fail.Exception):  # type: ignore[name-defined,misc]
    """A cassette older than its maximum age with ``--groq-vcr-on-expired=fail`` (reported without a traceback)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, pytrace=False)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("groq-vcr", "groq-vcr cassettes")
    group.addoption(
        "--groq-vcr-summary",
        choices=("totals", "cassettes", "off"),
        default="totals",
        help="End-of-run summary: totals (default), one line per cassette, or off.",
    )
    group.addoption(
        "--groq-vcr-fail-unused",
        action="store_true",
        default=False,
        help="Fail a test whose cassette has interactions it never played.",
    )
    group.addoption(
        "--groq-vcr-keep-failed",
        action="store_true",
        default=False,
        help="Save interactions recorded by a test that fails (by default they are discarded).",
    )
    group.addoption(
        "--groq-vcr-max-age",
        default=None,
        metavar="AGE",
        help="Maximum cassette age, e.g. 30d, 2w, 12h ('off': none); overrides groq_vcr_max_age in "
        "vcr_config/markers and max-age in [tool.groq-vcr]. Age = the newest Date header in the cassette.",
    )
    group.addoption(
        "--groq-vcr-on-expired",
        choices=ON_EXPIRED,
        default=None,
        help="What to do with a cassette older than its maximum age: warn and replay (default), fail the "
        "test, or rerecord it live (needs GROQ_API_KEY; without it: warn).",
    )
    group.addoption(
        "--groq-vcr-verify",
        action="store_true",
        default=False,
        help="Verify mode: replay nothing, send every request live, compare each live response's schema with "
        "the recorded one and fail the test on drift; cassettes are never rewritten.",
    )
    group.addoption(
        "--groq-vcr-log",
        action="store_true",
        default=False,
        help="Show the match log (every matching decision and why each candidate was rejected) of each test "
        f"(one test: @pytest.mark.{LOG_MARKER}).",
    )
    group.addoption(
        "--groq-vcr-last-run",
        default=str(DEFAULT_LAST_RUN),
        metavar="FILE",
        help="Where to write the end-of-run record that 'groq-vcr check --unused' reads, relative to the "
        f"rootdir (default {DEFAULT_LAST_RUN}; 'off': do not write it).",
    )
    parser.addini(
        SCHEMA_STRICT_INI,
        type="bool",
        default=False,
        help="groq_schema fixture and --groq-vcr-verify: fail on added fields too, not only on breaking changes.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATS] = []
    config.stash[_PRINTED_LOGS] = []
    config.pluginmanager.register(_LogReports(config), "groq_vcr_log_reports")
    config.addinivalue_line("markers", f"{LOG_MARKER}: show this test's groq-vcr match log in its report.")
    config.addinivalue_line("markers", FAULT_MARKER_HELP)
    if config.getoption("--groq-vcr-max-age") is not None:
        try:
            parse_max_age(config.getoption("--groq-vcr-max-age"), where="--groq-vcr-max-age")
        except GroqVcrError as exc:
            raise pytest.UsageError(str(exc)) from None


def pytest_assertrepr_compare(config: pytest.Config, op: str, left: Any, right: Any) -> list[str] | None:
    """``assert schema_a == schema_b`` explained as a schema drift report."""
    if op != "==" or not isinstance(left, Schema) or not isinstance(right, Schema):
        return None
    report = compare(left, right)
    return ["response schemas differ (left -> right):", *report.to_text().splitlines()]


_current_item: pytest.Item | None = None


class _LogCollector(logging.Handler):
    """Collects ``groq_vcr.match`` records of one test, for its report section."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.previous_level = logging.NOTSET
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _wants_log(item: pytest.Item) -> bool:
    return bool(item.config.getoption("--groq-vcr-log")) or item.get_closest_marker(LOG_MARKER) is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    global _current_item
    _current_item = item
    if _wants_log(item):  # from setup on: the cassette is opened (and may expire) in a fixture
        collector = item.stash[_LOG] = _LogCollector()
        collector.previous_level = _match_log.level
        _match_log.setLevel(logging.DEBUG)
        _match_log.addHandler(collector)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    try:
        return (yield)
    finally:  # after the fixtures are torn down: the cassette is closed, its decisions are all logged
        collector = item.stash.get(_LOG, None)
        if collector is not None:
            _match_log.removeHandler(collector)
            _match_log.setLevel(collector.previous_level)
            text = "\n".join(collector.lines) or "(no request went through a cassette)"
            item.add_report_section("teardown", LOG_SECTION, text)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    if report.when == "teardown" and report.passed:
        problems: list[str] = []
        unused = item.stash.get(_UNUSED, None)
        if unused:
            problems.append("groq-vcr: unused recorded interactions (--groq-vcr-fail-unused):\n" + "\n".join(unused))
        drift = item.stash.get(_DRIFT, None)
        if drift:
            problems.append("groq-vcr verify: live responses drifted from the cassette:\n" + "\n".join(drift))
        if problems:
            report.outcome = "failed"
            report.longrepr = "\n".join(problems)
    return report


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
                    self.config.stash[_PRINTED_LOGS].append((report.nodeid, content))


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """Turn pytest-recording's VCR into a groq-vcr one for the test being set up."""
    item = _current_item

    def make_options(kwargs: dict[str, Any]) -> SessionOptions:
        return _session_options(config, item, kwargs)

    install(vcr, make_options)


def _settings(config: pytest.Config) -> Settings:
    settings = config.stash.get(_SETTINGS, None)
    if settings is None:
        settings = config.stash[_SETTINGS] = load_settings(config.rootpath)
    return settings


def _expiry(config: pytest.Config, kwargs: dict[str, Any], nodeid: str) -> tuple[timedelta | None, str]:
    """(maximum age, action) for one test: command line > vcr_config/marker > [tool.groq-vcr]."""
    settings = _settings(config)
    cli_age = config.getoption("--groq-vcr-max-age")
    try:
        if cli_age is not None:
            max_age = parse_max_age(cli_age, where="--groq-vcr-max-age")
        elif MAX_AGE_KEY in kwargs:
            max_age = parse_max_age(kwargs[MAX_AGE_KEY], where=f"{nodeid}: {MAX_AGE_KEY}")
        else:
            max_age = settings.max_age
    except GroqVcrError as exc:
        raise pytest.UsageError(str(exc)) from None
    action = config.getoption("--groq-vcr-on-expired") or kwargs.get(ON_EXPIRED_KEY) or settings.on_expired
    if action not in ON_EXPIRED:
        raise pytest.UsageError(f"{nodeid}: {ON_EXPIRED_KEY}={action!r} is not one of {', '.join(ON_EXPIRED)}.")
    return max_age, str(action)


def _session_options(config: pytest.Config, item: pytest.Item | None, kwargs: dict[str, Any]) -> SessionOptions:
    nodeid = item.nodeid if item is not None else ""
    redact, check_text, mask = redaction_for(config.rootpath, kwargs)
    keep_failed = bool(config.getoption("--groq-vcr-keep-failed") or kwargs.get("groq_vcr_keep_failed"))
    max_age, on_expired = _expiry(config, kwargs, nodeid)

    def should_save() -> bool:
        return keep_failed or item is None or not item.stash.get(_FAILED, False)

    def on_close(stats: SessionStats) -> None:
        config.stash[_STATS].append(stats)
        if item is None:
            return
        if stats.unused and config.getoption("--groq-vcr-fail-unused"):
            item.stash.setdefault(_UNUSED, []).append(
                f"  {stats.path}: interactions {', '.join('#' + str(i) for i in stats.unused)} never played"
            )
        for result in stats.verified:
            if not result["ok"]:
                report = "\n".join(f"      {line}" for line in str(result["text"]).splitlines())
                item.stash.setdefault(_DRIFT, []).append(f"  {stats.path} {result['label']}:\n{report}")

    return SessionOptions(
        allow_repeats=bool(kwargs.get("allow_playback_repeats", False)),
        rerecord_hint=f"pytest --record-mode=rewrite {nodeid}".rstrip(),
        mask=mask,
        redact=redact,
        check_text=check_text,
        miss_error=ReplayMiss,
        should_save=should_save,
        on_close=on_close,
        before_write=kwargs.get("groq_vcr_before_write"),
        max_age=max_age,
        on_expired=on_expired,
        live_available=bool(os.environ.get("GROQ_API_KEY")),
        expired_error=CassetteExpired,
        verify=bool(config.getoption("--groq-vcr-verify")),
        verify_strict=bool(config.getini(SCHEMA_STRICT_INI)),
        **session_fault_options(item, kwargs),
    )


def _last_run_path(config: pytest.Config) -> Path | None:
    value = str(config.getoption("--groq-vcr-last-run"))
    if value.lower() in ("", "off", "none"):
        return None
    return config.rootpath / value


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the stats to the controller
        workeroutput["groq_vcr_stats"] = [vars(s) for s in config.stash[_STATS]]
        return
    stats = config.stash.get(_STATS, [])
    target = _last_run_path(config)
    if stats and target is not None:
        write_last_run(target, stats)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    stats = getattr(node, "workeroutput", {}).get("groq_vcr_stats", [])
    node.config.stash[_STATS].extend(SessionStats(**s) for s in stats)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if getattr(config, "workeroutput", None) is not None:
        return
    for nodeid, content in config.stash.get(_PRINTED_LOGS, []):
        terminalreporter.write_sep("-", f"{LOG_SECTION}: {nodeid}")
        terminalreporter.write_line(content)
    mode = config.getoption("--groq-vcr-summary")
    stats: list[SessionStats] = config.stash.get(_STATS, [])
    if mode == "off" or not stats:
        return
    replayed = sum(s.replayed for s in stats)
    recorded = sum(s.recorded for s in stats)
    unused = sum(len(s.unused) for s in stats)
    saved = sum(1 for s in stats if s.saved)
    terminalreporter.write_sep("-", "groq-vcr")
    terminalreporter.write_line(
        f"{len(stats)} cassettes used: {replayed} interactions replayed, {recorded} recorded "
        f"({saved} cassettes saved), {unused} unused"
    )
    for s in sorted((s for s in stats if s.expired), key=lambda s: s.path):
        terminalreporter.write_line(f"expired: {s.expired}")
    verified = [(s.path, result) for s in stats for result in s.verified]
    if verified:
        drifted = [(path, result) for path, result in verified if not result["ok"]]
        terminalreporter.write_line(
            f"verify: {len(verified)} live responses compared with their recording, {len(drifted)} drifted"
        )
        for path, result in verified:
            terminalreporter.write_line(f"  {path} {result['label']}: {result['summary']}")
    if mode == "cassettes":
        for s in sorted(stats, key=lambda s: s.path):
            line = f"  {s.path}: {s.replayed} replayed, {s.recorded} recorded, {len(s.unused)} unused"
            terminalreporter.write_line(line + (" (saved)" if s.saved else ""))
