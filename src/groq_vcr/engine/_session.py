"""One cassette in use: what it holds, what is replayed, what is being recorded, and when it is saved.

A :class:`CassetteSession` is independent of vcrpy and httpx: the transport layer asks it to
:meth:`~CassetteSession.lookup` a request (replay) or to :meth:`~CassetteSession.begin_recording` one, and
the pytest plugin, the CLI and the servers all save through :meth:`~CassetteSession.save`, which redacts
and refuses to write a secret.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from groq_vcr.cassette import (
    Cassette,
    CassetteAge,
    Interaction,
    Masker,
    Probe,
    Request,
    Response,
    cached_load,
    cassette_age,
    file_stamp,
    load_cassette,
    mask_secrets,
    update_cassette,
)
from groq_vcr.engine._capture import finish_response
from groq_vcr.engine._mismatch import describe_miss, rejections
from groq_vcr.engine._player import Player
from groq_vcr.errors import CassetteExpiredError, CassetteExpiredWarning, NoMatchError
from groq_vcr.faults import RETRY_AFTER_MODES, FaultPlan

if TYPE_CHECKING:
    from groq_vcr.schema import VerifiedInteraction

log = logging.getLogger("groq_vcr.match")

RECORD_MODES = ("none", "once", "new_episodes", "all")


@dataclass
class SessionStats:
    """What happened to a cassette during its use, for the end-of-run summary."""

    path: str
    loaded: int = 0
    replayed: int = 0
    recorded: int = 0
    unused: list[int] = field(default_factory=list)
    saved: bool = False
    record_mode: str = "none"
    """The record mode the cassette was used in (``all`` when an expired cassette was re-recorded)."""
    expired: str | None = None
    """Why the cassette counted as expired (its age and what was done), when it did."""
    verified: list[dict[str, Any]] = field(default_factory=list)
    """Verify mode: one ``VerifiedInteraction.to_dict()`` per live request compared with the recording."""


@dataclass
class SessionOptions:
    """How a cassette is used. Defaults are the safe ones: replay only."""

    record_mode: str = "none"
    allow_repeats: bool = False
    rerecord_hint: str = "pytest --record-mode=rewrite"
    mask: Masker = mask_secrets
    redact: Callable[[Cassette], Cassette] | None = None
    check_text: Callable[[str], None] | None = None
    faults: FaultPlan | None = None
    """Faults injected into replies (:mod:`groq_vcr.faults`); the plugin fills it from ``groq_fault`` markers."""
    retry_after: str = "fast"
    """How a replayed ``retry-after`` is honoured: ``fast``, ``zero`` or ``recorded`` (``faults.RETRY_AFTER_MODES``)."""
    miss_error: Callable[[str], BaseException] = NoMatchError
    before_record: Callable[[Interaction], Interaction | None] | None = None
    """The user's hooks, run on each new interaction before it is redacted and saved (None drops it)."""
    before_write: Callable[[Cassette], Cassette] | None = None
    """The user's last word on the redacted cassette, just before the fail-closed scan and the write."""
    should_save: Callable[[], bool] | None = None
    """Asked before saving; the pytest plugin answers False for a failed test (nothing half-recorded is kept)."""
    on_close: Callable[[SessionStats], None] | None = None
    """Told what happened once the cassette is closed (the end-of-run summary collects these)."""
    max_age: timedelta | None = None
    """A loaded cassette whose newest ``Date`` header is older than this is expired (None: never)."""
    on_expired: str = "warn"
    """``warn`` (replay anyway), ``fail`` (raise ``expired_error``) or ``rerecord`` (record mode ``all``)."""
    live_available: bool = True
    """Whether re-recording can reach the server (the plugin: ``GROQ_API_KEY`` is set); if not, rerecord warns."""
    expired_error: Callable[[str], BaseException] = CassetteExpiredError
    verify: bool = False
    """Verify mode: send every request live, compare response schemas with the recording, never save."""
    verify_strict: bool = False
    """In verify mode, count added fields as drift too."""
    """Builds the exception raised on a replay miss (the pytest plugin raises a test failure instead)."""


