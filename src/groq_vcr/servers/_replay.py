"""A replay server: recorded cassettes answered over real HTTP, for clients that are not Python (curl, Go, JS).

Clients point their base URL at ``http://127.0.0.1:PORT`` instead of ``https://api.groq.com``. The incoming
URL is rebased onto the origin the cassette recorded (``http://127.0.0.1:PORT/openai/v1/models`` is matched as
``https://api.groq.com/openai/v1/models``), then matched by a :class:`ServerPlayer`: the engine's
:class:`~groq_vcr.engine.Player`, as in pytest replay (method, URL with query order ignored, body compared
canonically; identical requests answered in recorded order, each interaction once unless ``allow_repeats``).

Answers carry the recorded status and headers, minus hop-by-hop headers, ``Content-Length`` and
``Transfer-Encoding`` (the server frames the body itself) and ``Date`` (uvicorn writes its own). An event
stream is sent one SSE event per write; any other body is sent as recorded bytes. With ``pace`` the recorded
``duration`` (time to the response head) is slept before answering; nothing else is delayed.

A request nothing answers gets HTTP **404** with a Groq-shaped error body whose message is the same
explanation pytest prints (closest interaction, why it differs, how to re-record). 404 because the SDKs map it
to ``NotFoundError`` and do not retry it: a 5xx would be retried with back-off and hide the message, and a
non-standard code such as 599 would be retried too.

A directory serves every cassette :func:`~groq_vcr.cassette.find_cassette_files` finds under it (``*.yaml``
and ``*.yml``; not hidden files or folders, where half-written files live, nor lock files). Requests are
matched against all of them, merged in sorted relative path order, unless they carry
``X-Groq-Vcr-Cassette: relative/path.yaml``, which restricts matching to that one served file (with its own
play order). Use one style per server run: the two do not share play counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import anyio
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import Response as HttpResponse
from starlette.responses import StreamingResponse
from starlette.routing import Route

from groq_vcr._groq_api import error_json
from groq_vcr.cassette import Interaction, Probe, find_cassette_files, probe
from groq_vcr.engine import Player, RetryAfter, describe_miss, reply_for
from groq_vcr.errors import CassetteFormatError, InputError, NoMatchError
from groq_vcr.redaction import Redactor

__all__ = [
    "CASSETTE_HEADER",
    "MISS_STATUS",
    "ReplayOptions",
    "ServedCassettes",
    "ServerPlayer",
    "create_replay_app",
    "error_response",
    "forwardable_headers",
    "replay_response",
]

CASSETTE_HEADER = "X-Groq-Vcr-Cassette"
"""Request header that picks one cassette of a served directory (a path relative to it)."""

MISS_STATUS = 404
"""Status of a replay miss (see the module docstring for why 404)."""

HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Never replayed or passed on: the server frames the body and writes its own Date.
_FRAMING_HEADERS = frozenset({"content-length", "date"})


@dataclass(frozen=True)
class ReplayOptions:
    """How recorded interactions are served."""

    allow_repeats: bool = False
    """Answer a request again with the last interaction it matched once its recordings are used up."""
    pace: bool = False
    """Sleep each interaction's recorded ``duration`` before sending its head."""
    redactor: Redactor = field(default_factory=Redactor)
    """Masks incoming requests before matching, as the cassettes were redacted (a real key matches its
    placeholder)."""
    rerecord_hint: str = ""
    """The command shown in a miss explanation; by default ``groq-vcr proxy`` recording into the cassette."""
    repeats_hint: str = "ReplayOptions(allow_repeats=True)"
    """How a miss says to answer repeated requests again (``groq-vcr serve`` names its ``--allow-repeats``)."""


def _load(path: Path) -> list[Interaction]:
    from groq_vcr.cassette import load_cassette

    return list(load_cassette(path).interactions)


class ServerPlayer(Player):
    """A :class:`~groq_vcr.engine.Player` over one or more cassettes, for requests that arrive at the server.

    On top of the player's matching, it rebases an incoming URL onto the origin the cassettes recorded, and a
    request nothing answers raises :class:`NoMatchError` with the explanation pytest prints.
    """

    def __init__(self, label: str, interactions: Sequence[Interaction], options: ReplayOptions) -> None:
        super().__init__(interactions, allow_repeats=options.allow_repeats, mask=options.redactor.mask)
        self.label = label
        self.options = options
        self._origin_by_path: dict[str, str] = {}
        origin_counts: dict[str, int] = {}
        for interaction in interactions:
            parts = urlsplit(interaction.request.url)
            origin = f"{parts.scheme}://{parts.netloc}"
            self._origin_by_path.setdefault(parts.path or "/", origin)
            origin_counts[origin] = origin_counts.get(origin, 0) + 1
        # The most used origin answers paths no cassette holds, so the miss names the closest interaction.
        self._default_origin = max(origin_counts, key=lambda o: origin_counts[o]) if origin_counts else ""

    def recorded_url(self, raw_path: str, query: str) -> str:
        """The incoming ``raw_path?query`` on the recorded origin whose interactions use that path."""
        origin = self._origin_by_path.get(raw_path, self._default_origin) or "http://127.0.0.1"
        return f"{origin}{raw_path}" + (f"?{query}" if query else "")

    def incoming_probe(self, method: str, raw_path: str, query: str, body: bytes, headers: object) -> Probe:
        """The incoming request as matching sees it, after rebasing its URL."""
        return probe(method, self.recorded_url(raw_path, query), body, headers, self.options.redactor.mask)

    def answer(self, request: Probe) -> Interaction:
        """The interaction :meth:`play` picks for ``request``; :class:`NoMatchError` with the explanation if none."""
        played = self.play(request)
        if played is None:
            message = describe_miss(
                request,
                self,
                cassette_path=self.label,
                rerecord_hint=self.options.rerecord_hint or self._rerecord_hint(),
                record_mode="none",
                repeats_hint=self.options.repeats_hint,
            )
            raise NoMatchError(message)
        return played.interaction

    def _rerecord_hint(self) -> str:
        upstream = self._default_origin or "https://api.groq.com"
        cassette = self.label if self.label.endswith((".yaml", ".yml")) else "CASSETTE"
        return f"groq-vcr proxy --upstream {upstream} --cassette {cassette}"


