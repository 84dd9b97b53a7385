"""Schema drift between recordings: pair the interactions of two recordings by request, compare each pair.

Used by ``groq-vcr diff`` (two cassettes or two folders), verify mode (the live run against the cassette) and
the ``groq_schema`` fixture (a response against the test's cassette).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from groq_vcr.cassette import Cassette, Interaction, Masker, Request, RequestKey, mask_secrets, probe_recorded
from groq_vcr.schema._compare import SchemaChange, SchemaReport, compare
from groq_vcr.schema._infer import display_path, schema_of_interaction

__all__ = [
    "WHOLE_CASSETTE",
    "CassetteDrift",
    "ChangeGroup",
    "DriftEntry",
    "compare_cassettes",
    "interaction_label",
    "pair_interactions",
    "pairing_key",
]


def pairing_key(request: Request, mask: Masker = mask_secrets) -> RequestKey:
    """What pairs a request of one recording with the same request of another: its replay identity
    (:class:`~groq_vcr.cassette.RequestKey`) without the origin, since recordings compared for drift may come
    from different servers (a drift run re-records against the local Groq-compatible server). ``mask`` is the
    redactor's view of a request, as in replay."""
    return probe_recorded(request, mask).key.without_origin()


def pair_interactions(
    old: Sequence[Interaction], new: Sequence[Interaction]
) -> tuple[list[tuple[Interaction, Interaction]], list[Interaction], list[Interaction]]:
    """Pair old and new interactions by :func:`pairing_key`, in recorded order among equal requests.

    Returns ``(pairs, removed, added)``: interactions only in ``old`` are removed, only in ``new`` added.
    """
    waiting: dict[RequestKey, list[Interaction]] = defaultdict(list)
    for interaction in new:
        waiting[pairing_key(interaction.request)].append(interaction)
    pairs: list[tuple[Interaction, Interaction]] = []
    removed: list[Interaction] = []
    for interaction in old:
        candidates = waiting.get(pairing_key(interaction.request))
        if candidates:
            pairs.append((interaction, candidates.pop(0)))
        else:
            removed.append(interaction)
    taken = {id(n) for _, n in pairs}
    added = [interaction for interaction in new if id(interaction) not in taken]
    return pairs, removed, added


def interaction_label(interaction: Interaction) -> str:
    """``#0 POST /openai/v1/chat/completions`` (method and target as the request identity normalises them)."""
    seen = probe_recorded(interaction.request)
    return f"#{interaction.id} {seen.method} {seen.target}"


@dataclass(frozen=True)
class DriftEntry:
    """The comparison of one interaction (or one that exists on a single side)."""

    label: str
    report: SchemaReport


WHOLE_CASSETTE = "(whole cassette)"
"""The label of an entry about a cassette as a whole (missing from one side)."""


@dataclass
class ChangeGroup:
    """One change, found in one or more interactions (for the grouped report)."""

    change: SchemaChange
    where: list[tuple[str, str | None]] = field(default_factory=list)
    """``(cassette, interaction label)`` per affected interaction; the label is None for a whole cassette."""
    nested: int = 0

    def add(self, cassette: str, label: str | None, nested: int) -> None:
        """Count one more interaction with this change."""
        self.where.append((cassette, label))
        self.nested = max(self.nested, nested)

    def markdown(self, limit: int = 5) -> str:
        """The change and where it was seen, grouped by request (``POST /openai/v1/chat/completions in`` the
        cassettes and interaction numbers), at most ``limit`` interactions named and the rest counted."""
        nested = f" (+{self.nested} nested)" if self.nested else ""
        by_request: dict[str, list[str]] = {}
        for cassette, label in self.where[:limit]:
            number, _, request = (label or "").partition(" ")
            by_request.setdefault(request, []).append(f"`{cassette}` {number}".rstrip())
        places = "; ".join(
            f"{request} in {', '.join(names)}" if request else ", ".join(names) for request, names in by_request.items()
        )
        more = f"; and {len(self.where) - limit} more" if len(self.where) > limit else ""
        count = f"{len(self.where)} interactions: " if len(self.where) > 1 else ""
        return f"`{display_path(self.change.path)}`: {self.change.message}{nested} — {count}{places}{more}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        where = [f"{cassette} {label}" if label else cassette for cassette, label in self.where]
        return {**self.change.to_dict(), "nested": self.nested, "where": where}


