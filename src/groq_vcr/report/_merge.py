"""Several run reports (shards, xdist workers) merged into the report of the whole suite."""

from __future__ import annotations

from collections.abc import Iterable

from groq_vcr.report._model import (
    CassetteUse,
    DriftFinding,
    Miss,
    RunReport,
    drift_key,
    miss_key,
    sorted_drift,
    sorted_misses,
)

__all__ = ["merge_reports"]


def merge_reports(reports: Iterable[RunReport]) -> RunReport:
    """One report for every run in ``reports``.

    An interaction is unused only when no run played it (the intersection of the runs' unused lists, over the
    runs that opened its cassette); a cassette saved by any run counts as fully used. Counts add up; drift
    findings and misses are listed once each. Merging is associative: merged reports merge again.
    """
    cassettes: dict[str, CassetteUse] = {}
    unused: dict[str, set[int]] = {}
    drift: dict[tuple[object, ...], DriftFinding] = {}
    misses: dict[tuple[str, ...], Miss] = {}
    merged = RunReport()
    rootdirs: set[str | None] = set()
    for report in reports:
        rootdirs.add(report.rootdir)
        merged.runs.extend(report.runs)
        for path, use in report.cassettes.items():
            into = cassettes.setdefault(path, CassetteUse(path))
            into.interactions = max(into.interactions, use.interactions)
            into.opened += use.opened
            into.replayed += use.replayed
            into.recorded += use.recorded
            into.saved = into.saved or use.saved
            into.expired = into.expired or use.expired
            unused[path] = set(use.unused) if path not in unused else unused[path] & set(use.unused)
        for finding in report.drift:
            drift.setdefault(drift_key(finding), finding)
        for miss in report.misses:
            misses.setdefault(miss_key(miss), miss)
    for path, use in cassettes.items():
        use.unused = [] if use.saved else sorted(unused[path])
    merged.cassettes = cassettes
    merged.drift = sorted_drift(drift.values())
    merged.misses = sorted_misses(misses.values())
    merged.rootdir = rootdirs.pop() if len(rootdirs) == 1 else None
    return merged
