"""Fault injection: make a Groq interaction fail the way Groq fails, without editing the cassette.

Faults apply to replayed answers and, while recording, to the copy of the live answer the test sees (the
cassette gets the clean answer), so a fault test passes on its first recording run and on every replay.

A :class:`FaultPlan` holds :class:`Fault` values; the transport layer asks it, for every request of a session,
what to change. Two kinds of fault exist:

- **answer faults** replace the answer before any recorded interaction is chosen: an error status with Groq's
  error body and headers (:func:`rate_limited` 429 with ``retry-after``, :func:`server_error` 5xx,
  :func:`invalid_api_key` 401, :func:`capacity_exceeded` 498, :func:`error_response` any), or a connection that
  drops before a response (:func:`drop_connection` with no ``after_events``). They consume nothing, so the
  SDK's retry gets the recorded answer once the fault has been used up (``times=``).
- **body faults** alter how an interaction is delivered: :func:`cut_stream` ends a stream after N events
  (no ``[DONE]``), :func:`stream_error` sends Groq's ``event: error`` frame after N events,
  :func:`drop_connection` with ``after_events`` breaks the connection mid-body, and :func:`delay` holds the
  first byte and/or paces the events. One that keeps the whole answer from the client (a cut or frame before
  the end, a drop, a wait past the read timeout) does not use the interaction up: the retry gets it.

Every fault is selected by ``path`` (the URL path ends with it), ``method``, ``interaction`` (the recorded
interaction's index; body faults only), ``nth`` (the 0-based positions among the requests the other selectors
let through) and ``times`` (the first N of those). With no selector a fault applies to every request.

The errors are what httpx raises live (``RemoteProtocolError``, ``ReadError``, ``ReadTimeout`` from the same
module the client uses: httpx or httpx2), so the ``groq`` and ``openai`` SDKs raise exactly what they raise
against Groq: ``RateLimitError`` with Groq's body, ``APIConnectionError``, ``APIError`` mid-stream...
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from groq_vcr._fault_checks import (
    building,
    check_choice,
    check_count,
    check_names,
    check_positions,
    check_seconds,
    check_status,
    check_text,
    fault_name,
)
from groq_vcr._groq_api import error_json
from groq_vcr.cassette import format_go_duration
from groq_vcr.errors import FaultArgumentError

__all__ = [
    "FAULT_BUILDERS",
    "BodyAlteration",
    "CutStream",
    "Delay",
    "DropConnection",
    "ErrorFrame",
    "ErrorResponse",
    "Fault",
    "FaultArgumentError",
    "FaultHit",
    "FaultPlan",
    "build_fault",
    "capacity_exceeded",
    "cut_stream",
    "delay",
    "drop_connection",
    "error_response",
    "invalid_api_key",
    "rate_limited",
    "server_error",
    "stream_error",
]

_DISCONNECTED = "Server disconnected without sending a response."
_INCOMPLETE = "peer closed connection without sending complete message body (incomplete chunked read)"
_RESET = "[Errno 104] Connection reset by peer"


@dataclass(frozen=True, kw_only=True)
class Fault:
    """What to change and which requests it applies to (the selectors; see the module docstring)."""

    path: str | None = None
    """Apply to requests whose URL path ends with this (``"/chat/completions"``); None for any path."""
    method: str | None = None
    """Apply to requests with this method (``"POST"``); None for any."""
    interaction: int | None = None
    """Apply when recorded interaction number ``interaction`` answers (body faults only)."""
    nth: tuple[int, ...] | None = None
    """Apply to these 0-based positions among the requests the selectors above let through."""
    times: int | None = None
    """Apply to the first ``times`` requests the selectors let through; None for all of them."""

    def __post_init__(self) -> None:
        name = self.name
        # nth=0 reads better in a marker than nth=(0,)
        object.__setattr__(self, "nth", check_positions(name, self.nth))
        check_text(name, "path", self.path, optional=True)
        check_text(name, "method", self.method, optional=True)
        check_count(name, "interaction", self.interaction, optional=True)
        check_count(name, "times", self.times, optional=True)
        if self.interaction is not None and self.answers_at_send:
            raise FaultArgumentError(
                f"{name}(interaction={self.interaction!r}): this fault replaces the answer before a recorded "
                "interaction is chosen, so it cannot be selected by `interaction`; select it by path, method, nth "
                "or times"
            )

    @property
    def name(self) -> str:
        """The fault's name in messages: the builder that is making it (``rate_limited``), else its class."""
        return fault_name(type(self).__name__)

    @property
    def answers_at_send(self) -> bool:
        """Whether this fault replaces the whole answer (no recorded interaction is used)."""
        return False

    def selects(self, method: str, url: str) -> bool:
        """Whether the path and method selectors let this request through."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or urlsplit(url).path.endswith(self.path)

    def describe(self) -> str:
        """A short label for reports: the fault and its non-default settings."""
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr and _set(self, f)]
        return f"{type(self).__name__}({', '.join(shown)})"


def _set(fault: Fault, f: dataclasses.Field[Any]) -> bool:
    value = getattr(fault, f.name)
    default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    return bool(value != default)


@dataclass(frozen=True, kw_only=True)
class ErrorResponse(Fault):
    """Answer with this status, body and headers instead of the recorded interaction."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        why = " (an error: a 2xx answer would reach the SDK as an empty result)"
        check_status(self.name, self.status, 400, 599, why)
        if not isinstance(self.body, bytes):
            raise FaultArgumentError(f"{self.name}(body={self.body!r}): must be bytes")

    @property
    def answers_at_send(self) -> bool:
        return True


