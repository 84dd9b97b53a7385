"""Groq's rate-limit headers, and pacing calls so a recording waits instead of failing.

Groq sends on every response (see ``seeds/002_*.rate-limits.md``)::

    x-ratelimit-limit-requests: 14400      # requests per day
    x-ratelimit-remaining-requests: 14370
    x-ratelimit-reset-requests: 2m59.56s   # Go duration text
    x-ratelimit-limit-tokens: 18000        # tokens per minute
    x-ratelimit-remaining-tokens: 17997
    x-ratelimit-reset-tokens: 7.66s

and on a 429 also ``retry-after`` (seconds, or an HTTP date). The SDKs read ``retry-after-ms`` first, then
``retry-after``; so does :func:`parse_rate_limit_headers`. :class:`Pacer` turns that into waits: before a call
when the last response said a budget is exhausted (``remaining`` 0: wait for its reset), and after a 429
(wait ``retry-after``, else the reset, else an exponential backoff), retrying a bounded number of times.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from groq_vcr.cassette import format_go_duration, parse_go_duration
from groq_vcr.errors import RateLimitExhaustedError

__all__ = [
    "Pacer",
    "RateLimitState",
    "RetryPolicy",
    "parse_rate_limit_headers",
    "parse_reset",
]

_NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class RateLimitState:
    """What one response said about the rate limits; ``None`` where a header was absent or unreadable.

    Durations are nanoseconds, relative to when the response arrived.
    """

    limit_requests: int | None = None
    limit_tokens: int | None = None
    remaining_requests: int | None = None
    remaining_tokens: int | None = None
    reset_requests_ns: int | None = None
    reset_tokens_ns: int | None = None
    retry_after_ns: int | None = None

    @property
    def is_empty(self) -> bool:
        """Whether the response carried no rate-limit header at all."""
        return all(value is None for value in vars(self).values())

    def exhausted_wait_ns(self) -> int:
        """How long until every exhausted budget (``remaining`` 0) resets; 0 when none is exhausted."""
        waits = [0]
        if self.remaining_requests == 0 and self.reset_requests_ns is not None:
            waits.append(self.reset_requests_ns)
        if self.remaining_tokens == 0 and self.reset_tokens_ns is not None:
            waits.append(self.reset_tokens_ns)
        return max(waits)

    def describe(self) -> str:
        """A short human summary: ``requests 14370/14400 (reset 2m59.56s), tokens 17997/18000 (reset 7.66s)``."""
        parts = []
        for kind, remaining, limit, reset in (
            ("requests", self.remaining_requests, self.limit_requests, self.reset_requests_ns),
            ("tokens", self.remaining_tokens, self.limit_tokens, self.reset_tokens_ns),
        ):
            if remaining is None and limit is None:
                continue
            text = f"{kind} {'?' if remaining is None else remaining}/{'?' if limit is None else limit}"
            if reset is not None:
                text += f" (reset {format_go_duration(reset)})"
            parts.append(text)
        if self.retry_after_ns is not None:
            parts.append(f"retry after {format_go_duration(self.retry_after_ns)}")
        return ", ".join(parts) or "no rate-limit headers"


def _lookup(headers: Mapping[str, str] | Mapping[str, list[str]] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Any header container -> lower-case name -> first value."""
    pairs: Iterable[tuple[str, object]]
    if hasattr(headers, "multi_items"):  # httpx.Headers: keep every value, first one wins
        pairs = headers.multi_items()
    elif isinstance(headers, Mapping):
        pairs = headers.items()
    else:
        pairs = headers
    found: dict[str, str] = {}
    for name, value in pairs:
        first = value[0] if isinstance(value, list) and value else value
        if isinstance(first, str):
            found.setdefault(name.lower(), first.strip())
    return found


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def parse_reset(text: str | None) -> int | None:
    """A reset value -> nanoseconds: Go duration text (``2m59.56s``, ``7.66s``, ``130ms``) or bare seconds."""
    if text is None or not text:
        return None
    try:
        return max(0, parse_go_duration(text))
    except ValueError:
        pass
    try:
        return max(0, int(float(text) * _NS_PER_S))
    except ValueError:
        return None


def _retry_after(values: dict[str, str], now: Callable[[], float]) -> int | None:
    if "retry-after-ms" in values:
        try:
            return max(0, int(float(values["retry-after-ms"]) * 1_000_000))
        except ValueError:
            pass
    text = values.get("retry-after")
    if text is None:
        return None
    try:
        return max(0, int(float(text) * _NS_PER_S))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0, int((when.timestamp() - now()) * _NS_PER_S))


