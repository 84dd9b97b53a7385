"""How a cassette is used: typed, frozen options, decided once by whoever opens the cassette.

The pytest plugin, ``use_cassette``, the CLI and the servers each build one :class:`SessionOptions`; nothing
changes it afterwards (the vcrpy bridge derives its own copy with :func:`dataclasses.replace`). Hooks are named
by the moment they run, in go-vcr's vocabulary.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from groq_vcr._settings import OnExpired, parse_choice
from groq_vcr.cassette import Cassette, Interaction, Request
from groq_vcr.engine._stats import SessionStats
from groq_vcr.errors import GroqVcrError
from groq_vcr.faults import FaultPlan
from groq_vcr.redaction import Redactor

__all__ = [
    "GROQ_ORIGIN",
    "STAND_IN_ENV",
    "LivePacing",
    "RecordMode",
    "RetryAfter",
    "SessionOptions",
    "stand_ins_from_env",
]

GROQ_ORIGIN = "https://api.groq.com"
STAND_IN_ENV = "GROQ_VCR_STAND_IN"
"""Environment variable: origins (comma-separated) of local stand-ins for Groq, such as ``groq-vcr fake-server``."""


def stand_ins_from_env() -> tuple[str, ...]:
    """The origins ``GROQ_VCR_STAND_IN`` names, without trailing slashes; a malformed one is a clear error."""
    origins = []
    for item in os.environ.get(STAND_IN_ENV, "").split(","):
        origin = item.strip().rstrip("/")
        if not origin:
            continue
        scheme, sep, rest = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
            raise GroqVcrError(
                f"{STAND_IN_ENV}={item.strip()!r} is not an origin; give scheme, host and port, "
                "e.g. http://127.0.0.1:8765 (what groq-vcr fake-server prints)"
            )
        origins.append(origin)
    return tuple(origins)


class RecordMode(enum.StrEnum):
    """When a request with no recorded answer may go to the real server (pytest-recording's modes)."""

    NONE = "none"
    """Replay only: a request with no recording is an error."""
    ONCE = "once"
    """Record only when the cassette does not exist yet."""
    NEW_EPISODES = "new_episodes"
    """Replay what matches, record the rest."""
    ALL = "all"
    """Send every request live and record it; a new recording replaces the old one of the same request."""


class RetryAfter(enum.StrEnum):
    """How a replayed ``retry-after`` is honoured."""

    FAST = "fast"
    """Add ``retry-after-ms: 1``, which the SDKs read first; ``retry-after`` stays as recorded."""
    ZERO = "zero"
    """Also set ``retry-after: 0`` (for code that sleeps on it itself)."""
    RECORDED = "recorded"
    """Replay both as recorded, so the SDKs really wait."""


class LivePacing(Protocol):
    """Paces the requests a session sends live (:class:`groq_vcr.pacing.SharedBudget` is one)."""

    def before_send(self, origin: str) -> float:
        """Called before a request goes to ``origin`` (``scheme://host:port``); may wait. Returns the seconds waited."""
        ...

    def on_response(self, origin: str, status: int, headers: Mapping[str, list[str]]) -> None:
        """Called with the head of each live response (its rate-limit headers)."""
        ...

    def on_tokens(self, origin: str, tokens: int) -> None:
        """Called with the tokens a finished live response reports having used."""
        ...


@dataclass(frozen=True, kw_only=True)
class SessionOptions:
    """How a cassette is used. The defaults are the safe ones: replay only, built-in redaction."""

    record_mode: RecordMode = RecordMode.NONE
    allow_repeats: bool = False
    """Once the recordings of a request are used up, answer it again with the last one."""
    match_headers: tuple[str, ...] = ()
    """Request headers whose values take part in matching: identical requests that differ in them (concurrent
    calls tagged ``X-Call: a``, ``X-Call: b``) each get their own recording, whatever order they arrive in."""
    redactor: Redactor = field(default_factory=Redactor)
    """The one redaction object: it redacts what is saved, masks live requests before matching (so a real key
    matches its placeholder) and scans the exact text before it is written (fail closed)."""
    faults: FaultPlan | None = None
    """Faults injected into replies (:mod:`groq_vcr.faults`); the plugin fills it from ``groq_fault`` markers."""
    retry_after: RetryAfter = RetryAfter.FAST
    rerecord_hint: str = "pytest --record-mode=rewrite"
    """The command a miss or an expired cassette names to fix it."""
    record_hint: str = "pytest --record-mode=once"
    """The command a miss names when the cassette file does not exist."""
    repeats_hint: str = "vcr_config={'allow_playback_repeats': True}"
    """How to let a request be answered again once its recordings are used up."""

    extra_cassettes: tuple[Path, ...] = ()
    """More cassettes replayed together with this one (pytest-recording's ``@pytest.mark.vcr("shared.yaml")``);
    they are read, never written. A missing one is skipped, as pytest-recording does."""
    request_filter: Callable[[Request], Request | None] | None = None
    """Runs on each live request before it is matched, as it ran on the recorded one before it was saved (the
    plugin passes vcrpy's ``before_record_request`` with its ``filter_*`` and ``ignore_*`` options here). None
    lets the request through to the network, never replayed nor recorded (vcrpy's ignored hosts)."""
    matcher: Callable[[Request, Request], bool] | None = None
    """``matcher(live, recorded)``: when given, replaces the canonical matching (a user's own vcrpy ``match_on``
    or matchers); recordings are then tried in order, as vcrpy does. ``live`` is redacted as recordings are."""

    before_save: Callable[[Interaction], Interaction | None] | None = None
    """Runs on each new interaction when the cassette is saved, before redaction; None drops the interaction
    (the plugin runs vcrpy's ``before_record_request``/``before_record_response`` hooks here)."""
    before_write: Callable[[Cassette], Cassette] | None = None
    """The last word on the redacted cassette, just before the fail-closed scan and the write."""

    max_age: timedelta | None = None
    """A loaded cassette whose newest ``Date`` header is older than this is expired (None: never)."""
    on_expired: OnExpired = OnExpired.WARN
    live_available: bool = True
    """Whether re-recording an expired cassette can reach the server (the plugin: ``GROQ_API_KEY`` is set)."""

    verify: bool = False
    """Verify mode: send every request live, compare response schemas with the recording, never save."""
    verify_strict: bool = False
    """In verify mode, count added fields as drift too."""

    stand_ins: tuple[str, ...] = field(default_factory=stand_ins_from_env)
    """Origins of local stand-ins for Groq (``GROQ_VCR_STAND_IN``): a request sent to one is matched and recorded
    as if sent to https://api.groq.com, so its cassette replays with the default client and no base URL."""

    pacing: LivePacing | None = None
    """Paces live requests (recording, verify, re-recording an expired cassette) within the rate limits."""

    may_save: Callable[[], bool] | None = None
    """Asked before saving; the pytest plugin answers False for a failed test (nothing half-recorded is kept)."""
    on_close: Callable[[SessionStats], None] | None = None
    """Told what happened once the cassette is closed (the end-of-run summary collects these)."""

    def recorded_url(self, url: str) -> str:
        """``url`` as it is matched and recorded: a stand-in's origin becomes https://api.groq.com."""
        for origin in self.stand_ins:
            if url == origin or url.startswith((origin + "/", origin + "?")):
                return GROQ_ORIGIN + url[len(origin) :]
        return url

    def __post_init__(self) -> None:
        headers: object = self.match_headers
        if isinstance(headers, str) or not all(isinstance(h, str) and h for h in headers):  # type: ignore[attr-defined]
            raise GroqVcrError(f"match_headers={headers!r}: give a list of header names, e.g. match_headers=['X-Call']")
        object.__setattr__(self, "match_headers", tuple(headers))  # type: ignore[arg-type]
        # The modes may be given as their names ("all"); a wrong one is a clear error, not a silent default.
        for name, kind in (("record_mode", RecordMode), ("retry_after", RetryAfter), ("on_expired", OnExpired)):
            value = getattr(self, name)
            if not isinstance(value, kind):
                object.__setattr__(self, name, parse_choice(kind, value, where=f"SessionOptions({name}=...)"))
