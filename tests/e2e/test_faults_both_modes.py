"""Faults as users write them, through the real SDKs: the same test file passes when it records (local server up)
and when it replays (server stopped, network blocked).

- A body fault that keeps the whole answer from the client (a wait past the read timeout, a dropped connection, a
  cut or broken stream) does not use its interaction up: the SDK's retry gets the recorded answer, so "a
  transient timeout, then success" and "APIConnectionError after the retries" are what the SDK sees.
- While recording, faults apply to the copy the test sees; the cassette gets the clean live answer, and a retry
  after a fault is answered from that recording instead of a second live call.
"""

from __future__ import annotations

import pytest

import groq_vcr
from groq_vcr.testing import make_fake_api_key, serve_fake_groq

INNER = r"""
import asyncio, os, time

import groq
import httpx
import httpx2
import openai
import pytest

from groq_vcr import faults

BASE = os.environ["FAKE_GROQ_BASE"]
KEY = os.environ["FAKE_GROQ_KEY"]
MODEL = "llama-3.3-70b-versatile"
HELLO = [{"role": "user", "content": "hello"}]
STREAM = [{"role": "user", "content": "stream a few words please"}]
SHORT_READ = httpx.Timeout(30, read=0.25)


@pytest.fixture
def sleeps(monkeypatch):
    # Every time.sleep() asked for (the SDK's back-off, groq-vcr's held first byte), in seconds; none sleeps.
    asked = []
    monkeypatch.setattr(time, "sleep", asked.append)
    return asked


def client(**kw):
    return groq.Groq(base_url=BASE, api_key=KEY, **kw)


@pytest.mark.vcr
@pytest.mark.groq_fault("delay", first_byte=2, times=1)
def test_a_transient_timeout_then_success(groq_faults, sleeps):
    with client(timeout=SHORT_READ) as c:
        raw = c.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
    assert raw.retries_taken == 1
    assert raw.parse().choices[0].message.content
    assert len(groq_faults.hits) == 1
    assert sleeps[0] == 0.25  # the client's read timeout ran out before the 2 s first byte


@pytest.mark.vcr
@pytest.mark.groq_fault("delay", first_byte=2)
def test_timeouts_on_every_try_are_an_api_timeout_error(groq_faults, sleeps):
    with client(timeout=SHORT_READ, max_retries=2) as c, pytest.raises(groq.APITimeoutError):
        c.chat.completions.create(model=MODEL, messages=HELLO)
    assert len(groq_faults.hits) == 3  # the first try and both retries timed out: none was a replay miss


@pytest.mark.vcr
@pytest.mark.groq_fault("delay", first_byte=2, times=1)
async def test_a_transient_timeout_then_success_async(groq_faults):
    async with groq.AsyncGroq(base_url=BASE, api_key=KEY, timeout=httpx.Timeout(30, read=0.05)) as c:
        raw = await c.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
    assert raw.retries_taken == 1
    assert len(groq_faults.hits) == 1


@pytest.mark.vcr
@pytest.mark.groq_fault("drop_connection", after_events=0)
def test_a_connection_dropped_before_the_body_is_an_api_connection_error(groq_faults, sleeps):
    with client() as c, pytest.raises(groq.APIConnectionError) as caught:
        c.chat.completions.create(model=MODEL, messages=HELLO)
    assert type(caught.value) is groq.APIConnectionError
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
    assert len(groq_faults.hits) == 3  # default max_retries=2: every try met the fault


@pytest.mark.vcr
@pytest.mark.groq_fault("drop_connection", after_events=0, times=1)
def test_a_dropped_connection_then_success(sleeps):
    with client() as c:
        raw = c.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
    assert raw.retries_taken == 1


@pytest.mark.vcr
@pytest.mark.groq_fault("stream_error", after_events=2, times=1)
def test_the_caller_retries_a_broken_stream():
    with client() as c:
        received = []
        with pytest.raises(groq.APIError):
            for chunk in c.chat.completions.create(model=MODEL, messages=STREAM, stream=True):
                received.append(chunk)
        again = list(c.chat.completions.create(model=MODEL, messages=STREAM, stream=True))
    assert len(received) == 2
    assert len(again) > 2
    assert again[-1].x_groq.usage.total_tokens > 0  # the whole recorded stream, final usage chunk included
    assert [ch.id for ch in received] == [ch.id for ch in again[:2]]


@pytest.mark.vcr
@pytest.mark.groq_fault("cut_stream", after_events=3)
async def test_a_cut_stream_async():
    async with groq.AsyncGroq(base_url=BASE, api_key=KEY) as c:
        stream = await c.chat.completions.create(model=MODEL, messages=STREAM, stream=True)
        chunks = [chunk async for chunk in stream]
    assert len(chunks) == 3
    assert chunks[-1].choices[0].finish_reason is None


@pytest.mark.vcr
@pytest.mark.groq_fault("drop_connection", after_events=2)
def test_groq_sdk_mid_stream_drop_is_httpx_remote_protocol_error():
    with client() as c, pytest.raises(httpx.RemoteProtocolError):
        list(c.chat.completions.create(model=MODEL, messages=STREAM, stream=True))


@pytest.mark.vcr
@pytest.mark.groq_fault("drop_connection", after_events=2)
def test_openai_3_mid_stream_drop_is_a_connection_error_from_httpx2():
    received = []
    with openai.OpenAI(base_url=BASE + "/openai/v1", api_key=KEY) as c:
        with pytest.raises(openai.APIConnectionError) as caught:
            for chunk in c.chat.completions.create(model=MODEL, messages=STREAM, stream=True):
                received.append(chunk)
    assert len(received) == 2
    assert type(caught.value.__cause__) is httpx2.RemoteProtocolError  # openai 3.x wraps it; groq does not


@pytest.mark.vcr
@pytest.mark.groq_fault("drop_connection", times=1)
def test_openai_3_drop_before_the_answer_is_retried(sleeps):
    with openai.OpenAI(base_url=BASE + "/openai/v1", api_key=KEY) as c:
        raw = c.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
    assert raw.retries_taken == 1
"""

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
TESTS = INNER.count("\ndef test_") + INNER.count("\nasync def test_")


