"""One cassette in use: what it holds, what is replayed, what is being recorded, and when it is saved.

A :class:`CassetteSession` is independent of vcrpy and httpx: the transport layer asks it to
:meth:`~CassetteSession.lookup` a request (replay) or to :meth:`~CassetteSession.begin_recording` one, and
the pytest plugin, the CLI and the servers all save through :meth:`~CassetteSession.save`, which redacts
and refuses to write a secret.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from groq_vcr import storage
from groq_vcr.capture import finish_response
from groq_vcr.cassette import Cassette, Interaction, Request, Response
from groq_vcr.errors import NoMatchError
from groq_vcr.matchers import Masker, Probe, mask_secrets
from groq_vcr.replay import Player, describe_miss

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


@dataclass
class SessionOptions:
    """How a cassette is used. Defaults are the safe ones: replay only."""

    record_mode: str = "none"
    allow_repeats: bool = False
    rerecord_hint: str = "pytest --record-mode=rewrite"
    mask: Masker = mask_secrets
    redact: Callable[[Cassette], Cassette] | None = None
    check_text: Callable[[str], None] | None = None
    miss_error: Callable[[str], BaseException] = NoMatchError
    should_save: Callable[[], bool] | None = None
    """Asked before saving; the pytest plugin answers False for a failed test (nothing half-recorded is kept)."""
    on_close: Callable[[SessionStats], None] | None = None
    """Told what happened once the cassette is closed (the end-of-run summary collects these)."""
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
        self.existed = self.path.is_file() and self.path.stat().st_size > 0
        self.cassette = storage.load_cassette(self.path) if self.existed else Cassette()
        self.player = Player(
            self.cassette.interactions, allow_repeats=self.options.allow_repeats, mask=self.options.mask
        )
        self.pending: list[PendingRecording] = []
        self._lock = threading.Lock()

    @property
    def may_record(self) -> bool:
        """Whether a request with no recorded answer may go to the real server."""
        mode = self.options.record_mode
        return mode in ("new_episodes", "all") or (mode == "once" and not self.existed)

    def lookup(self, request: Probe) -> Interaction | None:
        """The recorded answer to ``request``; None when it must be sent live; NoMatchError when it can't be."""
        if self.options.record_mode == "all":
            log.debug("%s %s: record mode 'all', sending live (%s)", request.method, request.raw_url, self.path)
            return None
        index = self.player.play(request)
        if index is not None:
            log.debug("%s %s: replaying #%d from %s", request.method, request.raw_url, index, self.path)
            return self.player.interactions[index]
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
        log.debug("%s", message)
        raise self.options.miss_error(message)

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

    def interactions_to_save(self) -> list[Interaction]:
        """What the file should hold after this session: loaded interactions plus (or replaced by) new ones."""
        recorded = self.recorded
        if self.options.record_mode != "all":
            return [*self.cassette.interactions, *recorded]
        # Re-recording: a new interaction replaces the loaded ones with the same request key.
        new_keys = {_key_of(self.player, None, i) for i in recorded}
        kept = [
            loaded
            for index, loaded in enumerate(self.cassette.interactions)
            if _key_of(self.player, index, loaded) not in new_keys
        ]
        return [*kept, *recorded]

    def save(self) -> bool:
        """Write the cassette if anything was recorded. Returns whether it wrote."""
        if not self.pending:
            return False
        cassette = Cassette(interactions=self.interactions_to_save(), extra=dict(self.cassette.extra))
        if self.options.redact is not None:
            cassette = self.options.redact(cassette)
        storage.save_cassette(self.path, cassette, check_text=self.options.check_text)
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
        )

    def close(self) -> SessionStats:
        """End every recording still streaming, save if allowed, tell ``on_close``, and return the stats."""
        for pending in self.pending:
            pending.finish()
        should = self.options.should_save
        saved = self.save() if should is None or should() else False
        stats = self.stats(saved)
        if self.options.on_close is not None:
            self.options.on_close(stats)
        return stats


def _key_of(player: Player, index: int | None, interaction: Interaction) -> object:
    if index is not None:
        return player.recorded_probe(index).key
    from groq_vcr.matchers import probe

    request = interaction.request
    return probe(request.method, request.url, request.body_bytes, request.headers, player._mask).key