@dataclass(frozen=True, kw_only=True)
class DropConnection(Fault):
    """Break the connection: before any response (``after_events`` None), or after that many body events."""

    after_events: int | None = None
    reset: bool = False
    """Raise ``ReadError`` (connection reset by peer) instead of ``RemoteProtocolError`` (peer closed)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_count(self.name, "after_events", self.after_events, optional=True)
        check_choice(self.name, "reset", self.reset, (False, True))

    @property
    def answers_at_send(self) -> bool:
        return self.after_events is None

    def disconnect_message(self) -> str:
        """The message httpx gives when the server goes away (before answering, or mid-body)."""
        if self.reset:
            return _RESET
        return _DISCONNECTED if self.after_events is None else _INCOMPLETE


@dataclass(frozen=True, kw_only=True)
class CutStream(Fault):
    """End the body cleanly after ``after_events`` events: a stream without ``[DONE]``, as when Groq stops."""

    after_events: int

    def __post_init__(self) -> None:
        super().__post_init__()
        check_count(self.name, "after_events", self.after_events)


@dataclass(frozen=True, kw_only=True)
class ErrorFrame(Fault):
    """Send ``after_events`` events, then Groq's ``event: error`` frame, and end (no ``[DONE]``)."""

    after_events: int = 1
    message: str = "Service Unavailable"
    type: str = "internal_server_error"
    code: str | None = "internal_server_error"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_count(self.name, "after_events", self.after_events)
        check_text(self.name, "message", self.message)
        check_text(self.name, "type", self.type)
        check_text(self.name, "code", self.code, optional=True)

    def frame(self) -> bytes:
        """The ``event: error`` frame, as Groq sends it."""
        data = error_json(self.message, self.type, self.code).decode("utf-8")
        return b"event: error\ndata: " + data.encode() + b"\n\n"


@dataclass(frozen=True, kw_only=True)
class Delay(Fault):
    """Hold the response head for ``first_byte`` seconds and/or wait ``between_events`` seconds between events.

    When a wait is longer than the client's read timeout, the client gets ``ReadTimeout`` after the timeout, as
    it would live.
    """

    first_byte: float = 0.0
    between_events: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_seconds(self.name, "first_byte", self.first_byte)
        check_seconds(self.name, "between_events", self.between_events)


@dataclass(frozen=True)
class FaultHit:
    """A fault applied to a request (for assertions: how many times the SDK met it)."""

    fault: Fault
    method: str
    url: str
    interaction: int | None


