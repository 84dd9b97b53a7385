"""Fault injection observed through the real SDKs: record once through the local server, then replay each fault.

The inner test file is run by ``pytester`` twice: once recording the happy path into one shared cassette
(``--record-mode=once``, local server up), then with the server stopped and the network blocked
(``--record-mode=none --block-network``), where every test alters the replay with ``@pytest.mark.groq_fault``
or the ``groq_faults`` fixture and checks what the SDK raised, how often it retried and what it streamed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import groq_vcr
from groq_vcr.testing import FakeReply, make_fake_api_key, serve_fake_groq

INNER = r"""
import asyncio, os, time

import groq
import httpx
import openai
import pytest

from groq_vcr import faults

BASE = os.environ["FAKE_GROQ_BASE"]
KEY = os.environ["FAKE_GROQ_KEY"]
MODEL = "llama-3.3-70b-versatile"
HELLO = [{"role": "user", "content": "hello"}]
STREAM = [{"role": "user", "content": "stream a few words please"}]
RETRY = [{"role": "user", "content": "retry me"}]


@pytest.fixture
def default_cassette_name():
    return "shared"


@pytest.fixture
def vcr_config():
    return {"allow_playback_repeats": True}


@pytest.fixture
def sleeps(monkeypatch):
    # Every time.sleep() asked for (the SDK's retry waits, groq-vcr's paced replay), in seconds; none sleeps.
    asked = []
    monkeypatch.setattr(time, "sleep", asked.append)
    return asked


def client(**kw):
    return groq.Groq(base_url=BASE, api_key=KEY, **kw)


def full_stream(c):
    return list(c.chat.completions.create(model=MODEL, messages=STREAM, stream=True))


# ----------------------------------------------------------------------------------------- recording run
@pytest.mark.vcr
def test_record_happy_path():
    with client() as c:
        with pytest.raises(groq.RateLimitError):  # the server's queued 429 (retry-after: 3), not retried
            c.with_options(max_retries=0).chat.completions.create(model=MODEL, messages=RETRY)
        c.chat.completions.create(model=MODEL, messages=RETRY)
        assert c.chat.completions.create(model=MODEL, messages=HELLO).choices[0].message.content
        assert len(full_stream(c)) > 4


# ----------------------------------------------------------------------------------------- replay runs
@pytest.mark.vcr
@pytest.mark.groq_fault("rate_limited", retry_after=3)
def test_rate_limited_every_time(groq_faults, sleeps):
    with client(max_retries=2) as c, pytest.raises(groq.RateLimitError) as caught:
        c.chat.completions.create(model=MODEL, messages=HELLO)
    assert sleeps == [0.001, 0.001]  # retry-after: 3 is not waited for: retry-after-ms: 1 comes first
    assert len(groq_faults.hits) == 3  # the first try and two retries
    assert caught.value.status_code == 429
    assert caught.value.body["error"]["code"] == "rate_limit_exceeded"
    assert caught.value.body["error"]["type"] == "tokens"
    assert "Please try again in 3s" in caught.value.body["error"]["message"]
    assert caught.value.response.headers["retry-after"] == "3"
    assert caught.value.response.headers["x-ratelimit-remaining-tokens"] == "139"


@pytest.mark.vcr
@pytest.mark.groq_fault(faults.rate_limited(retry_after=3), times=2)
def test_rate_limited_twice_then_the_recorded_answer():
    with client(max_retries=2) as c:
        raw = c.chat.completions.with_raw_response.create(model=MODEL, messages=HELLO)
    assert raw.retries_taken == 2
    assert raw.parse().choices[0].message.content


@pytest.mark.vcr
@pytest.mark.groq_fault("server_error", status=503)
def test_server_error_after_retries(groq_faults):
    with client(max_retries=1) as c, pytest.raises(groq.InternalServerError) as caught:
        c.chat.completions.create(model=MODEL, messages=HELLO)
    assert caught.value.status_code == 503
    assert caught.value.body["error"]["code"] == "service_unavailable"
    assert len(groq_faults.hits) == 2


