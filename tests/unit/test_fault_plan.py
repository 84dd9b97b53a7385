"""The fault plan: which requests a fault selects, how body faults combine, and retry-after rewriting."""

from __future__ import annotations

import pytest

from groq_vcr import faults
from groq_vcr.engine import RetryAfter
from groq_vcr.engine._reply import alter_chunks, retry_after_headers

URL = "https://api.groq.com/openai/v1/chat/completions"
MODELS = "https://api.groq.com/openai/v1/models"


@pytest.mark.parametrize(
    ("fault", "requests", "applied"),
    [
        (faults.rate_limited(), [("POST", URL)] * 3, [True, True, True]),
        (faults.rate_limited(times=2), [("POST", URL)] * 3, [True, True, False]),
        (faults.rate_limited(nth=1), [("POST", URL)] * 3, [False, True, False]),
        (faults.rate_limited(nth=(0, 2)), [("POST", URL)] * 3, [True, False, True]),
        (faults.rate_limited(path="/chat/completions"), [("GET", MODELS), ("POST", URL)], [False, True]),
        (faults.rate_limited(method="get"), [("GET", MODELS), ("POST", URL)], [True, False]),
        # nth counts only the requests the other selectors let through
        (faults.server_error(path="/models", nth=1), [("GET", MODELS), ("POST", URL), ("GET", MODELS)],
         [False, False, True]),
        (faults.drop_connection(times=0), [("POST", URL)], [False]),
    ],
)  # fmt: skip
def test_answer_fault_selection(fault: faults.Fault, requests: list[tuple[str, str]], applied: list[bool]) -> None:
    plan = faults.FaultPlan([fault])
    assert [plan.at_send(method, url) is fault for method, url in requests] == applied
    assert len(plan.hits) == sum(applied)


def test_body_faults_select_by_interaction_and_combine() -> None:
    plan = faults.FaultPlan(
        [faults.delay(first_byte=0.5), faults.delay(between_events=0.1), faults.cut_stream(2, interaction=1)]
    )
    assert plan.at_send("POST", URL) is None  # body faults never replace the answer
    first = plan.on_replay("POST", URL, 0)
    assert first == faults.BodyAlteration(first_byte=0.5, between_events=0.1)
    second = plan.on_replay("POST", URL, 1)
    assert second is not None
    assert (second.end_after, second.ending) == (2, "cut")


def test_stream_error_frame_is_groqs() -> None:
    alteration = faults.FaultPlan([faults.stream_error(1, "boom")]).on_replay("POST", URL, 0)
    assert alteration is not None
    chunks = alter_chunks([b"data: 1\n\n", b"data: 2\n\n", b"data: [DONE]\n\n"], alteration)
    assert chunks == [
        b"data: 1\n\n",
        b'event: error\ndata: {"error":{"message":"boom","type":"internal_server_error",'
        b'"code":"internal_server_error"}}\n\n',
    ]


@pytest.mark.parametrize(
    ("mode", "headers", "expected"),
    [
        ("fast", [("Retry-After", "3")], [("Retry-After", "3"), ("Retry-After-Ms", "1")]),
        ("fast", [("Retry-After-Ms", "3000")], [("Retry-After-Ms", "1")]),
        ("zero", [("Retry-After", "3"), ("X-A", "b")], [("Retry-After", "0"), ("X-A", "b"), ("Retry-After-Ms", "1")]),
        ("recorded", [("Retry-After", "3")], [("Retry-After", "3")]),
        ("fast", [("Content-Type", "application/json")], [("Content-Type", "application/json")]),
    ],
)
def test_retry_after_rewriting(mode: str, headers: list[tuple[str, str]], expected: list[tuple[str, str]]) -> None:
    assert retry_after_headers(headers, RetryAfter(mode)) == expected


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("nope",), {}, "unknown fault 'nope'"),
        ((faults.cut_stream(1),), {"after_events": 2}, "only the selectors"),
        (("rate_limited",), {"interaction": 0}, "cannot be selected by `interaction`"),
        (("delay",), {"first_byte": -1}, r"delay\(first_byte=-1\): must be a number of seconds, 0 or more"),
        (("cut_stream",), {"after_events": 1, "times": -1}, r"cut_stream\(times=-1\): must be a whole number"),
    ],
)
def test_build_fault_errors_say_what_to_fix(args: tuple[object, ...], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        faults.build_fault(*args, **kwargs)  # type: ignore[arg-type]


def test_rate_limited_body_and_headers_match_groq() -> None:
    fault = faults.rate_limited(retry_after=2.5, limit_type="requests")
    headers = dict(fault.headers)
    assert fault.status == 429
    assert headers["Retry-After"] == "2.5"
    assert headers["X-Ratelimit-Remaining-Requests"] == "0"
    assert b'"code":"rate_limit_exceeded"' in fault.body
    assert b"Please try again in 2.5s" in fault.body


@pytest.mark.parametrize(
    ("alteration", "events", "read_timeout", "cut_short", "times_out"),
    [
        (faults.BodyAlteration(end_after=3, ending="cut"), 5, None, True, False),
        (faults.BodyAlteration(end_after=5, ending="cut"), 5, None, False, False),  # nothing was left out
        (faults.BodyAlteration(end_after=2, ending="error"), 5, None, True, False),
        (faults.BodyAlteration(end_after=9, ending="error"), 5, None, False, False),  # the frame after [DONE]
        (faults.BodyAlteration(end_after=9, ending="drop"), 5, None, True, False),  # the connection still breaks
        (faults.BodyAlteration(end_after=0, ending="reset"), 1, None, True, False),
        (faults.BodyAlteration(first_byte=2), 1, 1.0, False, True),
        (faults.BodyAlteration(first_byte=2), 1, None, False, False),  # no read timeout: it only waits
        (faults.BodyAlteration(first_byte=0.5), 1, 1.0, False, False),
        (faults.BodyAlteration(between_events=2), 5, 1.0, False, True),
        (faults.BodyAlteration(between_events=2), 1, 1.0, False, False),  # one chunk: no wait between events
    ],
)
def test_which_deliveries_keep_the_whole_answer_from_the_client(
    alteration: faults.BodyAlteration, events: int, read_timeout: float | None, cut_short: bool, times_out: bool
) -> None:
    assert alteration.cuts_short(events) is cut_short
    assert alteration.times_out(read_timeout, events) is times_out
