"""Cassette age: parsing maximum ages, reading the recording time, summarising a run's cassette use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from groq_vcr import Cassette, GroqVcrError, Interaction, Request, Response
from groq_vcr._settings import parse_max_age
from groq_vcr.cassette._age import cassette_age, format_age, recorded_at
from groq_vcr.engine._last_run import summarise
from groq_vcr.engine._session import SessionStats


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("2w", timedelta(days=14)),
        ("12h", timedelta(hours=12)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("1.5d", timedelta(days=1, hours=12)),
        (" 7D ", timedelta(days=7)),
        (30, timedelta(days=30)),
        (timedelta(hours=1), timedelta(hours=1)),
        ("off", None),
        ("0", None),
        (None, None),
    ],
)
def test_parse_max_age(value: object, expected: timedelta | None) -> None:
    assert parse_max_age(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["30", "30 days", "d", "3x", "1d 2h", "-3d", True])
def test_parse_max_age_rejects_with_the_key_named(value: object) -> None:
    with pytest.raises(GroqVcrError, match=r"^\[tool.groq-vcr.max-age\] "):
        parse_max_age(value, where="[tool.groq-vcr.max-age]")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(days=45), "45d"),
        (timedelta(days=3, hours=4), "3d4h"),
        (timedelta(days=12, hours=4), "12d"),
        (timedelta(hours=5), "5h"),
        (timedelta(hours=2, minutes=30), "2h30m"),
        (timedelta(minutes=12), "12m"),
        (timedelta(seconds=30), "30s"),
        (timedelta(seconds=-5), "0s"),
    ],
)
def test_format_age(age: timedelta, text: str) -> None:
    assert format_age(age) == text


def _with_dates(*dates: list[str]) -> Cassette:
    return Cassette(
        interactions=[
            Interaction(Request(url="https://api.groq.com/x", method="GET"), Response(headers={"Date": values}))
            for values in dates
        ]
    )


def test_recorded_at_is_the_newest_parseable_date() -> None:
    cassette = _with_dates(["Mon, 01 Jan 2024 10:00:00 GMT"], ["not a date"], ["Tue, 02 Jan 2024 09:00:00 GMT"], [])
    assert recorded_at(cassette) == datetime(2024, 1, 2, 9, tzinfo=UTC)
    assert recorded_at(_with_dates(["garbage"], [])) is None
    assert recorded_at(Cassette()) is None


def test_cassette_age_against_a_maximum() -> None:
    cassette = _with_dates(["Mon, 01 Jan 2024 10:00:00 GMT"])
    now = datetime(2024, 2, 15, 10, tzinfo=UTC)
    age = cassette_age(cassette, timedelta(days=30), now=now)
    assert age.expired
    assert age.describe() == "recorded 2024-01-01 10:00 UTC (45d ago), older than the maximum age of 30d"
    assert not cassette_age(cassette, timedelta(days=60), now=now).expired
    unknown = cassette_age(Cassette(), timedelta(days=1), now=now)
    assert (unknown.known, unknown.expired) == (False, False)
    assert unknown.describe() == "age unknown (no response has a Date header)"


def test_summarise_keeps_only_what_no_session_played() -> None:
    uses = summarise(
        [
            SessionStats("/c/a.yaml", loaded=3, unused=[0, 2]),
            SessionStats("/c/a.yaml", loaded=3, unused=[1, 2]),
            SessionStats("/c/b.yaml", loaded=2, unused=[0, 1]),
            SessionStats("/c/b.yaml", loaded=2, recorded=2, saved=True),
        ]
    )
    assert {path: (use.opened, use.unused, use.saved) for path, use in uses.items()} == {
        "/c/a.yaml": (2, [2], False),
        "/c/b.yaml": (2, [], True),
    }