@pytest.mark.vcr
@pytest.mark.groq_fault("server_error", status=502)
def test_cloudflare_502_page():
    with client(max_retries=0) as c, pytest.raises(groq.InternalServerError) as caught:
        c.chat.completions.create(model=MODEL, messages=HELLO)
    assert caught.value.status_code == 502
    assert "cloudflare" in caught.value.response.text


@pytest.mark.vcr
@pytest.mark.groq_fault("invalid_api_key")
def test_invalid_key_is_not_retried(groq_faults):
    with client(max_retries=2) as c, pytest.raises(groq.AuthenticationError) as caught:
        c.chat.completions.create(model=MODEL, messages=HELLO)
    assert caught.value.body["error"]["code"] == "invalid_api_key"
    assert len(groq_faults.hits) == 1


@pytest.mark.vcr
@pytest.mark.groq_fault("capacity_exceeded")
def test_flex_capacity_498_is_an_api_status_error(groq_faults):
    with client(max_retries=2) as c, pytest.raises(groq.APIStatusError) as caught:
        c.chat.completions.create(model=MODEL, messages=HELLO)
    assert type(caught.value) is groq.APIStatusError
    assert caught.value.status_code == 498
    assert caught.value.body["error"]["code"] == "capacity_exceeded"
    assert len(groq_faults.hits) == 1


@pytest.mark.vcr
def test_stream_cut_after_three_events(groq_faults):
    with client() as c:
        whole = full_stream(c)
        groq_faults.add("cut_stream", after_events=3, path="/chat/completions")
        cut = full_stream(c)
    assert len(cut) == 3 < len(whole)
    assert [ch.model_dump() for ch in cut] == [ch.model_dump() for ch in whole[:3]]
    assert cut[-1].choices[0].finish_reason is None  # the SDK ends quietly: no [DONE], no final chunk


@pytest.mark.vcr
@pytest.mark.groq_fault("stream_error", after_events=2, message="Service Unavailable")
def test_error_event_mid_stream_raises_api_error():
    received = []
    with client() as c, pytest.raises(groq.APIError) as caught:
        for chunk in c.chat.completions.create(model=MODEL, messages=STREAM, stream=True):
            received.append(chunk)
    assert len(received) == 2
    assert caught.value.message == "Service Unavailable"
    assert caught.value.body["code"] == "internal_server_error"


@pytest.mark.vcr
@pytest.mark.groq_fault("stream_error", after_events=1)
def test_error_event_async():
    async def run():
        async with groq.AsyncGroq(base_url=BASE, api_key=KEY) as c:
            got = []
            stream = await c.chat.completions.create(model=MODEL, messages=STREAM, stream=True)
            with pytest.raises(groq.APIError):
                async for chunk in stream:
                    got.append(chunk)
            return got
    assert len(asyncio.run(run())) == 1


@pytest.mark.vcr
@pytest.mark.groq_fault("delay", first_byte=0.3, between_events=0.02)
def test_first_byte_delay_and_pacing(sleeps):
    with client() as c:
        stream = c.chat.completions.create(model=MODEL, messages=STREAM, stream=True)
        assert sleeps == [0.3]  # before the head
        chunks = list(stream)
    assert len(chunks) > 2
    assert sleeps == [0.3] + [0.02] * len(chunks)  # then between events ([DONE] is an event the SDK does not yield)


@pytest.mark.vcr
@pytest.mark.groq_fault("delay", first_byte=5)
def test_first_byte_later_than_the_read_timeout_times_out(sleeps):
    with client(max_retries=0, timeout=httpx.Timeout(10, read=0.2)) as c, pytest.raises(groq.APITimeoutError):
        c.chat.completions.create(model=MODEL, messages=HELLO)
    assert sleeps == [0.2]  # the read timeout, not the 5 s delay


