"""Schema drift between recordings: pair the interactions of two recordings by request, compare each pair.

Used by ``groq-vcr diff`` (two cassettes or two folders), verify mode (the live run against the cassette) and
the ``groq_schema`` fixture (a response against the test's cassette).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from groq_vcr.cassette import Cassette, Interaction, Request
from groq_vcr.schema._compare import SchemaChange, SchemaReport, compare
from groq_vcr.schema._infer import schema_of_interaction

__all__ = [
    "CassetteDrift",
    "DriftEntry",
    "compare_cassettes",
    "interaction_label",
    "pair_interactions",
    "request_key",
]


def _canonical_body(request: Request) -> bytes:
    body = request.body_bytes
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode("utf-8")
    except ValueError:
        pass
    content_type = request.header("Content-Type") or ""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match and content_type.lower().startswith("multipart/"):
        # The multipart boundary is random per run; everything else in the body is the request.
        return body.replace(match.group(1).encode("latin-1"), b"BOUNDARY")
    return body


def request_key(request: Request) -> tuple[str, str, str]:
    """What pairs an old and a new interaction: method, URL path + sorted query (not the host), canonical body.

    JSON bodies compare key-order-insensitively; multipart bodies ignore their boundary. The body is hashed.
    """
    parts = urlsplit(request.url)
    query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query, keep_blank_values=True)))
    target = parts.path + (f"?{query}" if query else "")
    return request.method.upper(), target, hashlib.sha256(_canonical_body(request)).hexdigest()


def pair_interactions(
    old: Sequence[Interaction], new: Sequence[Interaction]
) -> tuple[list[tuple[Interaction, Interaction]], list[Interaction], list[Interaction]]:
    """Pair old and new interactions by :func:`request_key`, in recorded order among equal requests.

    Returns ``(pairs, removed, added)``: interactions only in ``old`` are removed, only in ``new`` added.
    """
    waiting: dict[tuple[str, str, str], list[Interaction]] = defaultdict(list)
    for interaction in new:
        waiting[request_key(interaction.request)].append(interaction)
    pairs: list[tuple[Interaction, Interaction]] = []
    removed: list[Interaction] = []
    for interaction in old:
        candidates = waiting.get(request_key(interaction.request))
        if candidates:
            pairs.append((interaction, candidates.pop(0)))
        else:
            removed.append(interaction)
    taken = {id(n) for _, n in pairs}
    added = [interaction for interaction in new if id(interaction) not in taken]
    return pairs, removed, added


def interaction_label(interaction: Interaction) -> str:
    """``#0 POST /openai/v1/chat/completions``."""
    method, target, _ = request_key(interaction.request)
    return f"#{interaction.id} {method} {target}"


@dataclass(frozen=True)
class DriftEntry:
    """The comparison of one interaction (or one that exists on a single side)."""

    label: str
    report: SchemaReport


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

    def to_markdown(self) -> str:
        """Markdown: a heading per cassette, a sub-heading per interaction."""
        lines = [f"## Schema drift: {self.summary()}"]
        for name, entries in self.entries:
            lines.extend(["", f"### `{name}`"])
            for entry in entries:
                lines.extend(["", f"#### {entry.label}", "", entry.report.to_markdown()])
        return "\n".join(lines)

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
