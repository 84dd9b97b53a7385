"""A recording reverse proxy: non-Python clients (curl, Go, JS) record cassettes by pointing their base URL at it.

Every request is forwarded to the upstream (``https://api.groq.com`` by default) with an
:class:`httpx.AsyncClient` that adds nothing of its own (no ``User-Agent``, ``Accept-Encoding`` or cookies the
client did not send). The response is passed back as it arrives, chunk by chunk, undecoded (a gzip body stays
gzip for the client), while a copy is fed to a :class:`~groq_vcr.engine.CassetteSession` in record mode
``all`` (or ``new_episodes``, which answers requests the cassette already holds without forwarding them).

What is recorded is what pytest recording would record for the same call to the upstream: the URL is the
upstream URL (so the cassette replays in pytest against the real base URL), the request as forwarded, and the
response head and body (gzip stored decompressed, as Go records it). The session redacts before saving and
refuses to write a secret.

When the cassette is written: each time the proxy becomes idle (the last response in flight has been
completely passed on), and once more on shutdown. Saves are atomic, so killing the proxy loses at most the
interactions still streaming; and because a streamed response's end is sent to the client only after the
save, a client that has read a whole response knows it is on disk. Saving only when idle means a save never
freezes another response halfway through its stream. Interactions are stored in the order their response
heads arrived.

The proxy's own client bypasses groq-vcr's httpx patch, so running it inside a recording test does not record
each call twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import Response as HttpResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from groq_vcr.engine import CassetteSession, PendingRecording, RecordMode, request_from_httpx, response_head_from_httpx
from groq_vcr.errors import GroqVcrError, InputError
from groq_vcr.servers._replay import (
    HOP_BY_HOP_HEADERS,
    HTTP_METHODS,
    error_response,
    forwardable_headers,
    replay_response,
)

__all__ = ["PROXY_RECORD_MODES", "RecordingProxy", "check_upstream"]

PROXY_RECORD_MODES = (RecordMode.ALL, RecordMode.NEW_EPISODES)
"""``all``: forward and record every request. ``new_episodes``: answer from the cassette when it can, else record."""

DEFAULT_TIMEOUT_SECONDS = 600.0
_CONNECT_TIMEOUT_SECONDS = 10.0
_NOT_FORWARDED = HOP_BY_HOP_HEADERS | {"host", "content-length"}


def check_upstream(upstream: str) -> str:
    """``upstream`` without a trailing slash; :class:`InputError` unless it is an absolute http(s) URL."""
    parts = urlsplit(upstream)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InputError(
            f"--upstream {upstream!r} is not an http(s) base URL; pass e.g. https://api.groq.com "
            "(scheme and host, optionally a path prefix; no query)."
        )
    return upstream.rstrip("/")


class _DirectTransport(httpx.AsyncHTTPTransport):
    """The plain httpx transport, even while groq-vcr's recording patch is installed on the class."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        handler = httpx.AsyncHTTPTransport.handle_async_request
        original: Callable[..., Any] = getattr(handler, "__wrapped__", handler)
        response: httpx.Response = await original(self, request)
        return response


