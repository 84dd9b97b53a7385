"""A server's configuration and bookkeeping: what it serves, queued replies, and what it received."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from groq_vcr.testing._models import DEFAULT_MODELS, ModelInfo
from groq_vcr.testing._replies import FakeReply, ResponseChange
from groq_vcr.testing._store import Store

__all__ = ["DEFAULT_CREATED", "FakeGroqConfig", "ReceivedRequest"]

DEFAULT_CREATED = 1760555157  # the seed's chat response; any fixed instant would do


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the server received it (for tests that check what a client sent)."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k == lowered), None)


@dataclass
class FakeGroqConfig:
    """Behaviour and bookkeeping of one fake Groq server; safe to use from the test thread while it serves."""

    deterministic: bool = True
    """Derive ids, ``created``, timings and cookies from the request, so re-recording does not churn."""
    echo_full_key_in_errors: bool = False
    """Make the 401 body echo the full key sent (for redaction tests) instead of a masked one."""
    event_delay: float = 0.0
    """Seconds to sleep between stream events."""
    response_change: ResponseChange | None = None
    """Applied to every JSON payload the server generates (responses and stream chunks)."""
    cookie_domain: str | None = ".groq.com"
    """``Domain`` of the ``__cf_bm`` cookie; None sends a host-only session cookie (no ``Secure``) that httpx
    sends back to 127.0.0.1 on later requests, like it does to api.groq.com."""
    max_request_bytes: int = 100 * 1024 * 1024
    """Bodies above this get Groq's 413 ``request_too_large``."""
    created: int = DEFAULT_CREATED
    """The ``created`` timestamp of every response when deterministic."""
    models: tuple[ModelInfo, ...] = DEFAULT_MODELS
    request_limit: int | None = None
    """Requests the server answers per window, over every key and model (None: no limit). Beyond it a request
    gets Groq's 429 ``rate_limit_exceeded`` with ``retry-after``, and the ``x-ratelimit-*-requests`` headers of
    every answer describe this window (limit, remaining, reset) instead of Groq's per-day numbers."""
    limit_window: float = 60.0
    """Seconds in a window of ``request_limit`` (a minute, as Groq's RPM; tests make it short). Windows are fixed:
    they start when the config is made and follow each other."""

    requests: Counter[str] = field(default_factory=Counter, init=False)
    """Requests received, by path (``/openai/v1/chat/completions``)."""
    events_sent: Counter[str] = field(default_factory=Counter, init=False)
    """SSE events written, by path."""
    received: list[ReceivedRequest] = field(default_factory=list, init=False)
    rate_limited: int = field(default=0, init=False)
    """Requests answered 429 because ``request_limit`` was reached."""
    _queue: list[tuple[str, FakeReply]] = field(default_factory=list, init=False, repr=False)
    _seen: Counter[str] = field(default_factory=Counter, init=False, repr=False)
    _model_calls: Counter[str] = field(default_factory=Counter, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _epoch: float = field(default_factory=time.monotonic, init=False, repr=False)
    _store: Store = field(default_factory=Store, init=False, repr=False)
    _window: tuple[int, int] = field(default=(-1, 0), init=False, repr=False)

    def enqueue(self, path_suffix: str, reply: FakeReply, times: int = 1) -> None:
        """Answer the next ``times`` requests whose path ends with ``path_suffix`` with ``reply``, in FIFO order."""
        if times < 1:
            raise ValueError(f"enqueue(times={times}) must queue at least one reply")
        with self._lock:
            self._queue.extend((path_suffix, reply) for _ in range(times))

    def pending(self, path_suffix: str = "") -> int:
        """Queued replies not yet used whose suffix matches ``path_suffix`` (all by default)."""
        with self._lock:
            return sum(1 for suffix, _ in self._queue if suffix.endswith(path_suffix))

    def count(self, path_suffix: str = "") -> int:
        """Requests received whose path ends with ``path_suffix`` (all by default)."""
        with self._lock:
            return sum(n for path, n in self.requests.items() if path.endswith(path_suffix))

    def model(self, model_id: str) -> ModelInfo | None:
        """The served model with this id, or None."""
        return next((m for m in self.models if m.id == model_id), None)

    # The server's own bookkeeping, kept out of the public API; the request pipeline and the response builders
    # of this package call it while the test thread reads the counters.
    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self.requests[request.path] += 1
            self.received.append(request)

    def _pop(self, path: str) -> FakeReply | None:
        with self._lock:
            for i, (suffix, reply) in enumerate(self._queue):
                if path.endswith(suffix):
                    del self._queue[i]
                    return reply
        return None

    def _occurrence(self, key: str) -> int:
        with self._lock:
            self._seen[key] += 1
            return self._seen[key]

    def _count_model_call(self, model: str) -> int:
        with self._lock:
            self._model_calls[model] += 1
            return self._model_calls[model]

    def _take_request(self) -> tuple[bool, int, float] | None:
        """Count a request against ``request_limit``: (allowed, remaining, seconds until the window ends), or None
        when there is no limit."""
        if self.request_limit is None:
            return None
        with self._lock:
            elapsed = time.monotonic() - self._epoch
            window = math.floor(elapsed / self.limit_window)
            reset = (window + 1) * self.limit_window - elapsed
            index, used = self._window
            used = used if index == window else 0
            allowed = used < self.request_limit
            if allowed:
                used += 1
            else:
                self.rate_limited += 1
            self._window = (window, used)
            return allowed, self.request_limit - used, reset

    def _count_event(self, path: str) -> None:
        with self._lock:
            self.events_sent[path] += 1