def parse_rate_limit_headers(
    headers: Mapping[str, str] | Mapping[str, list[str]] | Iterable[tuple[str, str]],
    *,
    now: Callable[[], float] = time.time,
) -> RateLimitState:
    """Read ``x-ratelimit-*``, ``retry-after-ms`` and ``retry-after`` from any header container (a dict of
    str or of lists as in cassettes, ``httpx.Headers``, or (name, value) pairs); names are case-insensitive.
    ``now`` is the wall clock, for a ``retry-after`` given as an HTTP date."""
    values = _lookup(headers)
    return RateLimitState(
        limit_requests=_int(values.get("x-ratelimit-limit-requests")),
        limit_tokens=_int(values.get("x-ratelimit-limit-tokens")),
        remaining_requests=_int(values.get("x-ratelimit-remaining-requests")),
        remaining_tokens=_int(values.get("x-ratelimit-remaining-tokens")),
        reset_requests_ns=parse_reset(values.get("x-ratelimit-reset-requests")),
        reset_tokens_ns=parse_reset(values.get("x-ratelimit-reset-tokens")),
        retry_after_ns=_retry_after(values, now),
    )


@dataclass(frozen=True)
class RetryPolicy:
    """How patient a recording is."""

    max_retries: int = 3
    """Retries after a 429 (so at most ``max_retries + 1`` attempts per call)."""
    max_wait_s: float = 120.0
    """The longest single wait; a longer reset or retry-after is an error instead of a silent hang."""
    backoff_s: float = 1.0
    """First wait after a 429 that says nothing about when to retry; doubles on each retry."""


class Pacer:
    """Decides and performs the waits between calls of one recording.

    Call :meth:`before_call` before each request and :meth:`after_response` with each response; the latter
    returns how long was waited before the retry, or None when the response is final. ``sleep`` and ``clock``
    (monotonic seconds) are injectable so tests run instantly.
    """

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self.on_wait = on_wait
        """Called with (seconds, reason) before each wait (progress display)."""
        self._last: RateLimitState | None = None
        self._last_at = 0.0
        self.total_waited_s = 0.0
        self.last_state: RateLimitState | None = None

    def observe(self, state: RateLimitState) -> None:
        """Remember what a response said (used to pace the next call)."""
        self._last = state
        self._last_at = self._clock()
        if not state.is_empty:
            self.last_state = state

    def wait_needed_s(self) -> float:
        """Seconds to wait before the next call: until an exhausted budget resets, minus the time since."""
        if self._last is None:
            return 0.0
        wait = self._last.exhausted_wait_ns() / _NS_PER_S - (self._clock() - self._last_at)
        return max(0.0, wait)

    def before_call(self) -> float:
        """Wait (if the last response exhausted a budget) and return the seconds waited."""
        wait = self.wait_needed_s()
        if wait <= 0:
            return 0.0
        assert self._last is not None
        reason = f"rate limit exhausted ({self._last.describe()})"
        self._wait(wait, reason)
        return wait

    def retry_delay_s(self, state: RateLimitState, attempt: int) -> float:
        """How long to wait before retrying a 429 that was attempt number ``attempt`` (0-based)."""
        if state.retry_after_ns is not None:
            return state.retry_after_ns / _NS_PER_S
        exhausted = state.exhausted_wait_ns()
        if exhausted:
            return exhausted / _NS_PER_S
        return float(self.policy.backoff_s * (2**attempt))

    def after_response(self, status: int, state: RateLimitState, attempt: int) -> float | None:
        """Record ``state``; for a 429, wait and return the seconds waited (the caller retries), else None.

        Raises :class:`RateLimitExhaustedError` when the retries are used up or the wait is too long.
        """
        self.observe(state)
        if status != 429:
            return None
        if attempt >= self.policy.max_retries:
            raise RateLimitExhaustedError(
                f"still rate limited (429) after {attempt + 1} attempts ({state.describe()}); "
                "wait and run again, or allow more with --max-retries"
            )
        delay = self.retry_delay_s(state, attempt)
        self._wait(delay, f"429 Too Many Requests, retry {attempt + 1}/{self.policy.max_retries}")
        return delay

    def _wait(self, seconds: float, reason: str) -> None:
        if seconds > self.policy.max_wait_s:
            raise RateLimitExhaustedError(
                f"{reason}: the limit resets in {format_go_duration(int(seconds * _NS_PER_S))}, longer than "
                f"--max-wait {self.policy.max_wait_s:g}s; run again later or raise --max-wait"
            )
        if self.on_wait is not None:
            self.on_wait(seconds, reason)
        self._sleep(seconds)
        self.total_waited_s += seconds
        # The wait consumed the reset the last response announced.
        self._last = None
