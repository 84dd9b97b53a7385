"""Groq rate-limit headers and the pacing of recorded calls."""

from __future__ import annotations

import pytest

from groq_vcr.cli.record._pacing import (
    Pacer,
    RateLimitExhaustedError,
    RateLimitState,
    RetryPolicy,
    parse_rate_limit_headers,
    parse_reset,
)

S = 1_000_000_000


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("2m59.56s", 179_560_000_000),
        ("7.66s", 7_660_000_000),
        ("130ms", 130_000_000),
        ("1h2m3s", 3_723 * S),
        ("2", 2 * S),
        ("0.5", S // 2),
        ("0s", 0),
        ("", None),
        (None, None),
        ("soon", None),
    ],
)
def test_parse_reset(text: str | None, ns: int | None) -> None:
    assert parse_reset(text) == ns


def test_groq_documented_headers() -> None:
    state = parse_rate_limit_headers(
        {
            "retry-after": "2",
            "x-ratelimit-limit-requests": "14400",
            "x-ratelimit-limit-tokens": "18000",
            "x-ratelimit-remaining-requests": "14370",
            "x-ratelimit-remaining-tokens": "17997",
            "x-ratelimit-reset-requests": "2m59.56s",
            "x-ratelimit-reset-tokens": "7.66s",
        }
    )
    assert state == RateLimitState(
        limit_requests=14400,
        limit_tokens=18000,
        remaining_requests=14370,
        remaining_tokens=17997,
        reset_requests_ns=179_560_000_000,
        reset_tokens_ns=7_660_000_000,
        retry_after_ns=2 * S,
    )
    assert state.describe() == "requests 14370/14400 (reset 2m59.56s), tokens 17997/18000 (reset 7.66s), retry after 2s"


@pytest.mark.parametrize(
    ("headers", "retry_after_ns"),
    [
        ({"Retry-After-Ms": ["1500"], "Retry-After": ["9"]}, 1_500_000_000),  # cassette form, ms wins
        ({"Retry-After": ["3"]}, 3 * S),
        ({"retry-after": "Thu, 01 Jan 1970 00:00:10 GMT"}, 4 * S),  # an HTTP date, against now() == 6
        ({"retry-after": "Thu, 01 Jan 1970 00:00:01 GMT"}, 0),  # in the past
        ({"retry-after": "whenever"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, object], retry_after_ns: int | None) -> None:
    assert parse_rate_limit_headers(headers, now=lambda: 6.0).retry_after_ns == retry_after_ns  # type: ignore[arg-type]


def test_header_pairs_and_unreadable_values() -> None:
    state = parse_rate_limit_headers([("X-RateLimit-Remaining-Tokens", "abc"), ("x-ratelimit-limit-tokens", "6000")])
    assert (state.remaining_tokens, state.limit_tokens) == (None, 6000)
    assert parse_rate_limit_headers({}).is_empty


class FakeTime:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_pacer(**policy: float) -> tuple[Pacer, FakeTime]:
    fake = FakeTime()
    return Pacer(RetryPolicy(**policy), sleep=fake.sleep, clock=fake.clock), fake  # type: ignore[arg-type]


def test_waits_for_the_reset_when_a_budget_is_exhausted() -> None:
    pacer, fake = make_pacer()
    assert pacer.before_call() == 0.0
    pacer.after_response(
        200, parse_rate_limit_headers({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "7.66s"}), 0
    )
    fake.now += 0.66  # time spent between the calls counts
    assert pacer.before_call() == pytest.approx(7.0)
    assert fake.sleeps == [pytest.approx(7.0)]
    assert pacer.before_call() == 0.0, "a reset is waited out once"


def test_no_wait_while_budget_remains() -> None:
    pacer, fake = make_pacer()
    pacer.after_response(
        200,
        parse_rate_limit_headers({"x-ratelimit-remaining-requests": "3", "x-ratelimit-reset-requests": "2m59.56s"}),
        0,
    )
    assert pacer.before_call() == 0.0
    assert fake.sleeps == []


def test_429_waits_retry_after_then_backs_off_then_gives_up() -> None:
    pacer, fake = make_pacer(max_retries=3, backoff_s=0.5)
    assert pacer.after_response(429, parse_rate_limit_headers({"retry-after": "2"}), 0) == 2.0
    assert (
        pacer.after_response(
            429, parse_rate_limit_headers({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "130ms"}), 1
        )
        == 0.13
    )
    assert pacer.after_response(429, RateLimitState(), 2) == 2.0  # 0.5 * 2**2
    with pytest.raises(RateLimitExhaustedError, match="after 4 attempts"):
        pacer.after_response(429, RateLimitState(), 3)
    assert fake.sleeps == [2.0, 0.13, 2.0]
    assert pacer.total_waited_s == pytest.approx(4.13)
    assert pacer.after_response(200, RateLimitState(), 0) is None


def test_a_wait_longer_than_allowed_is_an_error_not_a_hang() -> None:
    pacer, fake = make_pacer(max_wait_s=60)
    with pytest.raises(RateLimitExhaustedError, match=r"resets in 2m59\.56s, longer than --max-wait 60s"):
        pacer.after_response(
            429,
            parse_rate_limit_headers({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2m59.56s"}),
            0,
        )
    assert fake.sleeps == []