@dataclass(frozen=True)
class BodyAlteration:
    """The combined effect of the body faults on one replayed interaction."""

    first_byte: float = 0.0
    between_events: float = 0.0
    end_after: int | None = None
    """Deliver only this many events, then end as ``ending`` says."""
    ending: Literal["cut", "error", "drop", "reset"] = "cut"
    error_frame: bytes = b""

    @property
    def changes_timing(self) -> bool:
        """Whether the body needs a paced stream (sleeps), not just a shorter list of chunks."""
        return self.first_byte > 0 or self.between_events > 0

    def disconnect_message(self) -> str:
        """The message of the error raised when the connection drops mid-body."""
        return _RESET if self.ending == "reset" else _INCOMPLETE

    def cuts_short(self, events: int) -> bool:
        """Whether a body of ``events`` events delivered this way stops before its end (or breaks)."""
        if self.end_after is None:
            return False
        return self.ending in ("drop", "reset") or self.end_after < events

    def times_out(self, read_timeout: float | None, events: int) -> bool:
        """Whether a client with this read timeout gives up before the body of ``events`` events is complete."""
        if read_timeout is None:
            return False
        return self.first_byte > read_timeout or (self.between_events > read_timeout and events > 1)


class FaultPlan:
    """The faults in force for a cassette session, and a record of where they were applied.

    Thread-safe: the position counters behind ``nth``/``times`` are kept under a lock. Faults may be added while
    the session is open (the ``groq_faults`` fixture does this from the test body).
    """

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self.faults: list[Fault] = list(faults)
        self.hits: list[FaultHit] = []
        self.sessions = 0
        """How many cassette sessions this plan was given to (0: its faults were never in force)."""
        self._seen: dict[int, int] = {}
        self._lock = threading.Lock()

    def attach(self) -> None:
        """Count a cassette session that applies this plan (called when the session opens)."""
        with self._lock:
            self.sessions += 1

    def __bool__(self) -> bool:
        return bool(self.faults)

    def __len__(self) -> int:
        return len(self.faults)

    def add(self, fault: Fault | str, /, **kwargs: Any) -> Fault:
        """Add a fault (a :class:`Fault`, or a builder name from :data:`FAULT_BUILDERS` with its arguments)."""
        built = build_fault(fault, **kwargs)
        with self._lock:
            self.faults.append(built)
        return built

    def clear(self) -> None:
        """Remove every fault and forget the hits."""
        with self._lock:
            self.faults.clear()
            self.hits.clear()
            self._seen.clear()

    def hits_of(self, fault: Fault) -> list[FaultHit]:
        """The requests ``fault`` was applied to."""
        return [hit for hit in self.hits if hit.fault is fault]

    def _take(self, fault: Fault) -> bool:
        """Count a request that passed ``fault``'s selectors; whether the fault applies to it (lock held)."""
        position = self._seen.get(id(fault), 0)
        self._seen[id(fault)] = position + 1
        if fault.times is not None and position >= fault.times:
            return False
        return fault.nth is None or position in fault.nth

    def at_send(self, method: str, url: str) -> ErrorResponse | DropConnection | None:
        """The answer fault for this request, if any (checked before the recorded interaction is looked up)."""
        if not self.faults:
            return None
        chosen: ErrorResponse | DropConnection | None = None
        with self._lock:
            for fault in self.faults:
                if not fault.answers_at_send or not fault.selects(method, url):
                    continue
                if self._take(fault) and chosen is None:
                    assert isinstance(fault, ErrorResponse | DropConnection)
                    chosen = fault
                    self.hits.append(FaultHit(fault, method, url, None))
        return chosen

    def on_replay(self, method: str, url: str, interaction: int) -> BodyAlteration | None:
        """How to deliver recorded interaction ``interaction`` to this request; None when unchanged."""
        if not self.faults:
            return None
        first_byte = between = 0.0
        end: tuple[int, Literal["cut", "error", "drop", "reset"], bytes] | None = None
        applied = False
        with self._lock:
            for fault in self.faults:
                if fault.answers_at_send or not fault.selects(method, url):
                    continue
                if fault.interaction is not None and fault.interaction != interaction:
                    continue
                if not self._take(fault):
                    continue
                applied = True
                self.hits.append(FaultHit(fault, method, url, interaction))
                if isinstance(fault, Delay):
                    first_byte += fault.first_byte
                    between += fault.between_events
                elif end is None and isinstance(fault, CutStream):
                    end = (fault.after_events, "cut", b"")
                elif end is None and isinstance(fault, ErrorFrame):
                    end = (fault.after_events, "error", fault.frame())
                elif end is None and isinstance(fault, DropConnection) and fault.after_events is not None:
                    end = (fault.after_events, "reset" if fault.reset else "drop", b"")
        if not applied:
            return None
        if end is None:
            return BodyAlteration(first_byte=first_byte, between_events=between)
        return BodyAlteration(
            first_byte=first_byte, between_events=between, end_after=end[0], ending=end[1], error_frame=end[2]
        )


