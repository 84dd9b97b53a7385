"""The httpx/httpx2 transport layer: replay from a session, or record while streaming through.

Both libraries are patched at their transports' ``handle_request`` / ``handle_async_request``, which the
``groq`` SDK (httpx) and the ``openai`` SDK (httpx 2.x or httpx2 3.x) all go through. Unlike vcrpy's own
stubs, a live response is not drained before the caller sees it: each chunk is handed on as it arrives
while a copy is kept, and a caller that closes early leaves just what it received in the cassette.
Replayed event streams are yielded one SSE event per chunk.

Faults (:mod:`groq_vcr.faults`) are applied here, to replayed and recorded answers alike: an answer fault
replaces the reply before the lookup (nothing recorded is consumed, nothing is sent), a body fault shortens,
breaks or paces the chunks the client reads. While recording, a live answer with a body fault is read whole
into the cassette first, and the client gets the copy a replay would give it, with the fault. A fault that keeps
the whole answer from the client does not use its interaction up: the retry gets it. What a replay sends is
built by :mod:`groq_vcr.engine._reply`.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from types import ModuleType
from typing import Any

import anyio

from groq_vcr.cassette import Interaction, Probe
from groq_vcr.engine._capture import request_from_httpx, response_head_from_httpx
from groq_vcr.engine._options import RetryAfter
from groq_vcr.engine._player import Played
from groq_vcr.engine._reply import Reply, fault_reply, reply_for
from groq_vcr.engine._session import CassetteSession, PendingRecording
from groq_vcr.faults import BodyAlteration, DropConnection, ErrorResponse

# The sessions in force, innermost last. Replaced (not mutated) by each activation so that nested
# activations, including vcrpy's patchers, restore the outer one on exit.
_STACK: list[CassetteSession] = []

_MODULE_NAMES = ("httpx", "httpx2")


def current_session() -> CassetteSession | None:
    """The innermost active session, if any."""
    return _STACK[-1] if _STACK else None


def _modules() -> list[ModuleType]:
    found = []
    for name in _MODULE_NAMES:
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            continue
    return found


_stream_classes: dict[str, tuple[type, type, type]] = {}


def _stream_classes_for(module: ModuleType) -> tuple[type, type, type]:
    """(ReplayStream, TeeStream, FaultStream) classes deriving from ``module``'s own stream base classes."""
    cached = _stream_classes.get(module.__name__)
    if cached is not None:
        return cached

    class ReplayStream(module.SyncByteStream, module.AsyncByteStream):  # type: ignore[name-defined,misc]
        """A recorded body, yielded one chunk (SSE event) at a time."""

        def __init__(self, chunks: list[bytes]) -> None:
            self._chunks = chunks

        def __iter__(self) -> Iterator[bytes]:
            yield from self._chunks

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for chunk in self._chunks:
                yield chunk

    class TeeStream(module.SyncByteStream, module.AsyncByteStream):  # type: ignore[name-defined,misc]
        """A live body passed through to the caller while the recorder keeps a copy."""

        def __init__(self, inner: Any, pending: PendingRecording) -> None:
            self._inner = inner
            self._pending = pending

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self._inner:
                self._pending.feed(chunk)
                yield chunk

        async def __aiter__(self) -> AsyncIterator[bytes]:
            async for chunk in self._inner:
                self._pending.feed(chunk)
                yield chunk

        def close(self) -> None:
            try:
                self._inner.close()
            finally:
                self._pending.finish()

        async def aclose(self) -> None:
            try:
                await self._inner.aclose()
            finally:
                self._pending.finish()

    class FaultStream(module.SyncByteStream, module.AsyncByteStream):  # type: ignore[name-defined,misc]
        """A recorded body delivered as a fault says: paced, and/or ended by a broken connection."""

        def __init__(self, chunks: list[bytes], alteration: BodyAlteration, request: Any) -> None:
            self._chunks = chunks
            self._alteration = alteration
            self._request = request
            self._read_timeout = _read_timeout(request)

        def _wait(self, seconds: float) -> float:
            """How long to sleep before the next chunk; raises ReadTimeout after sleeping when it is too long."""
            if self._read_timeout is not None and seconds > self._read_timeout:
                return -self._read_timeout
            return seconds

        def _broken(self) -> Exception:
            alteration = self._alteration
            error = module.ReadError if alteration.ending == "reset" else module.RemoteProtocolError
            return error(alteration.disconnect_message(), request=self._request)  # type: ignore[no-any-return]

        def __iter__(self) -> Iterator[bytes]:
            between = self._alteration.between_events
            for position, chunk in enumerate(self._chunks):
                if position and between:
                    wait = self._wait(between)
                    time.sleep(abs(wait))
                    if wait < 0:
                        raise module.ReadTimeout("The read operation timed out", request=self._request)
                yield chunk
            if self._alteration.end_after is not None and self._alteration.ending in ("drop", "reset"):
                raise self._broken()

        async def __aiter__(self) -> AsyncIterator[bytes]:
            between = self._alteration.between_events
            for position, chunk in enumerate(self._chunks):
                if position and between:
                    wait = self._wait(between)
                    await anyio.sleep(abs(wait))
                    if wait < 0:
                        raise module.ReadTimeout("The read operation timed out", request=self._request)
                yield chunk
            if self._alteration.end_after is not None and self._alteration.ending in ("drop", "reset"):
                raise self._broken()

    _stream_classes[module.__name__] = (ReplayStream, TeeStream, FaultStream)
    return ReplayStream, TeeStream, FaultStream


