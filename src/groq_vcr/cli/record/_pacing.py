"""Pacing the calls of ``groq-vcr record`` so a recording waits instead of failing.

:class:`Pacer` reads Groq's rate-limit headers (:mod:`groq_vcr.pacing`) and turns them into waits: before a
call when the last response said a budget is exhausted (``remaining`` 0: wait for its reset), and after a 429
(wait ``retry-after``, else the reset, else an exponential backoff), retrying a bounded number of times. With
``--rate-share`` the calls also stay within the share of the organisation's limits
(:class:`~groq_vcr.pacing.SharedBudget`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from groq_vcr.cassette import format_go_duration
from groq_vcr.errors import RateLimitExhaustedError
from groq_vcr.pacing._headers import RateLimitState, parse_rate_limit_headers, parse_reset

__all__ = [
    "Pacer",
    "RateLimitState",
    "RetryPolicy",
    "parse_rate_limit_headers",
    "parse_reset",
]

_NS_PER_S = 1_000_000_000


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
