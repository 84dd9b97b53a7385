"""The end-of-run record: the run report (:mod:`groq_vcr.report`) the pytest plugin leaves after every run.

The plugin writes it at the end of every run that used a cassette, into pytest's cache folder
(``.pytest_cache/d/groq-vcr/last-run.json``; under pytest-xdist the controller writes it from every worker's
data), or where ``--groq-vcr-report`` / ``groq_vcr_last_run`` says. ``groq-vcr check --unused`` reads it to
list dead cassettes and interactions; ``groq-vcr report merge`` merges the reports of a sharded suite. One
format for both: the run report, version 2 (version 1 files are still read).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from groq_vcr.cassette import write_atomic
from groq_vcr.errors import GroqVcrError
from groq_vcr.report import CassetteUse, RunInfo, RunReport, read_report, report_from_stats

if TYPE_CHECKING:
    from groq_vcr.engine._stats import SessionStats

__all__ = [
    "DEFAULT_LAST_RUN",
    "LAST_RUN_CACHE_FOLDER",
    "LAST_RUN_NAME",
    "LEGACY_LAST_RUN",
    "CassetteUse",
    "LastRun",
    "read_last_run",
    "summarise",
    "write_last_run",
]

LAST_RUN_CACHE_FOLDER = "groq-vcr"
"""The plugin's folder in pytest's cache (``config.cache.mkdir``)."""
LAST_RUN_NAME = "last-run.json"
DEFAULT_LAST_RUN = Path(".pytest_cache") / "d" / LAST_RUN_CACHE_FOLDER / LAST_RUN_NAME
"""Where the plugin writes the record by default, relative to the pytest rootdir (pytest's default cache_dir)."""
LEGACY_LAST_RUN = Path(".groq-vcr") / LAST_RUN_NAME
"""Where versions before 0.2 wrote it; still read."""

LastRun = RunReport
"""The record of the last run is a run report."""


def now_iso() -> str:
    """The current time as the report writes it (ISO 8601, UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def summarise(stats: Iterable[SessionStats], rootdir: Path | None = None) -> dict[str, CassetteUse]:
    """Merge the stats of every session into one :class:`CassetteUse` per cassette (see
    :func:`~groq_vcr.report.report_from_stats`); paths relative to ``rootdir``, absolute without one."""
    return report_from_stats(stats, rootdir=rootdir, run=RunInfo(finished="")).cassettes


def write_last_run(
    path: str | Path,
    stats: Iterable[SessionStats] | RunReport,
    *,
    rootdir: Path | None = None,
    run: RunInfo | None = None,
) -> Path:
    """Write the report of a run (its ``stats``, or the report itself) to ``path`` atomically; returns the path."""
    target = Path(path)
    if isinstance(stats, RunReport):
        report = stats
    else:
        report = report_from_stats(stats, rootdir=rootdir, run=run or RunInfo(finished=now_iso()))
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, report.to_json())
    return target


def read_last_run(path: str | Path) -> RunReport:
    """Read a record written by :func:`write_last_run`; a clear :class:`GroqVcrError` when it can't."""
    source = Path(path)
    if not source.exists():
        raise GroqVcrError(
            f"{source} does not exist: run the test suite first (the groq-vcr pytest plugin writes it into pytest's "
            "cache folder at the end of every run that uses a cassette; with -p no:cacheprovider, give it a path: "
            "--groq-vcr-report FILE), or pass --last-run FILE."
        )
    return read_report(source)
