"""Fault arguments are checked where they are given: the error names the fault as written and what it accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from groq_vcr import FaultArgumentError, GroqVcrError, faults


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: faults.rate_limited(retry_afer=3),
            "rate_limited(): unknown argument 'retry_afer' (did you mean 'retry_after'?); it takes retry_after, "
            "limit_type, model and the selectors path, method, interaction, nth, times",
        ),
        (
            lambda: faults.build_fault("rate_limited", retry_afer=3),
            "rate_limited(): unknown argument 'retry_afer' (did you mean 'retry_after'?)",
        ),
        (lambda: faults.delay(first_byte="soon"), "delay(first_byte='soon'): must be a number of seconds, 0 or more"),
        (lambda: faults.delay(between_events=-0.5), "delay(between_events=-0.5): must be a number of seconds"),
        (lambda: faults.delay(first_byte=float("nan")), "delay(first_byte=nan): must be a number of seconds"),
        (lambda: faults.rate_limited(nth="1"), "rate_limited(nth='1'): must be a 0-based position"),
        (lambda: faults.cut_stream(2, nth=[0, -1]), "cut_stream(nth=[0, -1]): must be a 0-based position"),
        (lambda: faults.server_error(times="2"), "server_error(times='2'): must be a whole number (0 or more)"),
        (lambda: faults.server_error(times=True), "server_error(times=True): must be a whole number"),
        (
            lambda: faults.server_error(status=404),
            "server_error(status=404): must be an HTTP status from 500 to 599; for a 4xx use error_response",
        ),
        (
            lambda: faults.error_response(status=200, message="fine"),
            "error_response(status=200): must be an HTTP status from 400 to 599 (an error",
        ),
        (lambda: faults.error_response(404), "error_response(): missing a required argument: 'message'"),
        (lambda: faults.cut_stream(), "cut_stream(): missing a required argument: 'after_events'"),
        (lambda: faults.cut_stream(after_events="3"), "cut_stream(after_events='3'): must be a whole number"),
        (lambda: faults.stream_error(message=3), "stream_error(message=3): must be a string"),
        (lambda: faults.drop_connection(reset="yes"), "drop_connection(reset='yes'): must be one of False, True"),
        (
            lambda: faults.rate_limited(limit_type="minutes"),
            "rate_limited(limit_type='minutes'): must be one of 'tokens', 'requests'",
        ),
        (lambda: faults.rate_limited(path=3), "rate_limited(path=3): must be a string or None"),
        (
            lambda: faults.invalid_api_key(interaction=0),
            "invalid_api_key(interaction=0): this fault replaces the answer before a recorded interaction is chosen",
        ),
        (lambda: faults.build_fault(faults.delay(), retry=1), "Delay(): unknown argument 'retry'; it takes only"),
        (lambda: faults.build_fault(faults.delay(), nth="x"), "Delay(nth='x'): must be a 0-based position"),
        (lambda: faults.Delay(first_byte=-1), "Delay(first_byte=-1): must be a number of seconds"),
        (lambda: faults.build_fault("rate_limit_typo"), "unknown fault 'rate_limit_typo'; use one of rate_limited"),
    ],
)
def test_a_bad_argument_names_the_fault_and_what_it_accepts(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(FaultArgumentError) as caught:
        build()
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, GroqVcrError)
    assert isinstance(caught.value, ValueError)


def test_good_arguments_still_build() -> None:
    assert faults.rate_limited(nth=0).nth == (0,)
    assert faults.rate_limited(nth=[0, 2], times=3).nth == (0, 2)
    assert faults.delay(first_byte=2, times=1).first_byte == 2
    assert faults.error_response(404, "no such model", code="model_not_found").status == 404
    assert faults.server_error(status=503).status == 503
    assert faults.build_fault(faults.cut_stream(2), times=1).times == 1
    assert faults.build_fault("drop_connection", after_events=0, reset=True).after_events == 0