class PendingRecording:
    """A live response being passed through to the caller while a copy of its body is kept."""

    def __init__(self, request: Request, head: Response) -> None:
        self.request = request
        self.head = head
        self.chunks: list[bytes] = []
        self.finished = False
        self.interaction: Interaction | None = None

    def feed(self, chunk: bytes) -> None:
        """Keep a copy of a chunk the caller is receiving."""
        self.chunks.append(chunk)

    def finish(self) -> Interaction:
        """End the recording: the interaction is what was received so far (idempotent)."""
        if self.interaction is None:
            self.finished = True
            self.interaction = self.snapshot()
        return self.interaction

    def snapshot(self) -> Interaction:
        """The interaction as received so far, without ending a response that is still streaming."""
        if self.interaction is not None:
            return self.interaction
        return Interaction(self.request, finish_response(self.head, b"".join(self.chunks)))


class CassetteSession:
    """A cassette file opened for replay and/or recording."""

    def __init__(self, path: str | Path, options: SessionOptions | None = None) -> None:
        self.path = Path(path)
        self.options = options or SessionOptions()
        if self.options.record_mode not in RECORD_MODES:
            raise ValueError(f"unknown record mode {self.options.record_mode!r}; use one of {', '.join(RECORD_MODES)}")
        if self.options.retry_after not in RETRY_AFTER_MODES:
            raise ValueError(
                f"unknown retry_after {self.options.retry_after!r}; use one of {', '.join(RETRY_AFTER_MODES)}"
            )
        self._loaded_stamp = file_stamp(self.path)  # taken before reading: a change while reading shows
        self.existed = self.path.is_file() and self.path.stat().st_size > 0
        self.cassette = cached_load(self.path, load_cassette) if self.existed else Cassette()
        self.player = Player(
            self.cassette.interactions, allow_repeats=self.options.allow_repeats, mask=self.options.mask
        )
        self.pending: list[PendingRecording] = []
        self._lock = threading.Lock()
        self.age: CassetteAge | None = None
        self.expired_message: str | None = None
        self._replace_all = False
        if self.existed and self.options.max_age is not None and not self.options.verify:
            self._check_age()

    def _check_age(self) -> None:
        age = self.age = cassette_age(self.cassette, self.options.max_age)
        if not age.expired:
            return
        message = f"cassette {self.path} is expired: {age.describe()}"
        action = self.options.on_expired
        if action == "rerecord" and self.options.live_available:
            self.expired_message = f"{message}; re-recording it"
            log.debug("%s", self.expired_message)
            self.options.record_mode = "all"
            self._replace_all = True
            return
        if action == "fail":
            self.expired_message = message
            raise self.options.expired_error(
                f"{message}\n  re-record: {self.options.rerecord_hint}\n"
                "  or allow it: a larger groq_vcr_max_age / --groq-vcr-max-age, or --groq-vcr-on-expired=warn"
            )
        why = " (not re-recorded: no GROQ_API_KEY is set)" if action == "rerecord" else ""
        self.expired_message = f"{message}; replayed anyway{why}"
        warnings.warn(
            f"groq-vcr: {self.expired_message}. Re-record it: {self.options.rerecord_hint}",
            CassetteExpiredWarning,
            stacklevel=2,
        )

    @property
    def may_record(self) -> bool:
        """Whether a request with no recorded answer may go to the real server."""
        mode = self.options.record_mode
        return self.options.verify or mode in ("new_episodes", "all") or (mode == "once" and not self.existed)

    def lookup(self, request: Probe) -> Interaction | None:
        """The recorded answer to ``request``; None when it must be sent live; NoMatchError when it can't be."""
        if self.options.verify:
            log.debug("%s %s: verify mode, sending live to compare with %s", request.method, request.raw_url, self.path)
            return None
        if self.options.record_mode == "all":
            log.debug("%s %s: record mode 'all', sending live (%s)", request.method, request.raw_url, self.path)
            return None
        index = self.player.play(request)
        if index is not None:
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "%s %s: replaying #%d from %s (chosen among %d recorded with this method and URL)",
                    request.method,
                    request.raw_url,
                    index,
                    self.path,
                    self.player.candidate_count(request.key),
                )
            return self.player.interactions[index]
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s", self._explain_miss(request))
        if self.may_record:
            log.debug("%s %s: no match in %s, recording", request.method, request.raw_url, self.path)
            return None
        message = describe_miss(
            request,
            self.player,
            cassette_path=str(self.path),
            rerecord_hint=self.options.rerecord_hint,
            record_mode=self.options.record_mode,
        )
        raise self.options.miss_error(message)

    def _explain_miss(self, request: Probe) -> str:
        """The match log of a miss: every candidate and why it was rejected."""
        same_bucket, rejected = rejections(self.player, request)
        scope = "with this method and URL" if same_bucket else "in the cassette (none has this method and URL)"
        lines = [
            f"{request.method} {request.raw_url}: no match in {self.path} "
            f"({len(rejected)} candidate{'s' if len(rejected) != 1 else ''} {scope})"
        ]
        for index, reasons in rejected:
            recorded = self.player.interactions[index].request
            lines.append(f"  #{index} {recorded.method} {recorded.url} rejected:")
            lines.extend(f"    {reason}" for reason in reasons)
        return "\n".join(lines)

    def begin_recording(self, request: Request, head: Response) -> PendingRecording:
        """Register a live response; its place in the cassette is the order requests were sent in."""
        pending = PendingRecording(request, head)
        with self._lock:
            self.pending.append(pending)
        return pending

    @property
    def recorded(self) -> list[Interaction]:
        """Interactions recorded so far (a response still streaming counts with what it has received)."""
        return [pending.snapshot() for pending in self.pending]

    def interactions_to_save(self, base: list[Interaction] | None = None) -> list[Interaction]:
        """What the file should hold after this session: ``base`` (what it holds now; by default what was
        loaded) plus, or replaced by, the new interactions."""
        loaded = self.cassette.interactions
        current = loaded if base is None else base
        recorded = self.recorded
        hook = self.options.before_record
        if hook is not None:
            recorded = [kept for kept in map(hook, recorded) if kept is not None]
        if self._replace_all:  # an expired cassette being re-recorded: only what this run sent is current
            return recorded
        if self.options.record_mode != "all":
            return [*current, *recorded]
        # Re-recording: a new interaction replaces the loaded ones with the same request key.
        new_keys = {self.player.key_of(i) for i in recorded}
        kept = [
            old
            for index, old in enumerate(current)
            if (self.player.recorded_probe(index).key if current is loaded else self.player.key_of(old)) not in new_keys
        ]
        return [*kept, *recorded]

    def save(self) -> bool:
        """Write the cassette if anything was recorded (never in verify mode). Returns whether it wrote."""
        if not self.pending or self.options.verify:
            return False

        def merge(current: Cassette | None) -> Cassette:
            # Under the file lock: another process may have saved since we loaded; add to what it wrote.
            base = self.cassette if current is None else current
            cassette = Cassette(interactions=self.interactions_to_save(base.interactions), extra=dict(base.extra))
            if self.options.redact is not None:
                cassette = self.options.redact(cassette)
            if self.options.before_write is not None:  # runs after redaction: the scan is what guards it
                cassette = self.options.before_write(cassette)
            return cassette

        known = (self._loaded_stamp, self.cassette) if self.existed else None
        update_cassette(self.path, merge, known=known, check_text=self.options.check_text)
        return True

    def stats(self, saved: bool = False) -> SessionStats:
        """Counts for the end-of-run summary."""
        return SessionStats(
            path=str(self.path),
            loaded=len(self.player),
            replayed=sum(self.player.play_counts),
            recorded=len(self.pending),
            unused=self.player.unused(),
            saved=saved,
            record_mode="verify" if self.options.verify else self.options.record_mode,
            expired=self.expired_message,
        )

    def verify(self) -> list[VerifiedInteraction]:
        """Verify mode: the schema comparison of every live response with its recorded twin."""
        from groq_vcr.schema import verify_live  # schema comparison (deepdiff) only loads when verifying

        live = self.recorded
        if self.options.redact is not None:  # compare like with like: the recording was redacted
            live = self.options.redact(Cassette(interactions=live)).interactions
        return verify_live(self.cassette.interactions, live, strict=self.options.verify_strict)

    def close(self) -> SessionStats:
        """End every recording still streaming, save if allowed, tell ``on_close``, and return the stats."""
        for pending in self.pending:
            pending.finish()
        if self.options.verify:  # verify mode never writes the cassette
            stats = self.stats(False)
            verified = self.verify()
            stats.verified = [result.to_dict() for result in verified]
            compared = {result.index for result in verified}
            stats.unused = [index for index in range(len(self.player)) if index not in compared]
        else:
            should = self.options.should_save
            stats = self.stats(self.save() if should is None or should() else False)
        if self.options.on_close is not None:
            self.options.on_close(stats)
        return stats
