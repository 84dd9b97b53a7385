"""The end of a run: one summary of every cassette used, and the record ``groq-vcr check --unused`` reads.

Each cassette session reports its :class:`~groq_vcr.engine.SessionStats` when it closes
(:func:`record_stats`). Under pytest-xdist the workers hand theirs to the controller, which prints the summary
and writes the last-run record for the whole run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from groq_vcr.engine import SessionStats

__all__ = ["DEFAULT_LAST_RUN", "record_stats"]

DEFAULT_LAST_RUN = ".groq-vcr/last-run.json"
"""``groq_vcr.engine.DEFAULT_LAST_RUN``, spelt out: the option's default is needed in every run, the engine is not."""

_STATS = pytest.StashKey[list["SessionStats"]]()


def record_stats(config: pytest.Config, stats: SessionStats) -> None:
    """Count a closed cassette session in this run's summary."""
    config.stash.setdefault(_STATS, []).append(stats)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("groq-vcr", "groq-vcr cassettes")
    group.addoption(
        "--groq-vcr-summary",
        choices=("totals", "cassettes", "off"),
        default="totals",
        help="End-of-run summary: totals (default), one line per cassette, or off.",
    )
    group.addoption(
        "--groq-vcr-last-run",
        default=DEFAULT_LAST_RUN,
        metavar="FILE",
        help="Where to write the end-of-run record that 'groq-vcr check --unused' reads, relative to the "
        f"rootdir (default {DEFAULT_LAST_RUN}; 'off': do not write it).",
    )


def _last_run_path(config: pytest.Config) -> Path | None:
    value = str(config.getoption("--groq-vcr-last-run"))
    if value.lower() in ("", "off", "none"):
        return None
    return config.rootpath / value


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    stats = config.stash.get(_STATS, [])
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the stats to the controller
        workeroutput["groq_vcr_stats"] = [vars(s) for s in stats]
        return
    target = _last_run_path(config)
    if stats and target is not None:
        from groq_vcr.engine import write_last_run

        write_last_run(target, stats)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    handed = getattr(node, "workeroutput", {}).get("groq_vcr_stats", [])
    if handed:
        from groq_vcr.engine import SessionStats

        for stats in handed:
            record_stats(node.config, SessionStats(**stats))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if getattr(config, "workeroutput", None) is not None:
        return
    mode = config.getoption("--groq-vcr-summary")
    stats = config.stash.get(_STATS, [])
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
