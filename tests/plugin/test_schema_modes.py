"""A test using ``groq_schema`` passes while recording and on replay alike: the same checks, the same pairing."""

from __future__ import annotations

import pytest

from groq_vcr.testing import FakeGroqServer, make_fake_api_key

INNER = r"""
import os

import groq
import pytest


def client():
    return groq.Groq(base_url=os.environ["FAKE_GROQ_BASE"], api_key=os.environ["FAKE_GROQ_KEY"], max_retries=0)


@pytest.mark.vcr
def test_checked_twice(groq_schema):
    with client() as c:
        completion = c.chat.completions.create(
            model="llama-3.1-8b-instant", messages=[{"role": "user", "content": "hi"}]
        )
    groq_schema.check(completion)
    groq_schema.check(completion, strict=True)


@pytest.mark.vcr
def test_two_calls_each_checked_twice(groq_schema):
    with client() as c:
        first = c.chat.completions.create(model="llama-3.1-8b-instant", messages=[{"role": "user", "content": "a"}])
        chunks = list(
            c.chat.completions.create(
                model="llama-3.1-8b-instant", messages=[{"role": "user", "content": "b"}], stream=True
            )
        )
    for response in (first, chunks, first, chunks):
        groq_schema.check(response, strict=True)

"""


def test_groq_schema_passes_the_same_while_recording_and_on_replay(
    pytester: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    monkeypatch.setenv("FAKE_GROQ_BASE", server.groq_base_url)
    monkeypatch.setenv("FAKE_GROQ_KEY", server.api_key)
    select = ("-p", "no:randomly", "-k", "twice")
    pytester.runpytest(*select, "--record-mode=once").assert_outcomes(passed=2)
    assert len(list((pytester.path / "cassettes" / "test_inner").glob("*.yaml"))) == 2
    sent = server.config.count("/chat/completions")
    monkeypatch.setenv("FAKE_GROQ_KEY", make_fake_api_key())
    pytester.runpytest(*select, "--record-mode=none", "--block-network").assert_outcomes(passed=2)
    assert server.config.count("/chat/completions") == sent, "the replay sent nothing"


MORE_CHECKS_THAN_RECORDED = r"""
import os

import groq
import pytest


@pytest.mark.vcr
def test_two_responses_one_recording(groq_schema):
    with groq.Groq(base_url=os.environ["FAKE_GROQ_BASE"], api_key=os.environ["FAKE_GROQ_KEY"], max_retries=0) as c:
        completion = c.chat.completions.create(
            model="llama-3.1-8b-instant", messages=[{"role": "user", "content": "hi"}]
        )
    groq_schema.check(completion)
    groq_schema.check(completion.model_copy())
"""


def test_a_check_that_fails_on_replay_fails_while_recording_too(
    pytester: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_inner=MORE_CHECKS_THAN_RECORDED)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    monkeypatch.setenv("FAKE_GROQ_BASE", server.groq_base_url)
    monkeypatch.setenv("FAKE_GROQ_KEY", server.api_key)
    recording = pytester.runpytest("-p", "no:randomly", "--record-mode=once")
    recording.assert_outcomes(passed=1, errors=1)
    recording.stdout.fnmatch_lines(
        [
            "*groq-vcr: groq_schema checks made while recording fail against the saved cassette (they would fail on "
            "every replay):",
            "*Every interaction of *test_two_responses_one_recording.yaml was already checked*",
        ]
    )
    monkeypatch.setenv("FAKE_GROQ_KEY", make_fake_api_key())
    replay = pytester.runpytest("-p", "no:randomly", "--record-mode=none", "--block-network")
    replay.assert_outcomes(failed=1)
    replay.stdout.fnmatch_lines(["*Every interaction of *test_two_responses_one_recording.yaml was already checked*"])
