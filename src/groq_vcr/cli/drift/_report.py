"""The drift run's report: the schema drift of what was re-checked, and what was not, with why.

Markdown (job summaries, PR comments) is short: a heading with the verdict, where the calls went, each change
once with the interactions it affects, the unchanged interactions on one line, then what was not re-checked.
JSON carries the same facts for tools.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from groq_vcr.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from groq_vcr.cli.drift._rerecord import CassetteRun
from groq_vcr.schema import CassetteDrift, compare_cassettes

__all__ = ["DriftRunReport", "build_report"]

_LIMIT = 10
"""Cassettes named in one line before the rest is counted."""


@dataclass(frozen=True)
class DriftRunReport:
    """A finished drift run."""

    drift: CassetteDrift
    """The comparison of the cassettes that were re-checked."""
    runs: tuple[CassetteRun, ...]
    target: str
    """Where the calls went: ``https://api.groq.com`` or the ``--base-url``."""
    sent: int
    stopped: str | None = None
    """Why the run stopped before the end (the API could not be reached, refused the key...)."""

    @property
    def not_checked(self) -> list[CassetteRun]:
        """Cassettes that were not re-checked at all."""
        return [run for run in self.runs if not run.checked]

    @property
    def complete(self) -> bool:
        """Whether every cassette was re-checked."""
        return self.stopped is None and not self.not_checked

    @property
    def exit_code(self) -> int:
        """1 on failing drift, else 2 when the run was incomplete, else 0."""
        if not self.drift.ok:
            return EXIT_FINDINGS
        return EXIT_OK if self.complete else EXIT_USAGE

    def headline(self) -> str:
        """The verdict in one line."""
        checked = len(self.drift.entries)
        if self.stopped is not None and not checked:
            return f"NOT CHECKED: {self.stopped}"
        if self.complete:
            return self.drift.summary()
        return f"{self.drift.summary()} ({len(self.not_checked)} of {len(self.runs)} cassette(s) not re-checked)"

    def _not_rechecked(self, code: str) -> list[str]:
        """What was not re-checked: one line per reason a cassette was not, one per interaction not re-sent."""
        problems: dict[str, list[str]] = {}
        for run in self.not_checked:
            problems.setdefault(run.problem or "", []).append(run.name)
        lines = []
        for problem, names in problems.items():
            shown = ", ".join(f"{code}{name}{code}" for name in names[:_LIMIT])
            more = f" and {len(names) - _LIMIT} more" if len(names) > _LIMIT else ""
            lines.append(f"{len(names)} cassette(s) {problem}: {shown}{more}")
        lines.extend(f"{code}{run.name}{code} {note}" for run in self.runs if run.checked for note in run.skipped)
        return lines

    def to_markdown(self) -> str:
        """The report in Markdown (see the module docstring)."""
        lines = [f"## Schema drift: {self.headline()}"]
        if self.drift.entries:
            checked = len(self.drift.entries)
            lines.extend(["", f"Re-sent {self.sent} recorded request(s) of {checked} cassette(s) to {self.target}."])
            if self.stopped is not None:
                lines.extend(["", f"**The run stopped early:** {self.stopped}."])
        lines.extend(self.drift.markdown_body())
        not_rechecked = self._not_rechecked("`")
        if not_rechecked:
            lines.extend(["", "### Not re-checked", "", *(f"- {line}" for line in not_rechecked)])
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        """The report for a terminal: the per-interaction drift, then what was not re-checked."""
        lines = [f"re-sent {self.sent} request(s) to {self.target}"]
        if self.drift.entries:
            if self.stopped is not None:
                lines.append(f"the run stopped early: {self.stopped}")
            lines.extend(self.drift.to_text().splitlines()[:-1])
        lines.extend(f"not re-checked: {line}" for line in self._not_rechecked(""))
        lines.append(self.headline())
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        drift = self.drift.to_dict()
        return {
            "ok": self.exit_code == EXIT_OK,
            "complete": self.complete,
            "stopped": self.stopped,
            "target": self.target,
            "sent": self.sent,
            "strict": self.drift.strict,
            "counts": drift["counts"],
            "changes": [group.to_dict() for group in self.drift.grouped()],
            "unchanged": [{"cassette": name, "interactions": n} for name, n in self.drift.unchanged()],
            "cassettes": drift["cassettes"],
            "not_rechecked": [{"cassette": run.name, "reason": run.problem} for run in self.not_checked]
            + [{"cassette": run.name, "reason": note} for run in self.runs if run.checked for note in run.skipped],
        }

    def to_json(self) -> str:
        """The report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def build_report(
    runs: list[CassetteRun], *, target: str, sent: int, stopped: str | None, strict: bool
) -> DriftRunReport:
    """Compare every re-checked cassette with its committed interactions into the run's report."""
    entries = tuple(
        (run.name, tuple(compare_cassettes(run.old, run.new, strict=strict)))
        for run in runs
        if run.checked and run.old.interactions  # nothing re-sent: listed as not re-checked, not as unchanged
    )
    drift = CassetteDrift(entries, strict=strict)
    return DriftRunReport(drift, tuple(runs), target, sent, stopped)
