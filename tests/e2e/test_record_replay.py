"""Record through a real local server with the real SDKs, stop it, replay with the network blocked.

Each scenario is an inner test file run by ``pytester`` twice: once recording against the fake Groq server
(``--record-mode=once``), once replaying after the server is stopped (``--record-mode=none --block-network``)
with a different key. Both runs write what the SDK returned to a JSON file; the two must be equal.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import groq_vcr
from groq_vcr.testing import FakeGroqConfig, FakeReply, make_fake_api_key, serve_fake_groq

INNER = r"""
import asyncio, base64, hashlib, json, os, random

import groq
import httpx
import openai
import pytest

BASE = os.environ["FAKE_GROQ_BASE"]
KEY = os.environ["FAKE_GROQ_KEY"]
OUT = os.environ["RESULTS_FILE"]
MODEL = "llama-3.3-70b-versatile"


def save(name, value):
    data = json.loads(open(OUT).read()) if os.path.exists(OUT) else {}
    data[name] = value
    with open(OUT, "w") as f:
        json.dump(data, f, sort_keys=True)


def client(**kw):
    return groq.Groq(base_url=BASE, api_key=KEY, **kw)


def ask(text):
    return [{"role": "user", "content": text}]


@pytest.mark.vcr
def test_groq_sync():
    with client() as c:
        r = c.chat.completions.create(model=MODEL, messages=ask("Say hi in Portuguese"))
    save("groq_sync", [r.choices[0].message.content, r.usage.total_tokens, r.choices[0].finish_reason])


@pytest.mark.vcr
def test_groq_stream():
    with client() as c:
        chunks = list(c.chat.completions.create(model=MODEL, messages=ask("stream please"), stream=True))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    usage = [ch.x_groq.usage.total_tokens for ch in chunks if ch.x_groq and ch.x_groq.usage]
    save("groq_stream", [text, len(chunks), usage])


@pytest.mark.vcr
def test_groq_reasoning_stream():
    with client() as c:
        chunks = list(c.chat.completions.create(model="openai/gpt-oss-120b", messages=ask("think"), stream=True))
    reasoning = "".join(getattr(ch.choices[0].delta, "reasoning", None) or "" for ch in chunks if ch.choices)
    save("reasoning", [bool(reasoning), reasoning[:40]])


@pytest.mark.vcr
def test_groq_async():
    async def run():
        async with groq.AsyncGroq(base_url=BASE, api_key=KEY) as c:
            r = await c.chat.completions.create(model=MODEL, messages=ask("async hello"))
            s = await c.chat.completions.create(model=MODEL, messages=ask("async stream"), stream=True)
            text = "".join([ch.choices[0].delta.content or "" async for ch in s if ch.choices])
            return r.choices[0].message.content, text
    save("groq_async", list(asyncio.run(run())))


@pytest.mark.vcr
def test_tool_call():
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "weather",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    with client() as c:
        r = c.chat.completions.create(model=MODEL, messages=ask("What is the weather in Lisbon? use get_weather"),
                                      tools=tools)
        s = list(c.chat.completions.create(model=MODEL, messages=ask("weather in Porto, use get_weather"),
                                           tools=tools, stream=True))
    call = r.choices[0].message.tool_calls[0]
    streamed = [tc.function.name for ch in s if ch.choices for tc in (ch.choices[0].delta.tool_calls or [])]
    save("tools", [call.function.name, json.loads(call.function.arguments), streamed])


@pytest.mark.vcr
def test_openai_sdk():
    with openai.OpenAI(base_url=BASE + "/openai/v1", api_key=KEY) as c:
        r = c.chat.completions.create(model=MODEL, messages=ask("from openai"))
        s = c.chat.completions.create(model=MODEL, messages=ask("openai stream"), stream=True)
        text = "".join(ch.choices[0].delta.content or "" for ch in s if ch.choices)

    async def run():
        async with openai.AsyncOpenAI(base_url=BASE + "/openai/v1", api_key=KEY) as ac:
            r2 = await ac.chat.completions.create(model=MODEL, messages=ask("openai async"))
            s2 = await ac.chat.completions.create(model=MODEL, messages=ask("openai async stream"), stream=True)
            text2 = "".join([ch.choices[0].delta.content or "" async for ch in s2 if ch.choices])
            return r2.choices[0].message.content, text2
    save("openai", [r.choices[0].message.content, text, *asyncio.run(run())])


