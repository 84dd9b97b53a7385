"""The httpx/httpx2 transport layer: replay from a session, or record while streaming through.

Both libraries are patched at their transports' ``handle_request`` / ``handle_async_request``, which the
``groq`` SDK (httpx) and the ``openai`` SDK (httpx 2.x or httpx2 3.x) all go through. Unlike vcrpy's own
stubs, a live response is not drained before the caller sees it: each chunk is handed on as it arrives
while a copy is kept, and a caller that closes early leaves just what it received in the cassette.
Replayed event streams are yielded one SSE event per chunk.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from types import ModuleType
from typing import Any

from groq_vcr.capture import request_from_httpx, response_head_from_httpx
from groq_vcr.cassette import Interaction
from groq_vcr.matchers import probe
from groq_vcr.session import CassetteSession, PendingRecording
from groq_vcr.sse import split_events

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


_stream_classes: dict[str, tuple[type, type]] = {}


def _stream_classes_for(module: ModuleType) -> tuple[type, type]:
    """(ReplayStream, TeeStream) classes deriving from ``module``'s own stream base classes."""
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

    _stream_classes[module.__name__] = (ReplayStream, TeeStream)
    return ReplayStream, TeeStream


def replay_headers(interaction: Interaction, body_length: int) -> list[tuple[str, str]]:
    """Recorded headers as sent back on replay (Content-Length made to fit a redacted body)."""
    headers = []
    for name, values in interaction.response.headers.items():
        lowered = name.lower()
        for value in values:
            if lowered == "content-length":
                value = str(body_length)
            headers.append((name, value))
    return headers


def build_response(module: ModuleType, interaction: Interaction, request: Any) -> Any:
    """An ``httpx.Response`` (or httpx2) that replays ``interaction``."""
    recorded = interaction.response
    body = recorded.body_bytes
    chunks = split_events(body) if recorded.is_event_stream else ([body] if body else [])
    replay_stream, _ = _stream_classes_for(module)
    reason = recorded.status.partition(" ")[2]
    extensions = {
        "http_version": b"HTTP/2" if recorded.proto_major == 2 else recorded.proto.encode("ascii", "replace"),
        "reason_phrase": reason.encode("ascii", "replace"),
    }
    return module.Response(
        recorded.code,
        headers=replay_headers(interaction, len(body)),
        stream=replay_stream(chunks),
        request=request,
        extensions=extensions,
    )


def _sync_handler(module: ModuleType, original: Callable[..., Any]) -> Callable[..., Any]:
    def handle_request(self: Any, request: Any) -> Any:
        session = current_session()
        if session is None:
            return original(self, request)
        body = request.read()
        found = session.lookup(probe(request.method, str(request.url), body, request.headers, session.options.mask))
        if found is not None:
            return build_response(module, found, request)
        started = time.perf_counter_ns()
        response = original(self, request)
        head = response_head_from_httpx(response, time.perf_counter_ns() - started)
        pending = session.begin_recording(request_from_httpx(request, body), head)
        response.stream = _stream_classes_for(module)[1](response.stream, pending)
        return response

    handle_request.__wrapped__ = original  # type: ignore[attr-defined]
    return handle_request


def _async_handler(module: ModuleType, original: Callable[..., Any]) -> Callable[..., Any]:
    async def handle_async_request(self: Any, request: Any) -> Any:
        session = current_session()
        if session is None:
            return await original(self, request)
        body = await request.aread()
        found = session.lookup(probe(request.method, str(request.url), body, request.headers, session.options.mask))
        if found is not None:
            return build_response(module, found, request)
        started = time.perf_counter_ns()
        response = await original(self, request)
        head = response_head_from_httpx(response, time.perf_counter_ns() - started)
        pending = session.begin_recording(request_from_httpx(request, body), head)
        response.stream = _stream_classes_for(module)[1](response.stream, pending)
        return response

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