def forwardable_headers(
    pairs: Sequence[tuple[str, str]], *, drop: frozenset[str] = frozenset()
) -> list[tuple[bytes, bytes]]:
    """Header pairs to send on, without hop-by-hop, framing and ``drop`` headers, as ASGI raw headers."""
    skipped = HOP_BY_HOP_HEADERS | _FRAMING_HEADERS | drop
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1", "replace"))
        for name, value in pairs
        if name.lower() not in skipped
    ]


def replay_response(interaction: Interaction) -> HttpResponse:
    """The HTTP response that replays ``interaction``: an event stream one event per write, else the body.

    The reply is the engine's (:func:`~groq_vcr.engine.reply_for`), with ``retry-after`` as recorded; the
    server frames the body itself, so hop-by-hop and framing headers are not passed on.
    """
    reply = reply_for(interaction, retry_after=RetryAfter.RECORDED)
    response: HttpResponse
    if interaction.response.is_event_stream:

        async def each_event() -> AsyncIterator[bytes]:
            for event in reply.chunks:
                yield event

        response = StreamingResponse(each_event(), status_code=reply.status)
    else:
        response = HttpResponse(b"".join(reply.chunks), status_code=reply.status)
    response.raw_headers.extend(forwardable_headers(reply.headers))
    return response


def error_response(status: int, message: str, type_: str, code: str) -> HttpResponse:
    """A response with Groq's error body shape, so SDKs raise their usual exception carrying ``message``."""
    return HttpResponse(
        error_json(message, type_, code),
        status_code=status,
        media_type="application/json",
    )


def _raw_path(request: HttpRequest) -> tuple[str, str]:
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) and raw else request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    return path.split("?", 1)[0], query


class ServedCassettes:
    """The cassettes a server answers from: a player over all of them, and one per cassette of a directory on demand."""

    def __init__(self, source: Path, options: ReplayOptions) -> None:
        self.source = source
        self.options = options
        self._per_file: dict[str, ServerPlayer] = {}
        if source.is_dir():
            # Ordered by relative path as text: the order decides which cassette answers a request several recorded.
            self.files = sorted(find_cassette_files([source]), key=lambda p: p.relative_to(source).as_posix())
            if not self.files:
                raise InputError(
                    f"No cassettes (*.yaml, *.yml) under {source}; record some first or serve a cassette file."
                )
            interactions = [i for path in self.files for i in _load(path)]
            self.merged = ServerPlayer(f"{source} (all {len(self.files)} cassettes)", interactions, options)
        elif source.is_file():
            self.files = [source]
            self.merged = ServerPlayer(str(source), _load(source), options)
        else:
            raise InputError(f"No cassette file or directory at {source}; check the path.")

    @property
    def interaction_count(self) -> int:
        """Interactions served, over all cassettes."""
        return len(self.merged)

    def player_for(self, selector: str | None) -> ServerPlayer:
        """The player over all cassettes, or that of the cassette named by the ``X-Groq-Vcr-Cassette`` header."""
        if not selector or not self.source.is_dir():
            return self.merged
        relative = PurePosixPath(selector)
        if relative.is_absolute() or ".." in relative.parts:
            raise InputError(f"{CASSETTE_HEADER}: {selector!r} must be a path relative to {self.source}.")
        key = relative.as_posix()
        player = self._per_file.get(key)
        if player is None:
            served = {p.relative_to(self.source).as_posix(): p for p in self.files}
            path = served.get(key)
            if path is None:
                raise InputError(
                    f"{CASSETTE_HEADER}: no cassette {key!r} under {self.source}; "
                    f"served cassettes: {', '.join(served)}."
                )
            player = ServerPlayer(str(path), _load(path), self.options)
            self._per_file[key] = player
        return player


def create_replay_app(source: str | Path, options: ReplayOptions | None = None) -> Starlette:
    """A starlette app replaying the cassette file (or every cassette of the directory) at ``source``.

    Loads the cassettes at once, so a missing or malformed file raises here
    (:class:`~groq_vcr.errors.InputError`, :class:`~groq_vcr.errors.CassetteFormatError`), not on a request.
    ``app.state.cassettes`` is the :class:`ServedCassettes` (``interaction_count``, ``files``).
    """
    opts = options or ReplayOptions()
    cassettes = ServedCassettes(Path(source), opts)

    async def endpoint(request: HttpRequest) -> HttpResponse:
        try:
            player = cassettes.player_for(request.headers.get(CASSETTE_HEADER))
        except (InputError, CassetteFormatError) as exc:
            return error_response(MISS_STATUS, str(exc), "groq_vcr_no_cassette", "no_such_cassette")
        path, query = _raw_path(request)
        body = await request.body()
        try:
            interaction = player.answer(player.incoming_probe(request.method, path, query, body, request.headers))
        except NoMatchError as exc:
            return error_response(MISS_STATUS, str(exc), "groq_vcr_no_match", "no_recorded_interaction")
        if opts.pace and interaction.response.duration > 0:
            await anyio.sleep(interaction.response.duration / 1e9)
        return replay_response(interaction)

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=HTTP_METHODS)])
    app.state.cassettes = cassettes
    return app
