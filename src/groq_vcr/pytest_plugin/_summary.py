"""The end of a run: one summary of every cassette used, and the run report.

Each cassette session reports its :class:`~groq_vcr.engine.SessionStats` when it closes
(:func:`record_stats`). Under pytest-xdist the workers hand theirs to the controller, which prints the summary
and writes the run report (:mod:`groq_vcr.report`) for the whole machine: into pytest's cache folder
(``config.cache``), so it is never litter in the project, or where ``--groq-vcr-report`` (also spelt
``--groq-vcr-last-run``) / the ``groq_vcr_last_run`` ini key says. ``groq-vcr check --unused`` reads it, and
``groq-vcr report merge`` merges the reports of a sharded suite. With the cache disabled (``-p no:cacheprovider``)
and no path given, it is not written. Writing it is best effort: a read-only project only gets a line in the
summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from groq_vcr.pytest_plugin._sharding import shard_of

if TYPE_CHECKING:
    from groq_vcr.engine import SessionStats

__all__ = ["DEFAULT_LAST_RUN", "LAST_RUN_CACHE_FOLDER", "LAST_RUN_INI", "LAST_RUN_NAME", "record_stats"]

# groq_vcr.engine's names, spelt out: the option's help is needed in every run, the engine is not (a test pins them).
LAST_RUN_CACHE_FOLDER = "groq-vcr"
LAST_RUN_NAME = "last-run.json"
DEFAULT_LAST_RUN = f".pytest_cache/d/{LAST_RUN_CACHE_FOLDER}/{LAST_RUN_NAME}"

LAST_RUN_INI = "groq_vcr_last_run"
"""ini key: where to write the last-run record (relative to the rootdir; ``off``: nowhere)."""

_STATS = pytest.StashKey[list["SessionStats"]]()
_LAST_RUN_PROBLEM = pytest.StashKey[str]()
_WRITTEN = pytest.StashKey[Path]()
_WORKERS = pytest.StashKey[int]()


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
        "--groq-vcr-report",
        "--groq-vcr-last-run",
        dest="groq_vcr_report",
        default=None,
        metavar="FILE",
        help="Where to write the run report (JSON) that 'groq-vcr check --unused' and 'groq-vcr report merge' "
        f"read, relative to the rootdir ('off': do not write it). Default: pytest's cache folder ({DEFAULT_LAST_RUN}), "
        f"nothing when the cache is disabled (-p no:cacheprovider). Overrides the {LAST_RUN_INI} ini key.",
    )
    parser.addini(
        LAST_RUN_INI,
        default="",
        help="Where to write the run report 'groq-vcr check --unused' reads, relative to the rootdir "
        "('off': do not write it; default: pytest's cache folder).",
    )


def _last_run_path(config: pytest.Config) -> Path | None:
    """Where this run's record goes: the option, the ini key, else pytest's cache (None: not written)."""
    value = config.getoption("groq_vcr_report")
    if value is None:
        value = config.getini(LAST_RUN_INI) or None
    if value is not None:
        value = str(value).strip()
        return None if value.lower() in ("", "off", "none") else config.rootpath / value
    cache = getattr(config, "cache", None)  # absent with -p no:cacheprovider
    return None if cache is None else cache.mkdir(LAST_RUN_CACHE_FOLDER) / LAST_RUN_NAME


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    stats = config.stash.get(_STATS, [])
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the stats to the controller
        workeroutput["groq_vcr_stats"] = [vars(s) for s in stats]
        return
    shard = shard_of(config)
    if not stats and shard is None:  # a shard always leaves its report: the merge expects one per shard
        return
    try:
        target = _last_run_path(config)
        if target is not None:
            from groq_vcr.engine import write_last_run
            from groq_vcr.engine._last_run import now_iso
            from groq_vcr.report import RunInfo

            run = RunInfo(
                finished=now_iso(),
                shard=shard.label if shard else None,
                sharding=shard.by if shard else None,
                workers=config.stash.get(_WORKERS, 0),
                sharded=shard is not None,
            )
            config.stash[_WRITTEN] = write_last_run(target, stats, rootdir=config.rootpath, run=run)
    except OSError as exc:  # best effort: a read-only project must not fail the run
        where = f" {exc.filename}" if exc.filename else ""
        config.stash[_LAST_RUN_PROBLEM] = f"last-run record not written:{where} {exc.strerror or exc}"


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    from groq_vcr.engine import SessionStats

    config = node.config
    config.stash[_WORKERS] = config.stash.get(_WORKERS, 0) + 1
    for stats in getattr(node, "workeroutput", {}).get("groq_vcr_stats", []):
        record_stats(config, SessionStats(**stats))


def _sharded_lines(config: pytest.Config) -> list[str]:
    shard = shard_of(config)
    if shard is None or getattr(config, "workeroutput", None) is not None:
        return []
    written = config.stash.get(_WRITTEN, None)
    if written is not None:
        where = f"report: {written}"
    elif config.stash.get(_LAST_RUN_PROBLEM, None) is not None:
        where = "no report was written"
    else:
        where = "no report was written (pytest's cache is disabled): give --groq-vcr-report FILE"
    judged = "unused interactions are judged by 'groq-vcr report merge'"
    return [f"groq-vcr: sharded run ({shard.describe()}): {judged}; {where}"]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if getattr(config, "workeroutput", None) is not None:
        return
    mode = config.getoption("--groq-vcr-summary")
    stats = config.stash.get(_STATS, [])
    problem = config.stash.get(_LAST_RUN_PROBLEM, None)
    if problem is not None:
        terminalreporter.write_line(f"groq-vcr: {problem}")
    for line in _sharded_lines(config):
        terminalreporter.write_line(line)
    if mode == "off" or not stats:
        return
    replayed = sum(s.replayed for s in stats)
    recorded = sum(s.recorded for s in stats)
    discarded = sum(s.discarded for s in stats)
    unused = sum(len(s.unused) for s in stats)
    saved = sum(1 for s in stats if s.saved)
    terminalreporter.write_sep("-", "groq-vcr")
    terminalreporter.write_line(
        f"{_count(len(stats), 'cassette')} used: {_count(replayed, 'interaction')} replayed, {recorded} recorded "
        f"({_count(saved, 'cassette')} saved), {unused} unused{_discarded(discarded)}"
    )
    for s in sorted((s for s in stats if s.expired), key=lambda s: s.path):
        terminalreporter.write_line(f"expired: {s.expired}")
    verified = [(s.path, result) for s in stats for result in s.verified]
    if verified:
        drifted = [(path, result) for path, result in verified if not result["ok"]]
        compared = "live response compared with its" if len(verified) == 1 else "live responses compared with their"
        terminalreporter.write_line(f"verify: {len(verified)} {compared} recording, {len(drifted)} drifted")
        for path, result in verified:
            terminalreporter.write_line(f"  {path} {result['label']}: {result['summary']}")
    if mode == "cassettes":
        for s in sorted(stats, key=lambda s: s.path):
            line = f"  {s.path}: {s.replayed} replayed, {s.recorded} recorded, {len(s.unused)} unused"
            terminalreporter.write_line(line + _discarded(s.discarded) + (" (saved)" if s.saved else ""))


def _count(number: int, noun: str) -> str:
    """``1 cassette``, ``2 cassettes``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _discarded(number: int) -> str:
    return f", {number} discarded (recorded by failed tests, not saved)" if number else ""
