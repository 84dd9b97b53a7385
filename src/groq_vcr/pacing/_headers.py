"""Groq's rate-limit headers: ``x-ratelimit-*``, ``retry-after-ms`` and ``retry-after``.

Groq sends on every response (see ``seeds/002_*.rate-limits.md``)::

    x-ratelimit-limit-requests: 14400      # requests per day
    x-ratelimit-remaining-requests: 14370
    x-ratelimit-reset-requests: 2m59.56s   # Go duration text: when the budget is whole again
    x-ratelimit-limit-tokens: 18000        # tokens per minute
    x-ratelimit-remaining-tokens: 17997
    x-ratelimit-reset-tokens: 7.66s

and on a 429 also ``retry-after`` (seconds, or an HTTP date). The SDKs read ``retry-after-ms`` first, then
``retry-after``; so does :func:`parse_rate_limit_headers`.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from groq_vcr.cassette import format_go_duration, parse_go_duration

__all__ = ["RateLimitState", "parse_rate_limit_headers", "parse_reset"]

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
