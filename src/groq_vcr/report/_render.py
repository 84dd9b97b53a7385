"""A run report as a verdict, for a terminal (text) or a GitHub job summary (Markdown)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from groq_vcr.report._model import RunReport

__all__ = ["Labeler", "Verdict", "render_markdown", "render_text", "verdict_of"]

Labeler = Callable[[str, int], str]
"""``(cassette, index) -> "#2 POST /openai/v1/chat/completions"``: how an unused interaction is named."""

NO_CHANGES = "no schema changes"


def plain_label(cassette: str, index: int) -> str:
    """The label of an interaction whose cassette cannot be read: its index."""
    return f"#{index}"


@dataclass(frozen=True)
class Verdict:
    """What fails the suite: breaking drift, replay misses and (with ``fail_unused``) unused interactions."""

    unused: int
    drifted: int
    misses: int
    fail_unused: bool

    @property
    def failed(self) -> bool:
        """Whether the suite fails."""
        return bool(self.drifted or self.misses or (self.fail_unused and self.unused))

    def describe(self) -> str:
        """``OK`` or ``FAIL: 2 unused interactions, 1 drifted response``."""
        reasons = []
        if self.fail_unused and self.unused:
            reasons.append(_count(self.unused, "unused interaction"))
        if self.drifted:
            reasons.append(_count(self.drifted, "drifted response"))
        if self.misses:
            reasons.append(_count(self.misses, "replay miss", "replay misses"))
        return "FAIL: " + ", ".join(reasons) if reasons else "OK"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def verdict_of(report: RunReport, *, fail_unused: bool) -> Verdict:
    """The verdict on ``report``."""
    return Verdict(len(report.unused), len(report.drifted), len(report.misses), fail_unused)


def _runs(report: RunReport) -> str:
    shards = sorted({run.shard for run in report.runs if run.shard}, key=_shard_order)
    workers = sum(run.workers for run in report.runs)
    text = _count(len(report.runs), "run")
    details = []
    if shards:
        details.append("shards " + ", ".join(shards))
    if workers:
        details.append(_count(workers, "xdist worker"))
    return text + (f" ({'; '.join(details)})" if details else "")


def _shard_order(shard: str) -> tuple[int, str]:
    head = shard.partition("/")[0]
    return (int(head) if head.isdigit() else 0, shard)


def _totals(report: RunReport) -> tuple[int, int, int, int]:
    uses = report.cassettes.values()
    return len(report.cassettes), sum(u.replayed for u in uses), sum(u.recorded for u in uses), len(report.unused)


def render_text(report: RunReport, *, fail_unused: bool, label: Labeler = plain_label) -> str:
    """The report for a terminal, ending with its verdict line."""
    used, replayed, recorded, unused = _totals(report)
    lines = [
        f"groq-vcr report: {_runs(report)}",
        f"{_count(used, 'cassette')} used: {replayed} interactions replayed, {recorded} recorded, {unused} unused",
    ]
    lines.extend(f"unused: {path} {label(path, index)} never played" for path, index in report.unused)
    if report.drift:
        lines.append(
            f"verify: {_count(len(report.drift), 'live response')} compared with their recording, "
            f"{len(report.drifted)} drifted"
        )
    for finding in report.drift:
        if finding.summary == NO_CHANGES:
            continue
        lines.append(f"drift: {finding.cassette} {finding.label}: {'' if finding.ok else 'FAILS: '}{finding.summary}")
        lines.extend(f"    {line}" for line in finding.text.splitlines()[1:])
    for miss in report.misses:
        lines.append(f"miss: {miss.test or miss.cassette}: {miss.request} (cassette {miss.cassette})")
    seen_expired = sorted((use.path, use.expired) for use in report.cassettes.values() if use.expired)
    lines.extend(f"expired: {path}: {why}" for path, why in seen_expired)
    if report.unused and not fail_unused:
        lines.append("(unused interactions do not fail without --fail-unused)")
    lines.append(f"verdict: {verdict_of(report, fail_unused=fail_unused).describe()}")
    return "\n".join(lines) + "\n"


def render_markdown(report: RunReport, *, fail_unused: bool, label: Labeler = plain_label) -> str:
    """The report as a GitHub job summary: a heading with the verdict, a table of totals, then each finding."""
    verdict = verdict_of(report, fail_unused=fail_unused)
    used, replayed, recorded, unused = _totals(report)
    lines = [
        f"## groq-vcr: {verdict.describe()}",
        "",
        f"Merged from {_runs(report)}.",
        "",
        "| cassettes used | replayed | recorded | unused | drifted | misses |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {used} | {replayed} | {recorded} | {unused} | {len(report.drifted)} | {len(report.misses)} |",
    ]
    if report.unused:
        note = "" if fail_unused else " (not failing: run the merge with `--fail-unused` to fail on them)"
        lines += ["", f"### Unused interactions{note}", ""]
        lines += [f"- `{path}` {label(path, index)}" for path, index in report.unused]
    changed = [finding for finding in report.drift if finding.summary != NO_CHANGES]
    if changed:
        lines += ["", "### Schema drift", ""]
        for finding in changed:
            status = "fails" if not finding.ok else "does not fail"
            lines += [f"#### `{finding.cassette}` {finding.label}: {finding.summary} ({status})", ""]
            lines += ["```text", *finding.text.splitlines(), "```", ""]
    if report.misses:
        lines += ["", "### Replay misses", ""]
        for miss in report.misses:
            lines.append(f"- `{miss.test or miss.cassette}`: `{miss.request}` in `{miss.cassette}`")
    expired = sorted((use.path, use.expired) for use in report.cassettes.values() if use.expired)
    if expired:
        lines += ["", "### Expired cassettes", ""]
        lines += [f"- `{path}`: {why}" for path, why in expired]
    return "\n".join(lines).rstrip("\n") + "\n"
