"""What happened to a cassette during its use: the numbers every owner of a session reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SessionStats"]


@dataclass
class SessionStats:
    """What happened to a cassette during its use, for the end-of-run summary."""

    path: str
    loaded: int = 0
    replayed: int = 0
    recorded: int = 0
    """New interactions saved into the cassette (none in verify mode, none when the recording was discarded)."""
    discarded: int = 0
    """New interactions recorded but not saved: the test failed or was interrupted."""
    unused: list[int] = field(default_factory=list)
    saved: bool = False
    record_mode: str = "none"
    """The record mode the cassette was used in (``all`` when an expired cassette was re-recorded; ``verify``)."""
    expired: str | None = None
    """Why the cassette counted as expired (its age and what was done), when it did."""
    verified: list[dict[str, Any]] = field(default_factory=list)
    """Verify mode: one ``VerifiedInteraction.to_dict()`` per live request compared with the recording."""
    misses: list[dict[str, str]] = field(default_factory=list)
    """Requests no recorded interaction answered: ``{"request": "POST <url>", "message": <the explanation>}``."""
    test: str = ""
    """The pytest node id of the test that opened the cassette (set by the pytest plugin)."""
