"""Durations the CLI prints are for people: rounded, never to the nanosecond."""

from __future__ import annotations

import pytest

from groq_vcr.cli._human import human_duration, humanize_durations


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.0004, "1ms"),
        (0.05, "50ms"),
        (0.29994, "0.3s"),
        (1.999946207, "2.0s"),
        (9.96, "10s"),
        (42.4, "42s"),
        (150, "2m30s"),
        (599.4, "9m59s"),
        (599.999951859, "10m"),
        (754, "13m"),
        (3599.9, "1h"),
        (3900, "1h5m"),
        (90000, "25h"),
    ],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_computed_durations_in_a_message_are_rounded_and_written_ones_kept() -> None:
    message = (
        "429 Too Many Requests: the limit resets in 9m59.999951859s, longer than --max-wait 60s (requests 0/14400 "
        "(reset 2m59.56s), tokens 17997/18000 (reset 7.66s), retry after 1.999946207s); also 10m0s and 1h0m0s; "
        "model llama-3.3-70b, 12000 tokens, v1.2s"
    )
    assert humanize_durations(message) == (
        "429 Too Many Requests: the limit resets in 10m, longer than --max-wait 60s (requests 0/14400 "
        "(reset 2m59.56s), tokens 17997/18000 (reset 7.66s), retry after 2.0s); also 10m and 1h; "
        "model llama-3.3-70b, 12000 tokens, v1.2s"
    )