@pytest.mark.vcr
def test_raw_httpx():
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"model": MODEL, "messages": ask("raw"), "stream": True}
    with httpx.Client(base_url=BASE + "/openai/v1", headers=headers) as c:
        plain = c.post("/chat/completions", json={"model": MODEL, "messages": ask("raw json")})
        with c.stream("POST", "/chat/completions", json=body) as r:
            events = [chunk for chunk in r.iter_bytes()]
        models = c.get("/models").json()

    async def run():
        async with httpx.AsyncClient(base_url=BASE + "/openai/v1", headers=headers) as ac:
            async with ac.stream("POST", "/chat/completions", json=body) as r:
                return [chunk async for chunk in r.aiter_bytes()]
    async_events = asyncio.run(run())
    save("httpx", [plain.json()["choices"][0]["message"]["content"], plain.headers.get("x-ratelimit-limit-tokens"),
                   b"".join(events).decode(), b"".join(async_events).decode(), sorted(m["id"] for m in models["data"])])


@pytest.mark.vcr
def test_audio_translation():
    audio = bytes(random.Random(7).getrandbits(8) for _ in range(4096))
    with client() as c:
        r = c.audio.translations.create(file=("voice.ogg", audio), model="whisper-large-v3")
    save("audio", r.text)


@pytest.mark.vcr
def test_vision_large_image():
    image = base64.b64encode(random.Random(3).randbytes(3 * 1024 * 1024)).decode()
    content = [{"type": "text", "text": "Extract the text"},
               {"type": "image_url", "image_url": {"url": "data:image/png;base64," + image}}]
    with client() as c:
        r = c.chat.completions.create(model="meta-llama/llama-4-scout-17b-16e-instruct",
                                      messages=[{"role": "user", "content": content}])
    save("vision", r.choices[0].message.content)


@pytest.mark.vcr
def test_speech_binary():
    with client() as c:
        audio = c.audio.speech.create(model="playai-tts", voice="Fritz-PlayAI", input="hello", response_format="wav")
        data = audio.read()
    save("speech", [hashlib.sha256(data).hexdigest(), data[:4].decode("latin-1")])


@pytest.mark.vcr
def test_rate_limit_then_success():
    with client(max_retries=2) as c:
        raw = c.chat.completions.with_raw_response.create(model=MODEL, messages=ask("retry me"))
    save("retry", [raw.parse().choices[0].message.content, raw.retries_taken])


@pytest.mark.vcr
def test_errors_raised():
    with client(max_retries=0) as c:
        with pytest.raises(groq.NotFoundError) as not_found:
            c.chat.completions.create(model="no-such-model", messages=ask("x"))
    save("errors", [not_found.value.status_code, not_found.value.body["error"]["code"]])
