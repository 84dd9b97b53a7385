"""Go ``time.Duration`` text, as go-vcr writes and reads the ``duration`` field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groq_vcr.cassette._durations import format_go_duration, parse_go_duration


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (7, "7ns"),
        (999, "999ns"),
        (1_000, "1µs"),
        (1_500, "1.5µs"),
        (94_900_458, "94.900458ms"),
        (1_000_000_000, "1s"),
        (61_000_000_000, "1m1s"),
        (3_661_001_000_000, "1h1m1.001s"),
        (3_600_000_000_000, "1h0m0s"),
        (-2_000_000_000, "-2s"),
        (-1_500, "-1.5µs"),
        ((1 << 63) - 1, "2562047h47m16.854775807s"),
    ],
)
def test_format_matches_go(ns: int, text: str) -> None:
    assert format_go_duration(ns) == text
    assert parse_go_duration(text) == ns


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("0", 0),
        ("1.5us", 1_500),
        ("1.5μs", 1_500),
        ("1h", 3_600_000_000_000),
        ("+3ms", 3_000_000),
        ("1m30s", 90_000_000_000),
    ],
)
def test_parse_accepts_what_go_accepts(text: str, ns: int) -> None:
    assert parse_go_duration(text) == ns


@pytest.mark.parametrize("text", ["", "5", "1.5", "ms", "1x", "1 s", "-", ".s", "9999999999h"])
def test_parse_rejects_what_go_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_go_duration(text)


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=-(1 << 63) + 1, max_value=(1 << 63) - 1))
def test_round_trip(ns: int) -> None:
    assert parse_go_duration(format_go_duration(ns)) == ns
