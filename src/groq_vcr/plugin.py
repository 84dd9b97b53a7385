"""pytest entry point of groq-vcr (registered as the ``groq_vcr`` pytest11 plugin).

groq-vcr builds on pytest-recording: ``@pytest.mark.vcr``, ``--record-mode``, ``--block-network`` and the
``vcr_config`` fixture work as documented there. Through pytest-recording's ``pytest_recording_configure``
hook every cassette becomes a go-vcr v2 file with groq-vcr's recording, redaction and matching, with no
configuration in the user's project.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from groq_vcr import policy
from groq_vcr.session import SessionOptions, SessionStats
from groq_vcr.vcr_bridge import install

_FAILED = pytest.StashKey[bool]()
_UNUSED = pytest.StashKey[list[str]]()
_STATS = pytest.StashKey[list[SessionStats]]()


class ReplayMiss(pytest.fail.Exception):  # type: ignore[name-defined,misc]
    """A request no recorded interaction answers.

    Raised as a test failure (a ``BaseException``) rather than an ``Exception`` on purpose: the SDKs catch
    ``Exception`` from their transport and retry it as a connection error, which would hide this message
    behind ``APIConnectionError: Connection error.`` after seconds of back-off.
    """

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


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATS] = []


_current_item: pytest.Item | None = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    global _current_item
    _current_item = item
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    unused = item.stash.get(_UNUSED, None)
    if report.when == "teardown" and unused and report.passed:
        report.outcome = "failed"
        report.longrepr = "groq-vcr: unused recorded interactions (--groq-vcr-fail-unused):\n" + "\n".join(unused)
    return report


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """Turn pytest-recording's VCR into a groq-vcr one for the test being set up."""
    item = _current_item

    def make_options(kwargs: dict[str, Any]) -> SessionOptions:
        return _session_options(config, item, kwargs)

    install(vcr, make_options)


def _session_options(config: pytest.Config, item: pytest.Item | None, kwargs: dict[str, Any]) -> SessionOptions:
    nodeid = item.nodeid if item is not None else ""
    redact, check_text, mask = policy.redaction_for(config.rootpath, kwargs)
    keep_failed = bool(config.getoption("--groq-vcr-keep-failed") or kwargs.get("groq_vcr_keep_failed"))

    def should_save() -> bool:
        return keep_failed or item is None or not item.stash.get(_FAILED, False)

    def on_close(stats: SessionStats) -> None:
        config.stash[_STATS].append(stats)
        if item is not None and stats.unused and config.getoption("--groq-vcr-fail-unused"):
            item.stash.setdefault(_UNUSED, []).append(
                f"  {stats.path}: interactions {', '.join('#' + str(i) for i in stats.unused)} never played"
            )

    return SessionOptions(
        allow_repeats=bool(kwargs.get("allow_playback_repeats", False)),
        rerecord_hint=f"pytest --record-mode=rewrite {nodeid}".rstrip(),
        mask=mask,
        redact=redact,
        check_text=check_text,
        miss_error=ReplayMiss,
        should_save=should_save,
        on_close=on_close,
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the stats to the controller
        workeroutput["groq_vcr_stats"] = [vars(s) for s in session.config.stash[_STATS]]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    stats = getattr(node, "workeroutput", {}).get("groq_vcr_stats", [])
    node.config.stash[_STATS].extend(SessionStats(**s) for s in stats)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    mode = config.getoption("--groq-vcr-summary")
    stats: list[SessionStats] = config.stash.get(_STATS, [])
    if mode == "off" or not stats or getattr(config, "workeroutput", None) is not None:
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
    if mode == "cassettes":
        for s in sorted(stats, key=lambda s: s.path):
            line = f"  {s.path}: {s.replayed} replayed, {s.recorded} recorded, {len(s.unused)} unused"
            terminalreporter.write_line(line + (" (saved)" if s.saved else ""))