def _run(pytester: pytest.Pytester, base: str, key: str, *args: str) -> pytest.RunResult:
    env = pytest.MonkeyPatch()
    env.setenv("FAKE_GROQ_BASE", base)
    env.setenv("FAKE_GROQ_KEY", key)
    try:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-q", *args)
    finally:
        env.undo()


def test_faults_pass_when_recording_and_when_replaying(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini(INI)
    with serve_fake_groq() as server:
        base = server.groq_base_url
        result = _run(pytester, base, server.api_key, "--record-mode=once")
        assert result.ret == 0, result.stdout.str()
        result.assert_outcomes(passed=TESTS)
        sent = server.config.count("/chat/completions")
    # One live request per test: a retry after a body fault is answered by the recording just made, and an
    # answer fault (the drop before the answer) sends nothing.
    assert sent == TESTS
    folder = pytester.path / "cassettes" / "test_inner"
    saved = {path.stem: groq_vcr.load_cassette(path) for path in folder.glob("*.yaml")}
    assert len(saved) == TESTS
    assert all(len(c.interactions) == 1 for c in saved.values()), "one clean interaction per test, no duplicates"
    for name in ("test_the_caller_retries_a_broken_stream", "test_a_cut_stream_async"):
        body = saved[name].interactions[0].response.body_bytes
        assert body.endswith(b"data: [DONE]\n\n"), "the cassette holds the whole live stream, not the faulted copy"
        assert b"event: error" not in body
    before = {path: path.read_bytes() for path in folder.glob("*.yaml")}

    # The server is stopped and the network blocked: the same tests replay.
    result = _run(pytester, base, make_fake_api_key(), "--record-mode=none", "--block-network")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=TESTS)
    assert {path: path.read_bytes() for path in folder.glob("*.yaml")} == before
