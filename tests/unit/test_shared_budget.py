"""A machine's share of the rate limits: the budget file several processes draw on, with a test clock."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from groq_vcr import GroqVcrError
from groq_vcr.pacing import SharedBudget, origin_of, parse_share, tokens_used

ORIGIN = "https://api.groq.com"


class Clock:
    """A clock that only moves when a budget sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def _budget(folder: Path, clock: Clock, share: Fraction = Fraction(1, 3), **kwargs: float) -> SharedBudget:
    return SharedBudget(folder, share, credential="gsk_x", clock=clock, sleep=clock.sleep, **kwargs)


def _headers(limit: int, remaining: int, reset: str) -> dict[str, str]:
    return {
        "x-ratelimit-limit-requests": str(limit),
        "x-ratelimit-remaining-requests": str(remaining),
        "x-ratelimit-reset-requests": reset,
    }


def test_a_machine_uses_its_share_then_waits_for_the_reset(tmp_path: Path) -> None:
    clock = Clock()
    budget = _budget(tmp_path, clock)
    assert budget.allowance(7) == 2
    assert budget.before_send(ORIGIN) == 0  # nothing known yet
    budget.on_response(ORIGIN, 200, _headers(7, 6, "10s"))
    assert budget.before_send(ORIGIN) == 0
    budget.on_response(ORIGIN, 200, _headers(7, 3, "9.5s"))  # other machines used some too
    assert budget.before_send(ORIGIN) == pytest.approx(10.1)  # 2 of 7 used: wait for the reset (and the guard)
    assert clock.slept == [10.1]


def test_processes_of_one_machine_draw_on_one_budget(tmp_path: Path) -> None:
    clock = Clock()
    worker_1, worker_2 = _budget(tmp_path, clock), _budget(tmp_path, clock)
    worker_1.before_send(ORIGIN)
    worker_1.on_response(ORIGIN, 200, _headers(6, 5, "20s"))
    assert worker_2.before_send(ORIGIN) == 0
    assert worker_1.before_send(ORIGIN) == pytest.approx(20.1), "the second worker used the machine's share"
    # Another key (organisation) or another server has a budget of its own.
    other_key = SharedBudget(tmp_path, Fraction(1, 3), credential="gsk_y", clock=clock, sleep=clock.sleep)
    assert other_key.before_send(ORIGIN) == 0
    assert _budget(tmp_path, clock).before_send("http://127.0.0.1:8000") == 0


def test_an_exhausted_organisation_or_a_429_stops_every_worker(tmp_path: Path) -> None:
    clock = Clock()
    budget = _budget(tmp_path, clock, share=Fraction(1))
    budget.on_response(ORIGIN, 200, _headers(100, 0, "3s"))
    assert _budget(tmp_path, clock, share=Fraction(1)).before_send(ORIGIN) == pytest.approx(3)
    budget.on_response(ORIGIN, 429, {"retry-after": "4"})
    assert budget.before_send(ORIGIN) == pytest.approx(4)


def test_tokens_count_against_the_share_of_the_tokens_limit(tmp_path: Path) -> None:
    clock = Clock()
    budget = _budget(tmp_path, clock, share=Fraction(1, 2))
    budget.on_response(ORIGIN, 200, {"x-ratelimit-limit-tokens": "6000", "x-ratelimit-reset-tokens": "30s"})
    budget.on_tokens(ORIGIN, 2_999)
    assert budget.before_send(ORIGIN) == 0
    budget.on_tokens(ORIGIN, 1)
    assert budget.before_send(ORIGIN) == pytest.approx(30.1)


def test_a_wait_longer_than_the_maximum_is_cut_short(tmp_path: Path) -> None:
    clock = Clock()
    budget = _budget(tmp_path, clock, max_wait_s=5)
    budget.on_response(ORIGIN, 200, _headers(1, 0, "1h"))
    assert budget.before_send(ORIGIN) == 5


def test_nothing_is_sent_just_before_a_reset(tmp_path: Path) -> None:
    clock = Clock()
    budget = _budget(tmp_path, clock, share=Fraction(1))
    budget.on_response(ORIGIN, 200, _headers(100, 90, "50ms"))
    assert budget.before_send(ORIGIN) == pytest.approx(0.15)  # could land in the next window, uncounted


@pytest.mark.parametrize(("text", "share"), [("1/4", Fraction(1, 4)), ("0.5", Fraction(1, 2)), ("25%", Fraction(1, 4))])
def test_shares_are_written_as_fractions(text: str, share: Fraction) -> None:
    assert parse_share(text) == share


@pytest.mark.parametrize("text", ["0", "3/2", "a quarter", "1/0", "-1"])
def test_a_share_outside_zero_to_one_is_refused(text: str) -> None:
    with pytest.raises(GroqVcrError, match="is not a share of the rate limits"):
        parse_share(text)


def test_tokens_are_read_from_json_and_streams() -> None:
    assert tokens_used(b'{"usage": {"total_tokens": 42}}') == 42
    stream = b'data: {"choices": []}\n\ndata: {"x_groq": {"usage": {"total_tokens": 17}}}\n\ndata: [DONE]\n\n'
    assert tokens_used(stream) == 17
    assert tokens_used(b"RIFF....") is None
    assert origin_of("HTTPS://API.groq.com/openai/v1/chat/completions?x=1") == "https://api.groq.com"