def _read_timeout(request: Any) -> float | None:
    timeout = request.extensions.get("timeout") if hasattr(request, "extensions") else None
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, int | float) else None


def _http_response(module: ModuleType, reply: Reply, request: Any, stream: Any) -> Any:
    extensions = {"http_version": reply.http_version.encode("ascii", "replace")}
    if reply.reason:
        extensions["reason_phrase"] = reply.reason.encode("ascii", "replace")
    return module.Response(reply.status, headers=reply.headers, stream=stream, request=request, extensions=extensions)


def _response(module: ModuleType, reply: Reply, request: Any, alteration: BodyAlteration | None) -> Any:
    """The ``httpx.Response`` (or httpx2) that sends ``reply``: paced and/or broken as ``alteration`` says."""
    replay_stream, _, fault_stream = _stream_classes_for(module)
    stream = replay_stream(reply.chunks)
    if alteration is not None:
        breaks = alteration.end_after is not None and alteration.ending in ("drop", "reset")
        if breaks or alteration.between_events > 0:
            stream = fault_stream(reply.chunks, alteration, request)
    return _http_response(module, reply, request, stream)


def build_response(
    module: ModuleType,
    interaction: Interaction,
    request: Any,
    *,
    alteration: BodyAlteration | None = None,
    retry_after: RetryAfter = RetryAfter.FAST,
) -> Any:
    """An ``httpx.Response`` (or httpx2) that replays ``interaction``, altered by body faults if any."""
    reply = reply_for(interaction, retry_after=retry_after, alteration=alteration)
    return _response(module, reply, request, alteration)


def fault_response(module: ModuleType, fault: ErrorResponse, request: Any, retry_after: RetryAfter) -> Any:
    """The ``httpx.Response`` (or httpx2) of an answer fault: Groq's error status, body and headers."""
    reply = fault_reply(fault, retry_after=retry_after)
    return _http_response(module, reply, request, _stream_classes_for(module)[0](reply.chunks))


def _answer_fault(module: ModuleType, session: CassetteSession, request: Any) -> Any:
    """The reply of an answer fault for ``request`` (or raise its connection error); None when there is none."""
    plan = session.options.faults
    fault = plan.at_send(request.method, str(request.url)) if plan else None
    if fault is None:
        return None
    if isinstance(fault, DropConnection):
        error = module.ReadError if fault.reset else module.RemoteProtocolError
        raise error(fault.disconnect_message(), request=request)
    return fault_response(module, fault, request, session.options.retry_after)


def _body_faults(session: CassetteSession, request: Any, index: int) -> BodyAlteration | None:
    """How the body faults in force deliver interaction ``index`` to ``request`` (None: unchanged)."""
    plan = session.options.faults
    return plan.on_replay(request.method, str(request.url), index) if plan else None


def _deliver(
    module: ModuleType,
    session: CassetteSession,
    request: Any,
    found: Probe,
    played: Played,
    alteration: BodyAlteration | None,
) -> tuple[Any, float]:
    """The response that delivers ``played`` as ``alteration`` says, and how long to hold its head back.

    When the fault keeps the whole answer from reaching the client (a cut, a frame or drop before the end, a
    wait longer than the read timeout), the interaction is given back: the next identical request gets it.
    """
    reply = reply_for(played.interaction, retry_after=session.options.retry_after, alteration=alteration)
    if alteration is None:
        return _response(module, reply, request, None), 0.0
    if reply.cut_short or alteration.times_out(_read_timeout(request), len(reply.chunks)):
        session.release(played, found.key)
    return _response(module, reply, request, alteration), alteration.first_byte


def _first_byte_timeout(request: Any, wait: float) -> tuple[float, bool]:
    """How long to hold the response head, and whether the client's read timeout runs out first."""
    timeout = _read_timeout(request)
    if timeout is not None and wait > timeout:
        return timeout, True
    return wait, False


def _answer(module: ModuleType, session: CassetteSession, request: Any, found: Probe) -> tuple[Any, float] | None:
    """A response that does not go to the server (a fault, or a replay) and how long to hold its head back."""
    faulted = _answer_fault(module, session, request)
    if faulted is not None:
        return faulted, 0.0
    played = session.lookup(found)
    if played is None:
        return None
    return _deliver(module, session, request, found, played, _body_faults(session, request, played.index))


def _begin(session: CassetteSession, request: Any, body: bytes, response: Any, started: int) -> PendingRecording:
    head = response_head_from_httpx(response, time.perf_counter_ns() - started, request.method)
    recorded = request_from_httpx(request, body)
    recorded.url = session.options.recorded_url(recorded.url)
    return session.begin_recording(recorded, head)


