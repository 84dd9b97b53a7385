"""Cassette age: when a cassette was recorded, how old it is, and what to do when it is older than allowed.

The recording time is read from what the cassette already holds, so nothing is added to the go-vcr format:
the newest ``Date`` response header among its interactions (Groq, like every HTTP server, sends one with
each response). A cassette with no ``Date`` header at all has an unknown age and never counts as expired.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from groq_vcr.cassette._model import Cassette

__all__ = [
    "CassetteAge",
    "cassette_age",
    "format_age",
    "recorded_at",
]


def format_age(age: timedelta) -> str:
    """A short human age: ``45d``, ``3d4h``, ``5h``, ``12m``, ``30s``."""
    seconds = max(0, int(age.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h" if hours and days < 10 else f"{days}d"
    if hours:
        return f"{hours}h{minutes}m" if minutes and hours < 10 else f"{hours}h"
    return f"{minutes}m" if minutes else f"{seconds}s"


def recorded_at(cassette: Cassette) -> datetime | None:
    """When the cassette was recorded: the newest ``Date`` response header (UTC); None when none has one."""
    newest: datetime | None = None
    for interaction in cassette.interactions:
        for name, values in interaction.response.headers.items():
            if name.lower() != "date":
                continue
            for value in values:
                try:
                    when = email.utils.parsedate_to_datetime(value)
                except (TypeError, ValueError, IndexError):
                    continue
                when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
                if newest is None or when > newest:
                    newest = when
    return newest


@dataclass(frozen=True)
class CassetteAge:
    """How old a cassette is, measured against a maximum age."""

    recorded: datetime | None
    """The newest ``Date`` header; None when the age is unknown."""
    age: timedelta | None
    max_age: timedelta | None

    @property
    def known(self) -> bool:
        """Whether the cassette holds a recording time at all."""
        return self.recorded is not None

    @property
    def expired(self) -> bool:
        """Older than ``max_age`` (never when either is unknown)."""
        return self.age is not None and self.max_age is not None and self.age > self.max_age

    def describe(self) -> str:
        """``recorded 2025-01-02 (45d ago), older than the maximum age of 30d`` or ``age unknown ...``."""
        if self.recorded is None or self.age is None:
            return "age unknown (no response has a Date header)"
        text = f"recorded {self.recorded:%Y-%m-%d %H:%M} UTC ({format_age(self.age)} ago)"
        if self.max_age is not None:
            relation = "older than" if self.expired else "within"
            text += f", {relation} the maximum age of {format_age(self.max_age)}"
        return text


def cassette_age(cassette: Cassette, max_age: timedelta | None = None, *, now: datetime | None = None) -> CassetteAge:
    """The age of ``cassette`` at ``now`` (default: the current time) against ``max_age``."""
    recorded = recorded_at(cassette)
    if recorded is None:
        return CassetteAge(None, None, max_age)
    current = now or datetime.now(UTC)
    return CassetteAge(recorded, current - recorded, max_age)