"""

# Inner runs skip plugins they do not use: each in-process run would re-import them (~2 s).
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:hypothesispytest -p no:anyio\n"


def _run(pytester: pytest.Pytester, results: Path, base: str, key: str, *args: str) -> pytest.RunResult:
    env = pytest.MonkeyPatch()
    env.setenv("FAKE_GROQ_BASE", base)
    env.setenv("FAKE_GROQ_KEY", key)
    env.setenv("RESULTS_FILE", str(results))
    try:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", *args)
    finally:
        env.undo()


def test_record_then_replay_offline_with_real_sdks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini(INI)
    live, replayed = pytester.path / "live.json", pytester.path / "replayed.json"
    config = FakeGroqConfig()
    with serve_fake_groq(config) as server:
        base = server.groq_base_url
        result = _run(pytester, live, base, server.api_key, "--record-mode=once", "-k", "not rate_limit")
        assert result.ret == 0, result.stdout.str()
        # The next chat call gets Groq's 429 with retry-after; the SDK retries and gets a 200.
        config.enqueue("/chat/completions", FakeReply.rate_limited(retry_after=0.01))
        result = _run(pytester, live, base, server.api_key, "--record-mode=once", "-k", "rate_limit")
        assert result.ret == 0, result.stdout.str()
        requests_seen = config.count()
    assert config.pending() == 0, "the queued 429 was not used by the retry test"

    # The server is stopped; a different key proves keys play no part in matching.
    result = _run(pytester, replayed, base, make_fake_api_key(), "--record-mode=none", "--block-network")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*interactions replayed*"])

    live_results, replay_results = json.loads(live.read_text()), json.loads(replayed.read_text())
    assert live_results == replay_results
    assert live_results["retry"][1] == 1  # one retry after the 429, live and replayed
    assert live_results["errors"] == [404, "model_not_found"]
    assert live_results["groq_stream"][2], "the usage chunk (x_groq.usage) was lost"

    cassette_dir = pytester.path / "cassettes" / "test_inner"
    files = sorted(cassette_dir.glob("*.yaml"))
    assert len(files) == 12
    total = sum(len(groq_vcr.load_cassette(f).interactions) for f in files)
    assert total == requests_seen  # every request the server answered is in a cassette, no more
    retry = groq_vcr.load_cassette(cassette_dir / "test_rate_limit_then_success.yaml")
    assert [i.response.code for i in retry.interactions] == [429, 200]
    for f in files:
        assert not re.search(r"gsk_[A-Za-z0-9]{52}", f.read_text()), f"{f.name} holds a key"


def test_stream_cassette_is_recorded_as_sent(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini(INI)
    with serve_fake_groq() as server:
        result = _run(
            pytester,
            pytester.path / "r.json",
            server.groq_base_url,
            server.api_key,
            "--record-mode=once",
            "-k",
            "test_groq_stream",
        )
        assert result.ret == 0, result.stdout.str()
    cassette = groq_vcr.load_cassette(pytester.path / "cassettes" / "test_inner" / "test_groq_stream.yaml")
    (interaction,) = cassette.interactions
    body = interaction.response.body
    assert isinstance(body, str)
    assert body.endswith("data: [DONE]\n\n")
    assert interaction.response.content_length == -1
    assert interaction.response.transfer_encoding == ["chunked"]
    assert interaction.response.proto == "HTTP/1.1"
    assert interaction.response.duration > 0
    assert '"x_groq"' in body.split("\n\n")[0]


def test_miss_names_request_closest_diff_and_rerecord_command(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini(INI)
    with serve_fake_groq() as server:
        base = server.groq_base_url
        assert (
            _run(pytester, pytester.path / "a.json", base, server.api_key, "--record-mode=once", "-k", "groq_sync").ret
            == 0
        )
    changed = INNER.replace('ask("Say hi in Portuguese")', 'ask("Say hi in Spanish")')
    pytester.makepyfile(test_inner=changed)
    result = _run(
        pytester,
        pytester.path / "b.json",
        base,
        make_fake_api_key(),
        "--record-mode=none",
        "--block-network",
        "-k",
        "groq_sync",
    )
    assert result.ret == 1
    out = result.stdout.str()
    assert "No recorded interaction matches POST " + base + "/openai/v1/chat/completions" in out
    assert "cassettes/test_inner/test_groq_sync.yaml (0 of 1 played" in out
    assert "differs at body['messages'][0]['content']: 'Say hi in Spanish' != 'Say hi in Portuguese' (recorded)" in out
    assert "re-record: pytest --record-mode=rewrite test_inner.py::test_groq_sync" in out
    assert "APIConnectionError" not in out  # the SDK's retry loop does not swallow the explanation