def _tee(module: ModuleType, response: Any, pending: PendingRecording) -> Any:
    """Hand a live ``response`` on to the caller while the session keeps a copy of its body."""
    response.stream = _stream_classes_for(module)[1](response.stream, pending)
    return response


def _hold_sync(module: ModuleType, request: Any, response: Any, hold: float) -> Any:
    if hold:
        wait, timed_out = _first_byte_timeout(request, hold)
        time.sleep(wait)
        if timed_out:
            raise module.ReadTimeout("The read operation timed out", request=request)
    return response


async def _hold_async(module: ModuleType, request: Any, response: Any, hold: float) -> Any:
    if hold:
        wait, timed_out = _first_byte_timeout(request, hold)
        await anyio.sleep(wait)
        if timed_out:
            raise module.ReadTimeout("The read operation timed out", request=request)
    return response


def _sync_handler(module: ModuleType, original: Callable[..., Any]) -> Callable[..., Any]:
    def handle_request(self: Any, request: Any) -> Any:
        session = current_session()
        if session is None:
            return original(self, request)
        body = request.read()
        found = session.probe(request.method, session.options.recorded_url(str(request.url)), body, request.headers)
        if found is None:  # the user's filters drop it: straight to the network, unrecorded
            return original(self, request)
        answer = _answer(module, session, request, found)
        if answer is not None:
            return _hold_sync(module, request, *answer)
        started = time.perf_counter_ns()
        live = original(self, request)
        pending = _begin(session, request, body, live, started)
        alteration = _body_faults(session, request, pending.index)
        if alteration is None:
            return _tee(module, live, pending)
        # A body fault while recording: the whole live answer is kept for the cassette, and the client gets
        # the copy a replay would give it, with the fault.
        try:
            for chunk in live.stream:
                pending.feed(chunk)
        finally:
            live.close()
        played = Played(pending.index, pending.finish())
        return _hold_sync(module, request, *_deliver(module, session, request, found, played, alteration))

    handle_request.__wrapped__ = original  # type: ignore[attr-defined]
    return handle_request


def _async_handler(module: ModuleType, original: Callable[..., Any]) -> Callable[..., Any]:
    async def handle_async_request(self: Any, request: Any) -> Any:
        session = current_session()
        if session is None:
            return await original(self, request)
        body = await request.aread()
        found = session.probe(request.method, session.options.recorded_url(str(request.url)), body, request.headers)
        if found is None:  # the user's filters drop it: straight to the network, unrecorded
            return await original(self, request)
        answer = _answer(module, session, request, found)
        if answer is not None:
            return await _hold_async(module, request, *answer)
        started = time.perf_counter_ns()
        live = await original(self, request)
        pending = _begin(session, request, body, live, started)
        alteration = _body_faults(session, request, pending.index)
        if alteration is None:
            return _tee(module, live, pending)
        try:  # a body fault while recording: see the sync handler
            async for chunk in live.stream:
                pending.feed(chunk)
        finally:
            await live.aclose()
        played = Played(pending.index, pending.finish())
        return await _hold_async(module, request, *_deliver(module, session, request, found, played, alteration))

    handle_async_request.__wrapped__ = original  # type: ignore[attr-defined]
    return handle_async_request


_ORIGINALS: dict[tuple[str, str, str], Callable[..., Any]] = {}


def _original(module: ModuleType, cls_name: str, attr: str) -> Callable[..., Any]:
    key = (module.__name__, cls_name, attr)
    if key not in _ORIGINALS:
        function = getattr(getattr(module, cls_name), attr)
        _ORIGINALS[key] = getattr(function, "__wrapped__", function)
    return _ORIGINALS[key]


def patch_triples(session: CassetteSession) -> list[tuple[Any, str, Any]]:
    """``(object, attribute, replacement)`` patches that route httpx/httpx2 through ``session``.

    The same triples serve vcrpy's ``custom_patches`` and :func:`activate`.
    """
    triples: list[tuple[Any, str, Any]] = [(__import__(__name__, fromlist=["_"]), "_STACK", [*_STACK, session])]
    for module in _modules():
        triples.append(
            (
                module.HTTPTransport,
                "handle_request",
                _sync_handler(module, _original(module, "HTTPTransport", "handle_request")),
            )
        )
        triples.append(
            (
                module.AsyncHTTPTransport,
                "handle_async_request",
                _async_handler(module, _original(module, "AsyncHTTPTransport", "handle_async_request")),
            )
        )
    return triples


@contextlib.contextmanager
def activate(session: CassetteSession) -> Iterator[CassetteSession]:
    """Route every httpx/httpx2 request through ``session`` for the duration of the block."""
    from unittest import mock

    with contextlib.ExitStack() as stack:
        for obj, attr, replacement in patch_triples(session):
            stack.enter_context(mock.patch.object(obj, attr, replacement))
        yield session