class _PassThrough(HttpResponse):
    """Sends the upstream response on as it arrives, feeding each chunk to the recording."""

    def __init__(self, proxy: RecordingProxy, upstream: httpx.Response, pending: PendingRecording) -> None:
        self.status_code = upstream.status_code
        self.background = None
        self.raw_headers = forwardable_headers(list(upstream.headers.multi_items()))
        self._proxy = proxy
        self._upstream = upstream
        self._pending = pending

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            async for chunk in self._upstream.aiter_raw():
                self._pending.feed(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            # Recorded even when the client went away mid-stream: the cassette keeps what was received.
            with anyio.CancelScope(shield=True):
                await self._upstream.aclose()
                await self._proxy._completed(self._pending)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class RecordingProxy:
    """Forwards requests to ``upstream`` and records every exchange into ``session``.

    ``session`` must allow recording (record mode ``all`` or ``new_episodes``). ``on_save_error`` is told when
    a save fails (for instance a secret the redaction rules missed); the proxy keeps serving.
    """

    def __init__(
        self,
        upstream: str,
        session: CassetteSession,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        on_save_error: Callable[[BaseException], None] | None = None,
        record_as: str | None = None,
    ) -> None:
        if session.record_mode not in PROXY_RECORD_MODES:
            raise GroqVcrError(f"the proxy records with mode 'all' or 'new_episodes', not {str(session.record_mode)!r}")
        self.upstream = check_upstream(upstream)
        self.record_as = check_upstream(record_as) if record_as else self.upstream
        """The base URL the cassette records (``--record-as``; the upstream's by default)."""
        self.session = session
        self.timeout = timeout
        self.on_save_error = on_save_error
        self.save_error: BaseException | None = None
        self.saves = 0
        self._client: httpx.AsyncClient | None = None
        self._in_flight = 0
        self._unsaved = False
        self._save_lock = threading.Lock()

    @property
    def recorded(self) -> int:
        """How many interactions were recorded so far."""
        return len(self.session.pending)

    def app(self) -> Starlette:
        """The ASGI app to serve."""
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=HTTP_METHODS)])

    def upstream_url(self, raw_path: str, query: str) -> str:
        """Where a request for ``raw_path?query`` is forwarded (and what the cassette records)."""
        return self.upstream + raw_path + (f"?{query}" if query else "")

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            timeout = httpx.Timeout(self.timeout, connect=_CONNECT_TIMEOUT_SECONDS)
            self._client = httpx.AsyncClient(transport=_DirectTransport(), timeout=timeout, follow_redirects=False)
        return self._client

    async def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one client request: replay it (``new_episodes`` only), or forward and record it."""
        raw = request.scope.get("raw_path")
        path = raw.decode("latin-1").split("?", 1)[0] if isinstance(raw, bytes) and raw else request.url.path
        query = request.scope.get("query_string", b"").decode("latin-1")
        url = self.upstream_url(path, query)
        recorded_url = self.record_as + url[len(self.upstream) :]
        body = await request.body()
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED]
        outgoing = httpx.Request(request.method, url, headers=headers, content=body)
        found = self.session.probe(request.method, recorded_url, body, outgoing.headers)
        played = None if found is None else self.session.lookup(found)
        if played is not None:
            return replay_response(played.interaction)
        started = time.perf_counter_ns()
        try:
            upstream = await self._http().send(outgoing, stream=True)
        except httpx.HTTPError as exc:
            message = (
                f"groq-vcr proxy could not reach the upstream {self.upstream} for {request.method} {url}: "
                f"{type(exc).__name__}: {exc}. Check --upstream and your network; nothing was recorded."
            )
            return error_response(502, message, "groq_vcr_upstream_error", "upstream_unreachable")
        head = response_head_from_httpx(upstream, time.perf_counter_ns() - started, outgoing.method)
        recorded = request_from_httpx(outgoing, body)
        recorded.url = recorded_url
        pending = self.session.begin_recording(recorded, head)
        self._in_flight += 1
        return _PassThrough(self, upstream, pending)

    async def _completed(self, pending: PendingRecording) -> None:
        pending.finish()
        self._in_flight -= 1
        self._unsaved = True
        if self._in_flight == 0:
            await anyio.to_thread.run_sync(self.save)

    def save(self) -> bool:
        """Write the cassette if something was recorded since the last save; False when nothing was written."""
        with self._save_lock:
            if not self._unsaved:
                return False
            try:
                written = self.session.save()
            except Exception as exc:
                self.save_error = exc
                if self.on_save_error is not None:
                    self.on_save_error(exc)
                return False
            self._unsaved = False
            self.save_error = None
            self.saves += int(written)
            return written

    def close(self) -> bool:
        """Final save on shutdown, including responses cut off mid-stream; returns whether it wrote."""
        self._unsaved = self._unsaved or any(not p.finished for p in self.session.pending)
        return self.save()

    async def aclose(self) -> None:
        """Close the upstream client (for in-process use; the CLI process just exits)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