@dataclass(frozen=True)
class CassetteDrift:
    """The schema drift between two cassettes (or two folders of cassettes), interaction by interaction."""

    entries: tuple[tuple[str, tuple[DriftEntry, ...]], ...] = ()
    """``(cassette name, entries)`` in order."""
    strict: bool = False

    @property
    def reports(self) -> list[SchemaReport]:
        """Every entry's report."""
        return [entry.report for _, entries in self.entries for entry in entries]

    @property
    def ok(self) -> bool:
        """Whether no entry fails."""
        return all(report.ok for report in self.reports)

    def counts(self) -> dict[str, int]:
        """Total breaking/additive/info changes and compared interactions."""
        return {
            "breaking": sum(len(r.breaking) for r in self.reports),
            "additive": sum(len(r.additive) for r in self.reports),
            "info": sum(len(r.info) for r in self.reports),
            "interactions": len(self.reports),
            "cassettes": len(self.entries),
        }

    def summary(self) -> str:
        """One line: totals and the verdict."""
        c = self.counts()
        verdict = "OK" if self.ok else "DRIFT"
        return (
            f"{verdict}: {c['breaking']} breaking, {c['additive']} additive, {c['info']} info "
            f"in {c['interactions']} interaction(s) of {c['cassettes']} cassette(s)"
        )

    def to_text(self) -> str:
        """Per cassette, per interaction: its report (indented), then the summary line."""
        lines: list[str] = []
        for name, entries in self.entries:
            lines.append(name)
            for entry in entries:
                report_lines = entry.report.to_text().splitlines()
                lines.append(f"  {entry.label}: {report_lines[0]}")
                lines.extend(f"    {line}" for line in report_lines[1:])
        lines.append(self.summary())
        return "\n".join(lines)

    def grouped(self) -> list[ChangeGroup]:
        """Each distinct change once, with every interaction it affects: breaking, then additive, then info."""
        groups: dict[tuple[str, str, str], ChangeGroup] = {}
        for name, entries in self.entries:
            for entry in entries:
                label = None if entry.label == WHOLE_CASSETTE else entry.label
                for change in entry.report.changes:
                    key = (change.severity, change.path, change.message)
                    group = groups.get(key)
                    if group is None:
                        group = groups[key] = ChangeGroup(change)
                    group.add(name, label, change.nested)
        rank = {"breaking": 0, "additive": 1, "info": 2}
        return sorted(groups.values(), key=lambda g: rank[g.change.severity])

    def unchanged(self) -> list[tuple[str, int]]:
        """``(cassette, interactions)`` with no schema change at all, in order."""
        found = []
        for name, entries in self.entries:
            same = sum(1 for entry in entries if not entry.report.changes)
            if same:
                found.append((name, same))
        return found

    def markdown_body(self, *, limit: int = 5) -> list[str]:
        """The report's lines without its heading: each change once (``limit`` interactions named, then a count),
        grouped by severity, and the unchanged interactions on one line."""
        lines: list[str] = []
        titles = {"breaking": "Breaking", "additive": "Additive", "info": "Info (never fails)"}
        current = None
        for group in self.grouped():
            severity = group.change.severity
            if severity != current:
                lines.extend(["", f"### {titles[severity]}", ""])
                current = severity
            lines.append(f"- {group.markdown(limit)}")
        same = self.unchanged()
        if same:
            count = sum(n for _, n in same)
            names = ", ".join(f"`{name}`" + (f" ({n})" if n > 1 else "") for name, n in same[:limit])
            more = f" and {len(same) - limit} more" if len(same) > limit else ""
            lines.extend(["", f"**Unchanged:** {count} interaction(s) in {len(same)} cassette(s): {names}{more}."])
        return lines

    def to_markdown(self) -> str:
        """Markdown for a PR comment or a job summary: a heading with the verdict, each change once with the
        interactions it affects, and the unchanged interactions collapsed into one line."""
        return "\n".join([f"## Schema drift: {self.summary()}", *self.markdown_body()])

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "ok": self.ok,
            "strict": self.strict,
            "counts": self.counts(),
            "cassettes": [
                {"cassette": name, "interactions": [{"label": e.label, **e.report.to_dict()} for e in entries]}
                for name, entries in self.entries
            ],
        }

    def to_json(self) -> str:
        """The drift report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def __str__(self) -> str:
        return self.to_text()


def compare_cassettes(old: Cassette, new: Cassette, *, strict: bool = False) -> list[DriftEntry]:
    """Compare the response schemas of two cassettes, interaction by interaction (paired by request).

    An interaction missing from ``new`` is breaking (its shape could not be checked); a new one is additive.
    """
    pairs, removed, added = pair_interactions(old.interactions, new.interactions)
    entries: list[tuple[int, DriftEntry]] = []
    for before, after in pairs:
        report = compare(schema_of_interaction(before), schema_of_interaction(after), strict=strict)
        entries.append((before.id, DriftEntry(interaction_label(before), report)))
    for interaction in removed:
        change = SchemaChange("<interaction>", "interaction_removed", "breaking", "missing from NEW (not re-recorded)")
        entries.append((interaction.id, DriftEntry(interaction_label(interaction), SchemaReport((change,), strict))))
    for interaction in added:
        change = SchemaChange("<interaction>", "interaction_added", "additive", "only in NEW (a new request)")
        label = interaction_label(interaction) + " (new)"
        entries.append((len(old.interactions) + interaction.id, DriftEntry(label, SchemaReport((change,), strict))))
    return [entry for _, entry in sorted(entries, key=lambda item: item[0])]
