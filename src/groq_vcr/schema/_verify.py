"""Verify mode: compare the schemas of live responses with the recorded ones, never touching the cassette.

A verify session sends every request live (see ``SessionOptions.verify``); when it closes, each live
interaction is paired with the recorded interaction that has the same request (the replay identity without
the origin, see :func:`pair_interactions`) and their response schemas are compared with :func:`compare`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from groq_vcr.cassette import Interaction
from groq_vcr.schema._compare import SchemaChange, SchemaReport, compare
from groq_vcr.schema._drift import interaction_label, pair_interactions
from groq_vcr.schema._infer import schema_of_interaction

__all__ = ["VerifiedInteraction", "verify_live"]


@dataclass(frozen=True)
class VerifiedInteraction:
    """The schema comparison of one recorded interaction with the live response to the same request."""

    label: str
    """``#0 POST /openai/v1/chat/completions`` (the recorded interaction's index)."""
    report: SchemaReport
    index: int | None = None
    """The recorded interaction's index (None: the live request was not recorded)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (it travels from pytest-xdist workers to the controller)."""
        return {
            "label": self.label,
            "ok": self.report.ok,
            "summary": self.report.summary(),
            "text": str(self.report),
            "index": self.index,
        }


def verify_live(
    recorded: Sequence[Interaction], live: Sequence[Interaction], *, strict: bool = False
) -> list[VerifiedInteraction]:
    """Compare each live interaction with its recorded twin; a live request with none is reported as added.

    Recorded interactions the run did not send again are not verified and not reported here (the session's
    unused list names them).
    """
    numbered = [Interaction(i.request, i.response, index) for index, i in enumerate(recorded)]
    pairs, _not_sent, added = pair_interactions(numbered, list(live))
    results = [
        VerifiedInteraction(
            interaction_label(before),
            compare(schema_of_interaction(before), schema_of_interaction(after), strict=strict),
            before.id,
        )
        for before, after in pairs
    ]
    for interaction in added:
        change = SchemaChange("<interaction>", "interaction_added", "additive", "sent live but not in the cassette")
        label = interaction_label(interaction).split(" ", 1)[1] + " (not recorded)"
        results.append(VerifiedInteraction(label, SchemaReport((change,), strict)))
    return results
