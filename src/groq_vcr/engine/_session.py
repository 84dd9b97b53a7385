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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from groq_vcr._settings import OnExpired
from groq_vcr.cassette import (
    Cassette,
    CassetteAge,
    Interaction,
    Probe,
    Request,
    RequestKey,
    Response,
    body_text_or_bytes,
    cached_load,
    canonical_header_name,
    cassette_age,
    file_stamp,
    load_any,
    probe,
    update_cassette,
)
from groq_vcr.engine._capture import finish_response
from groq_vcr.engine._mismatch import describe_miss, rejections
from groq_vcr.engine._options import RecordMode, SessionOptions
from groq_vcr.engine._player import Played, Player
from groq_vcr.engine._stats import SessionStats
from groq_vcr.errors import CassetteExpiredError, CassetteExpiredWarning, NoMatchError
from groq_vcr.pacing import origin_of, tokens_used

if TYPE_CHECKING:
    from groq_vcr.schema import VerifiedInteraction

log = logging.getLogger("groq_vcr.match")


class PendingRecording:
    """A live response being passed through to the caller while a copy of its body is kept."""

    def __init__(
        self,
        request: Request,
        head: Response,
        index: int = 0,
        on_finish: Callable[[Interaction], None] | None = None,
    ) -> None:
        self.request = request
        self.head = head
        self.index = index
        """Its number among the session's interactions: after the loaded ones, in the order requests were sent."""
        self.chunks: list[bytes] = []
        self.finished = False
        self.interaction: Interaction | None = None
        self._on_finish = on_finish

    def feed(self, chunk: bytes) -> None:
        """Keep a copy of a chunk the caller is receiving."""
        self.chunks.append(chunk)

    def finish(self) -> Interaction:
        """End the recording: the interaction is what was received so far (idempotent)."""
        if self.interaction is None:
            self.finished = True
            self.interaction = self.snapshot()
            if self._on_finish is not None:
                self._on_finish(self.interaction)
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
        self._loaded_stamp = file_stamp(self.path)  # taken before reading: a change while reading shows
        self.existed = self.path.is_file() and self.path.stat().st_size > 0
        self.cassette = cached_load(self.path, load_any) if self.existed else Cassette()
        extras = _load_extras(self.path, self.options.extra_cassettes)
        self.own_count = len(self.cassette.interactions)
        """How many of the player's interactions are this cassette's own (the extra cassettes' come after)."""
        self.player = Player(
            [*self.cassette.interactions, *extras],
            allow_repeats=self.options.allow_repeats,
            mask=self.options.redactor.mask,
            match_headers=self.options.match_headers,
        )
        self._loaded_any = self.existed or bool(extras)
        self.pending: list[PendingRecording] = []
        self.misses: list[dict[str, str]] = []
        """Requests no recorded interaction answered (for the run report)."""
        self._held: dict[RequestKey, list[PendingRecording]] = {}
        """New recordings a fault kept from reaching the client whole, waiting for the retry (see :meth:`release`)."""
        self._lock = threading.Lock()
        self.age: CassetteAge | None = None
        self.expired_message: str | None = None
        self.record_mode = self.options.record_mode
        """The mode in force: the option's, or ``all`` while an expired cassette is re-recorded."""
        self._replace_all = False
        if self.options.faults is not None:
            self.options.faults.attach()
        if self.existed and self.options.max_age is not None and not self.options.verify:
            self._check_age()

    def _check_age(self) -> None:
        age = self.age = cassette_age(self.cassette, self.options.max_age)
        if not age.expired:
            return
        message = f"cassette {self.path} is expired: {age.describe()}"
        action = self.options.on_expired
        if action is OnExpired.RERECORD and self.options.live_available:
            self.expired_message = f"{message}; re-recording it"
            self._debug("%s", self.expired_message)
            self.record_mode = RecordMode.ALL
            self._replace_all = True
            return
        if action is OnExpired.FAIL:
            self.expired_message = message
            raise CassetteExpiredError(
                f"{message}\n  re-record: {self.options.rerecord_hint}\n"
                "  or allow it: a larger groq_vcr_max_age / --groq-vcr-max-age, or --groq-vcr-on-expired=warn"
            )
        why = " (not re-recorded: no GROQ_API_KEY is set)" if action is OnExpired.RERECORD else ""
        self.expired_message = f"{message}; replayed anyway{why}"
        warnings.warn(
            f"groq-vcr: {self.expired_message}. Re-record it: {self.options.rerecord_hint}",
            CassetteExpiredWarning,
            stacklevel=2,
        )

    def probe(self, method: str, url: str, body: bytes, headers: Any) -> Probe | None:
        """A live request as this session matches it (secrets masked as the redactor writes them).

        None when the session's request filter drops the request: it goes to the network, unrecorded.
        """
        request_filter, matcher = self.options.request_filter, self.options.matcher
        tagged = self.options.match_headers
        if request_filter is None and matcher is None:
            return probe(method, url, body, headers, self.options.redactor.mask, tagged)
        live = live_request(method, url, body, headers)
        if request_filter is not None:
            filtered = request_filter(live)
            if filtered is None:
                self._debug("%s %s: dropped by the request filter, sent live and not recorded", method, url)
                return None
            live = filtered
        found = probe(live.method, live.url, live.body_bytes, live.headers, self.options.redactor.mask, tagged)
        if matcher is not None:
            found.live = self.options.redactor.redact_request(live)
        return found

    @property
    def may_record(self) -> bool:
        """Whether a request with no recorded answer may go to the real server."""
        mode = self.record_mode
        return (
            self.options.verify
            or mode in (RecordMode.NEW_EPISODES, RecordMode.ALL)
            or (mode is RecordMode.ONCE and not self._loaded_any)
        )

    def lookup(self, request: Probe) -> Played | None:
        """The recorded answer to ``request``; None when it must be sent live; NoMatchError when it can't be.

        A recording this session made, which a fault kept from reaching the client whole, answers first: the
        retry gets it without a second live call, as a replay would give it the interaction again. Before a
        request is sent live, the session's pacing may wait (rate limits).
        """
        held = self._take_held(request) if self._held else None
        if held is not None:
            return held
        played = self._lookup(request)
        if played is None and self.options.pacing is not None:
            self.options.pacing.before_send(origin_of(request.raw_url))
        return played

    def _lookup(self, request: Probe) -> Played | None:
        if self.options.verify:
            self._debug(
                "%s %s: verify mode, sending live to compare with %s", request.method, request.raw_url, self.path
            )
            return None
        if self.record_mode is RecordMode.ALL:
            self._debug("%s %s: record mode 'all', sending live (%s)", request.method, request.raw_url, self.path)
            return None
        played = self._play(request)
        if played is not None:
            if played.interaction.response.code == 0:
                url = self.options.redactor.redact_url(request.raw_url)
                raise NoMatchError(_no_response_message(request.method, url, played.index, self.path))
            if log.isEnabledFor(logging.DEBUG):
                self._debug(
                    "%s %s: replaying #%d from %s (chosen among %d recorded with this method and URL)",
                    request.method,
                    request.raw_url,
                    played.index,
                    self.path,
                    self.player.candidate_count(request.key),
                )
            return played
        if log.isEnabledFor(logging.DEBUG):
            self._debug("%s", self._explain_miss(request))
        if self.may_record:
            self._debug("%s %s: no match in %s, recording", request.method, request.raw_url, self.path)
            return None
        message = describe_miss(
            request,
            self.player,
            cassette_path=str(self.path),
            rerecord_hint=self.options.rerecord_hint,
            record_mode=str(self.record_mode),
            missing=not self.existed and not self.path.exists(),
            record_hint=self.options.record_hint,
            repeats_hint=self.options.repeats_hint,
        )
        redactor = self.options.redactor
        self.misses.append(
            {
                "request": f"{request.method} {redactor.redact_url(request.raw_url)}",
                "message": redactor.redact_text(message),
            }
        )
        raise NoMatchError(message)

    def _play(self, request: Probe) -> Played | None:
        matcher, live = self.options.matcher, request.live
        if matcher is None or live is None:
            return self.player.play(request)
        interactions = self.player.interactions
        return self.player.play_where(lambda index: matcher(live, interactions[index].request))

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
        pacing = self.options.pacing
        on_finish = None
        if pacing is not None:
            origin = origin_of(request.url)
            pacing.on_response(origin, head.code, head.headers)

            def on_finish(interaction: Interaction) -> None:
                tokens = tokens_used(interaction.response.body_bytes)
                if tokens:
                    pacing.on_tokens(origin, tokens)

        with self._lock:
            pending = PendingRecording(request, head, len(self.player) + len(self.pending), on_finish)
            self.pending.append(pending)
        return pending

    def release(self, played: Played, key: RequestKey) -> None:
        """A fault stopped ``played`` before the client had the whole answer: it is not used up, so the next
        request with ``key`` (the SDK's retry) gets it again. ``played`` is a loaded interaction, or one this
        session recorded (see :meth:`hold`)."""
        if played.index < len(self.player):
            self.player.release(played.index)
            return
        with self._lock:
            recording = next((p for p in self.pending if p.index == played.index), None)
        if recording is not None:
            self.hold(recording, key)

    def hold(self, recording: PendingRecording, key: RequestKey) -> None:
        """Keep a finished new recording for the next request with ``key`` (a fault cut the live answer short)."""
        with self._lock:
            waiting = self._held.setdefault(key, [])
            if recording not in waiting:
                waiting.append(recording)
                waiting.sort(key=lambda p: p.index)

    def _take_held(self, request: Probe) -> Played | None:
        with self._lock:
            waiting = self._held.get(request.key)
            if not waiting:
                return None
            recording = waiting.pop(0)
            if not waiting:
                del self._held[request.key]
        self._debug(
            "%s %s: answered by #%d, recorded in this session", request.method, request.raw_url, recording.index
        )
        return Played(recording.index, recording.finish())

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
        hook = self.options.before_save
        if hook is not None:
            recorded = [kept for kept in map(hook, recorded) if kept is not None]
        if self._replace_all:  # an expired cassette being re-recorded: only what this run sent is current
            return recorded
        if self.record_mode is not RecordMode.ALL:
            return [*current, *recorded]
        # Re-recording: a new interaction replaces the loaded ones with the same request key.
        new_keys = {self.player.key_of(i) for i in recorded}
        kept = [
            old
            for index, old in enumerate(current)
            if (self.player.recorded_probe(index).key if current is loaded else self.player.key_of(old)) not in new_keys
        ]
        return [*kept, *recorded]

    def _debug(self, message: str, *args: object) -> None:
        """Log to ``groq_vcr.match`` (the ``--groq-vcr-log`` match log), secrets masked by this session's redactor."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s", self.options.redactor.redact_url(message % args if args else message))

    def save(self) -> bool:
        """Write the cassette if anything was recorded (never in verify mode). Returns whether it wrote."""
        if not self.pending or self.options.verify:
            return False

        def merge(current: Cassette | None) -> Cassette:
            # Under the file lock: another process may have saved since we loaded; add to what it wrote.
            base = self.cassette if current is None else current
            cassette = Cassette(interactions=self.interactions_to_save(base.interactions), extra=dict(base.extra))
            cassette = self.options.redactor.redact_cassette(cassette)
            if self.options.before_write is not None:  # runs after redaction: the scan is what guards it
                cassette = self.options.before_write(cassette)
            return cassette

        known = (self._loaded_stamp, self.cassette) if self.existed else None
        update_cassette(
            self.path,
            merge,
            known=known,
            check=lambda written, text: self.options.redactor.assert_clean_cassette(written, text, self.path),
        )
        return True

    def stats(self, saved: bool = False) -> SessionStats:
        """Counts for the end-of-run summary."""
        return SessionStats(
            path=str(self.path),
            loaded=self.own_count,
            replayed=sum(self.player.play_counts),
            recorded=len(self.pending) if saved else 0,
            discarded=0 if saved or self.options.verify else len(self.pending),
            unused=[index for index in self.player.unused() if index < self.own_count],
            saved=saved,
            record_mode="verify" if self.options.verify else str(self.record_mode),
            expired=self.expired_message,
            misses=list(self.misses),
        )

    def verify(self) -> list[VerifiedInteraction]:
        """Verify mode: the schema comparison of every live response with its recorded twin."""
        from groq_vcr.schema import verify_live  # schema comparison (deepdiff) only loads when verifying

        live = self.recorded
        # compare like with like: the recording was redacted
        live = self.options.redactor.redact_cassette(Cassette(interactions=live)).interactions
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
            stats.unused = [index for index in range(self.own_count) if index not in compared]
        else:
            may_save = self.options.may_save
            stats = self.stats(self.save() if may_save is None or may_save() else False)
        if self.options.on_close is not None:
            self.options.on_close(stats)
        return stats


def _load_extras(own: Path, paths: tuple[Path, ...]) -> list[Interaction]:
    """The interactions of the extra cassettes, in order; missing or empty files (and ``own``) are skipped."""
    seen = {own.resolve()}
    found: list[Interaction] = []
    for path in paths:
        resolved = Path(path).resolve()
        if resolved in seen or not resolved.is_file() or resolved.stat().st_size == 0:
            continue
        seen.add(resolved)
        found.extend(cached_load(resolved, load_any).interactions)
    return found


def _no_response_message(method: str, url: str, index: int, path: Path) -> str:
    return (
        f"{method} {url}: interaction {index} of {path} has no recorded response (no `response`, or code 0: its "
        "request failed while it was recorded), so there is nothing to replay. Re-record the cassette, or delete "
        f"interaction {index} from it."
    )


def live_request(method: str, url: str, body: bytes, headers: Any) -> Request:
    """A live request as the model holds one (headers in Go's canonical case, repeated names kept)."""
    items = headers.multi_items() if hasattr(headers, "multi_items") else dict(headers or {}).items()
    merged: dict[str, list[str]] = {}
    for name, value in items:
        merged.setdefault(canonical_header_name(str(name)), []).append(str(value))
    return Request(
        content_length=len(body), body=body_text_or_bytes(body), headers=merged, url=url, method=method.upper()
    )