# ------------------------------------------------------------------------------------------------ builders

Selector = Any  # keyword arguments forwarded to Fault: path, method, interaction, nth, times
_SELECTORS = tuple(f.name for f in dataclasses.fields(Fault))
_F = TypeVar("_F", bound=Callable[..., Fault])


def _builder(function: _F) -> _F:
    """Check a builder's keyword names and arguments where they are given; errors name the builder."""
    name = function.__name__
    signature = inspect.signature(function)
    own = [p for p in signature.parameters if p != "select"]

    @functools.wraps(function)
    def build(*args: Any, **kwargs: Any) -> Fault:
        check_names(name, kwargs, own, _SELECTORS)
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise FaultArgumentError(f"{name}(): {exc}; it takes {', '.join(own) or 'only selectors'}") from None
        with building(name):
            return function(*args, **kwargs)

    return build  # type: ignore[return-value]


def _json_error(
    status: int, message: str, type_: str, code: str | None, headers: Mapping[str, str], **select: Selector
) -> ErrorResponse:
    name = fault_name("error_response")
    check_text(name, "message", message)
    check_text(name, "type_", type_)
    check_text(name, "code", code, optional=True)
    pairs = headers.items() if isinstance(headers, Mapping) else None
    if pairs is None or not all(isinstance(k, str) and isinstance(v, str) for k, v in pairs):
        raise FaultArgumentError(f"{name}(headers={headers!r}): must be a mapping of header names to string values")
    body = error_json(message, type_, code)
    all_headers = {"Content-Type": "application/json", **headers}
    return ErrorResponse(status=status, body=body, headers=tuple(all_headers.items()), **select)


@_builder
def error_response(
    status: int,
    message: str,
    type_: str = "invalid_request_error",
    code: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **select: Selector,
) -> ErrorResponse:
    """Any error status (400-599) with Groq's JSON error body ``{"error": {"message", "type", "code"}}``."""
    return _json_error(status, message, type_, code, headers or {}, **select)


@_builder
def rate_limited(
    retry_after: float = 1.0,
    *,
    limit_type: Literal["tokens", "requests"] = "tokens",
    model: str = "llama-3.3-70b-versatile",
    **select: Selector,
) -> ErrorResponse:
    """Groq's 429 ``rate_limit_exceeded`` with ``retry-after`` (seconds) and ``x-ratelimit-*`` headers."""
    check_seconds("rate_limited", "retry_after", retry_after)
    check_choice("rate_limited", "limit_type", limit_type, ("tokens", "requests"))
    check_text("rate_limited", "model", model)
    if limit_type == "tokens":
        what = "tokens per minute (TPM): Limit 12000, Used 11861, Requested 1234"
        remaining = {"X-Ratelimit-Remaining-Requests": "999", "X-Ratelimit-Remaining-Tokens": "139"}
    else:
        what = "requests per day (RPD): Limit 1000, Used 1000, Requested 1"
        remaining = {"X-Ratelimit-Remaining-Requests": "0", "X-Ratelimit-Remaining-Tokens": "12000"}
    wait = format_go_duration(round(retry_after * 1e9))
    message = (
        f"Rate limit reached for model `{model}` in organization `org_01fakegroqlocal0000000000` service tier "
        f"`on_demand` on {what}. Please try again in {wait}. Need more tokens? Upgrade to Dev Tier today at "
        "https://console.groq.com/settings/billing"
    )
    headers = {
        "Retry-After": str(int(retry_after)) if float(retry_after).is_integer() else f"{retry_after:g}",
        "X-Ratelimit-Limit-Requests": "1000",
        "X-Ratelimit-Limit-Tokens": "12000",
        **remaining,
        "X-Ratelimit-Reset-Requests": "1m26.4s",
        "X-Ratelimit-Reset-Tokens": wait,
    }
    return _json_error(429, message, limit_type, "rate_limit_exceeded", headers, **select)