@pytest.mark.vcr
@pytest.mark.groq_fault("drop_connection")
def test_dropped_connection_is_a_connection_error_after_retries(groq_faults):
    with client(max_retries=1) as c, pytest.raises(groq.APIConnectionError) as caught:
        c.chat.completions.create(model=MODEL, messages=HELLO)
    assert type(caught.value) is groq.APIConnectionError
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
    assert len(groq_faults.hits) == 2


@pytest.mark.vcr
@pytest.mark.groq_fault("drop_connection", after_events=2, reset=True)
def test_connection_reset_mid_stream():
    received = []
    with client() as c, pytest.raises(httpx.ReadError, match="reset by peer"):
        for chunk in c.chat.completions.create(model=MODEL, messages=STREAM, stream=True):
            received.append(chunk)
    assert len(received) == 2


@pytest.mark.vcr
@pytest.mark.groq_fault("rate_limited", retry_after=1, limit_type="requests")
def test_openai_sdk_sees_the_same_rate_limit():
    with openai.OpenAI(base_url=BASE + "/openai/v1", api_key=KEY, max_retries=1) as c:
        with pytest.raises(openai.RateLimitError) as caught:
            c.chat.completions.create(model=MODEL, messages=HELLO)
    assert caught.value.body["code"] == "rate_limit_exceeded"
    assert caught.value.body["type"] == "requests"


@pytest.mark.vcr
def test_recorded_429_replays_without_the_wait(sleeps):
    with client(max_retries=2) as c:
        raw = c.chat.completions.with_raw_response.create(model=MODEL, messages=RETRY)
    assert raw.retries_taken == 1
    assert sleeps == [0.001]


@pytest.mark.vcr(groq_vcr_retry_after="recorded")
def test_recorded_429_waits_when_asked(sleeps):
    with client(max_retries=2) as c:
        raw = c.chat.completions.with_raw_response.create(model=MODEL, messages=RETRY)
    assert raw.retries_taken == 1
    assert sleeps == [3.0]  # the recorded retry-after: 3
"""

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def _run(pytester: pytest.Pytester, base: str, key: str, *args: str) -> pytest.RunResult:
    env = pytest.MonkeyPatch()
    env.setenv("FAKE_GROQ_BASE", base)
    env.setenv("FAKE_GROQ_KEY", key)
    try:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", *args)
    finally:
        env.undo()


def test_faults_seen_through_the_sdks_against_a_replayed_cassette(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini(INI)
    with serve_fake_groq() as server:
        base = server.groq_base_url
        server.config.enqueue("/chat/completions", FakeReply.rate_limited(retry_after=3))
        result = _run(pytester, base, server.api_key, "--record-mode=once", "-k", "record_happy_path")
        assert result.ret == 0, result.stdout.str()
    cassette = pytester.path / "cassettes" / "test_inner" / "shared.yaml"
    before = cassette.read_bytes()
    recorded = groq_vcr.load_cassette(cassette).interactions
    assert [i.response.code for i in recorded] == [429, 200, 200, 200]
    assert recorded[0].response.header("Retry-After") == "3"

    # The server is stopped and the network blocked: every fault comes from the replay.
    result = _run(
        pytester, base, make_fake_api_key(), "--record-mode=none", "--block-network", "-k", "not record_happy_path"
    )
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=INNER.count("\ndef test_") - 1)
    assert cassette.read_bytes() == before  # faults never touch the cassette


def test_marker_with_an_unknown_fault_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.vcr
        @pytest.mark.groq_fault("rate_limit_typo")
        def test_it():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--record-mode=none")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*unknown fault 'rate_limit_typo'; use one of rate_limited, *"])


def test_cassette_bytes_kept(tmp_path: Path) -> None:
    """Sanity check of the helper used above: reading a cassette does not rewrite it."""
    path = tmp_path / "c.yaml"
    path.write_text("---\nversion: 2\ninteractions: []\n")
    groq_vcr.load_cassette(path)
    assert path.read_text() == "---\nversion: 2\ninteractions: []\n"
