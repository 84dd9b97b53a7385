"""The pytest plugin, driven through ``pytester`` the way a user's project uses it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import groq_vcr
from groq_vcr.testing import FakeGroqServer, make_fake_api_key

INNER = r"""
import os
import httpx
import pytest

BASE = os.environ["FAKE_GROQ_BASE"] + "/openai/v1"
KEY = os.environ["FAKE_GROQ_KEY"]


def chat(text):
    with httpx.Client(base_url=BASE, headers={"Authorization": "Bearer " + KEY}) as c:
        r = c.post("/chat/completions", json={"model": "llama-3.3-70b-versatile",
                                             "messages": [{"role": "user", "content": text}]})
        r.raise_for_status()
        return r.json()["choices"][0]["message"]["content"]


@pytest.mark.vcr
def test_one():
    assert chat("one")


@pytest.mark.vcr
def test_two_calls():
    assert chat("two") and chat("three")


@pytest.mark.vcr
def test_fails_after_recording():
    chat("broken")
    assert os.environ.get("MAKE_IT_PASS") == "1"
"""

# Inner runs skip plugins they do not use: each in-process run would re-import them (~2 s).
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:hypothesispytest -p no:anyio\n"


@pytest.fixture
def inner(pytester: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini(INI)
    monkeypatch.setenv("FAKE_GROQ_BASE", server.base_url)
    monkeypatch.setenv("FAKE_GROQ_KEY", server.api_key)
    return pytester


def _cassette(pytester: pytest.Pytester, name: str) -> str:
    return str(pytester.path / "cassettes" / "test_inner" / f"{name}.yaml")


def test_cassettes_are_v2_files_named_after_module_and_test(inner: pytest.Pytester) -> None:
    result = inner.runpytest("--record-mode=once", "-k", "one or two")
    result.assert_outcomes(passed=2)
    text = Path(_cassette(inner, "test_two_calls")).read_text()
    assert text.startswith("---\nversion: 2\ninteractions:\n    - id: 0\n")
    assert [i.id for i in groq_vcr.load_cassette(_cassette(inner, "test_two_calls")).interactions] == [0, 1]
    result.stdout.fnmatch_lines(
        ["*groq-vcr*", "2 cassettes used: 0 interactions replayed, 3 recorded (2 cassettes saved), 0 unused"]
    )


def test_summary_per_cassette_after_replay(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    inner.runpytest("--record-mode=once", "-k", "one or two").assert_outcomes(passed=2)
    monkeypatch.setenv("FAKE_GROQ_KEY", make_fake_api_key())
    result = inner.runpytest(
        "--record-mode=none", "--block-network", "-k", "one or two", "--groq-vcr-summary=cassettes"
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "2 cassettes used: 3 interactions replayed, 0 recorded (0 cassettes saved), 0 unused",
            "*test_one.yaml: 1 replayed, 0 recorded, 0 unused",
            "*test_two_calls.yaml: 2 replayed, 0 recorded, 0 unused",
        ]
    )


def test_failed_test_does_not_save_what_it_recorded(inner: pytest.Pytester) -> None:
    result = inner.runpytest("--record-mode=once", "-k", "fails_after")
    result.assert_outcomes(failed=1)
    assert not os.path.exists(_cassette(inner, "test_fails_after_recording"))
    result = inner.runpytest("--record-mode=once", "-k", "fails_after", "--groq-vcr-keep-failed")
    result.assert_outcomes(failed=1)
    assert len(groq_vcr.load_cassette(_cassette(inner, "test_fails_after_recording")).interactions) == 1


def test_unused_interactions_fail_on_request(inner: pytest.Pytester) -> None:
    inner.runpytest("--record-mode=once", "-k", "two_calls").assert_outcomes(passed=1)
    # Replaying a test that now makes only one of its two recorded calls.
    inner.makepyfile(test_inner=INNER.replace('chat("two") and chat("three")', 'chat("two")'))
    inner.runpytest("--record-mode=none", "-k", "two_calls").assert_outcomes(passed=1)
    result = inner.runpytest("--record-mode=none", "-k", "two_calls", "--groq-vcr-fail-unused")
    result.assert_outcomes(passed=1, errors=1)  # reported at the test's teardown, when its cassette closes
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*test_two_calls.yaml: interactions #1 never played*"])


def test_requests_library_goes_through_vcrpy_stubs_into_v2(
    pytester: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_req=r"""
import os, pytest, requests

@pytest.mark.vcr
def test_requests():
    r = requests.get(os.environ["FAKE_GROQ_BASE"] + "/openai/v1/models",
                     headers={"Authorization": "Bearer " + os.environ["FAKE_GROQ_KEY"]})
    assert r.status_code == 200
    assert any(m["id"] == "llama-3.3-70b-versatile" for m in r.json()["data"])
"""
    )
    monkeypatch.setenv("FAKE_GROQ_BASE", server.base_url)
    monkeypatch.setenv("FAKE_GROQ_KEY", server.api_key)
    pytester.makeini(INI)
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    path = pytester.path / "cassettes" / "test_req" / "test_requests.yaml"
    (interaction,) = groq_vcr.load_cassette(path).interactions
    assert interaction.request.url.endswith("/openai/v1/models")
    monkeypatch.setenv("FAKE_GROQ_KEY", make_fake_api_key())
    pytester.runpytest("--record-mode=none", "--block-network").assert_outcomes(passed=1)


def test_recording_and_replay_under_xdist(inner: pytest.Pytester) -> None:
    result = inner.runpytest_subprocess("--record-mode=once", "-k", "one or two", "-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=2)
    result = inner.runpytest_subprocess("--record-mode=none", "--block-network", "-k", "one or two", "-n", "2")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["2 cassettes used: 3 interactions replayed, 0 recorded (0 cassettes saved), 0 unused"])