@_builder
def server_error(status: int = 500, **select: Selector) -> ErrorResponse:
    """A 5xx as Groq sends it: 502 is Cloudflare's HTML page, 503 ``service_unavailable``, others JSON 500s."""
    check_status("server_error", status, 500, 599, "; for a 4xx use error_response(status, message)")
    if status == 502:
        html = (
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
        )
        return ErrorResponse(status=502, body=html.encode(), headers=(("Content-Type", "text/html"),), **select)
    if status == 503:
        return _json_error(503, "Service Unavailable", "internal_server_error", "service_unavailable", {}, **select)
    return _json_error(status, "Internal Server Error", "internal_server_error", "internal_server_error", {}, **select)


@_builder
def invalid_api_key(**select: Selector) -> ErrorResponse:
    """Groq's 401 ``invalid_api_key``."""
    return _json_error(401, "Invalid API Key", "invalid_request_error", "invalid_api_key", {}, **select)


@_builder
def capacity_exceeded(**select: Selector) -> ErrorResponse:
    """Groq's 498 for the flex service tier at capacity (the SDKs raise ``APIStatusError`` and do not retry)."""
    message = (
        "Flex tier capacity exceeded. This model is experiencing high demand, please try again later or use the "
        "on_demand service tier."
    )
    return _json_error(498, message, "internal_server_error", "capacity_exceeded", {}, **select)


@_builder
def cut_stream(after_events: int, **select: Selector) -> CutStream:
    """End the replayed body after ``after_events`` events, without ``[DONE]``."""
    return CutStream(after_events=after_events, **select)


@_builder
def stream_error(
    after_events: int = 1,
    message: str = "Service Unavailable",
    *,
    type_: str = "internal_server_error",
    code: str | None = "internal_server_error",
    **select: Selector,
) -> ErrorFrame:
    """Groq's mid-stream failure: ``after_events`` events, then ``event: error`` with Groq's error body."""
    return ErrorFrame(after_events=after_events, message=message, type=type_, code=code, **select)


@_builder
def drop_connection(after_events: int | None = None, *, reset: bool = False, **select: Selector) -> DropConnection:
    """The connection breaks: before the response (``after_events=None``) or after that many body events."""
    return DropConnection(after_events=after_events, reset=reset, **select)


@_builder
def delay(first_byte: float = 0.0, between_events: float = 0.0, **select: Selector) -> Delay:
    """Hold the first byte ``first_byte`` seconds and/or wait ``between_events`` seconds between events."""
    return Delay(first_byte=first_byte, between_events=between_events, **select)


FAULT_BUILDERS: dict[str, Callable[..., Fault]] = {
    "rate_limited": rate_limited,
    "server_error": server_error,
    "invalid_api_key": invalid_api_key,
    "capacity_exceeded": capacity_exceeded,
    "error_response": error_response,
    "cut_stream": cut_stream,
    "stream_error": stream_error,
    "drop_connection": drop_connection,
    "delay": delay,
}
"""Fault builders by name, for ``@pytest.mark.groq_fault("rate_limited", retry_after=3, times=2)``."""


def build_fault(fault: Fault | str, /, **kwargs: Any) -> Fault:
    """A fault from a :class:`Fault` (``kwargs`` override its selectors) or a builder name and its arguments.

    Raises :class:`FaultArgumentError` naming the fault and what it accepts.
    """
    if isinstance(fault, Fault):
        check_names(fault.name, kwargs, (), _SELECTORS)
        with building(type(fault).__name__):
            return dataclasses.replace(fault, **kwargs) if kwargs else fault
    builder = FAULT_BUILDERS.get(fault) if isinstance(fault, str) else None
    if builder is None:
        raise FaultArgumentError(f"unknown fault {fault!r}; use one of {', '.join(FAULT_BUILDERS)} or a Fault object")
    return builder(**kwargs)
