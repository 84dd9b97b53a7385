"""What a test's cassettes make of its report.

- A replay miss (:class:`~groq_vcr.NoMatchError`) and an expired cassette with ``on-expired = fail``
  (:class:`~groq_vcr.CassetteExpiredError`) are reported as the failure they are, with their explanation and
  no traceback. A miss is a ``BaseException`` on purpose: the SDKs catch ``Exception`` from their transport
  and retry it as a connection error, which would hide the explanation behind ``APIConnectionError`` after
  seconds of back-off.
- What a test recorded is saved only when it ran to the end without failing (unless ``--groq-vcr-keep-failed``):
  neither a failed test nor one interrupted (Ctrl-C) replaces or adds to its cassette.
- A cassette that cannot be saved (read-only folder, full disk) is one line at teardown, not a traceback.
- ``groq_schema`` checks made while recording are made against the saved cassette at teardown.
- Unused interactions (``--groq-vcr-fail-unused``) and verify-mode drift fail the test at teardown, when its
  cassettes close; a test that already failed is not failed twice (FAILED and ERROR): they are shown with its
  failure.
- ``assert schema_a == schema_b`` is explained as a schema drift report.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import pytest

from groq_vcr.errors import CassetteExpiredError, CassetteFormatError, CassetteSaveError, NoMatchError
from groq_vcr.pytest_plugin._sharding import shard_of
from groq_vcr.pytest_plugin._summary import record_stats

if TYPE_CHECKING:
    from groq_vcr.engine import SessionStats
    from groq_vcr.schema import SchemaChecker

__all__ = ["session_callbacks", "watch_schema_checker"]

_FAILED = pytest.StashKey[bool]()
_RAN = pytest.StashKey[bool]()
_UNUSED = pytest.StashKey[list[str]]()
_DRIFT = pytest.StashKey[list[str]]()
_SCHEMA_CHECKERS = pytest.StashKey[list["SchemaChecker"]]()

_EXPLAINED = (NoMatchError, CassetteExpiredError, CassetteSaveError, CassetteFormatError)
"""Failures whose message is the whole story: reported without a traceback."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("groq-vcr", "groq-vcr cassettes")
    group.addoption(
        "--groq-vcr-fail-unused",
        action="store_true",
        default=False,
        help="Fail a test whose cassette has interactions it never played. In a sharded run (--groq-vcr-sharded, "
        "pytest-split, pytest-shard) this is left to 'groq-vcr report merge --fail-unused'.",
    )
    group.addoption(
        "--groq-vcr-keep-failed",
        action="store_true",
        default=False,
        help="Save interactions recorded by a test that fails (by default they are discarded).",
    )


def watch_schema_checker(item: pytest.Item, checker: SchemaChecker) -> None:
    """Make ``checker``'s deferred checks (made while recording) at teardown, once the cassette is saved."""
    item.stash.setdefault(_SCHEMA_CHECKERS, []).append(checker)


def session_callbacks(
    config: pytest.Config, item: pytest.Item | None, *, keep_failed: bool
) -> tuple[Callable[[], bool], Callable[[SessionStats], None]]:
    """``(may_save, on_close)`` for a cassette session opened by ``item``."""

    def may_save() -> bool:
        if keep_failed or item is None:
            return True
        return item.stash.get(_RAN, False) and not item.stash.get(_FAILED, False)

    def on_close(stats: SessionStats) -> None:
        if item is not None:
            stats.test = item.nodeid
        record_stats(config, stats)
        if item is None:
            return
        if stats.unused and config.getoption("--groq-vcr-fail-unused") and shard_of(config) is None:
            never = ", ".join("#" + str(i) for i in stats.unused)
            item.stash.setdefault(_UNUSED, []).append(f"  {stats.path}: interactions {never} never played")
        for result in stats.verified:
            if not result["ok"]:
                report = "\n".join(f"      {line}" for line in str(result["text"]).splitlines())
                item.stash.setdefault(_DRIFT, []).append(f"  {stats.path} {result['label']}:\n{report}")

    return may_save, on_close


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(_EXPLAINED):
        report.longrepr = call.excinfo.getrepr(style="value")
    if report.when == "call":
        item.stash[_RAN] = True
        if report.failed:
            item.stash[_FAILED] = True
    if report.when == "teardown" and report.passed:
        problems: list[str] = []
        unused = item.stash.get(_UNUSED, None)
        if unused:
            problems.append("groq-vcr: unused recorded interactions (--groq-vcr-fail-unused):\n" + "\n".join(unused))
        schema = [problem for checker in item.stash.get(_SCHEMA_CHECKERS, []) for problem in checker.check_deferred()]
        if schema:
            problems.append(
                "groq-vcr: groq_schema checks made while recording fail against the saved cassette (they would "
                "fail on every replay):\n" + "\n".join(f"  {problem}" for problem in schema)
            )
        drift = item.stash.get(_DRIFT, None)
        if drift:
            problems.append("groq-vcr verify: live responses drifted from the cassette:\n" + "\n".join(drift))
        already_failed: bool = item.stash.get(_FAILED, False)
        if problems and already_failed:
            # The test already failed: one failure per test; the findings are shown with it, not as an ERROR.
            report.sections.append(("Captured groq-vcr findings teardown", "\n".join(problems)))
        elif problems:
            report.outcome = "failed"
            report.longrepr = "\n".join(problems)
    return report


def pytest_assertrepr_compare(config: pytest.Config, op: str, left: Any, right: Any) -> list[str] | None:
    """``assert schema_a == schema_b`` explained as a schema drift report."""
    # Called for every failed ``==`` of every test: a Schema exists only once the schema layer is imported.
    schema = sys.modules.get("groq_vcr.schema")
    if schema is None or op != "==" or not isinstance(left, schema.Schema) or not isinstance(right, schema.Schema):
        return None
    report = schema.compare(left, right)
    return ["response schemas differ (left -> right):", *report.to_text().splitlines()]
