"""The whole Groq API recorded through the real SDKs and replayed offline: Responses API, structured outputs,
reasoning, compound models, Groq's error shapes, audio (byte-exact speech), models.

Like ``test_record_replay.py``: an inner test file runs under ``pytester`` once recording against the fake Groq
server, once replaying with the server stopped (``--record-mode=none --block-network``, another key); what the
SDKs returned must be equal.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import groq
import openai
import pytest

import groq_vcr
from groq_vcr.schema import schema_of_interaction
from groq_vcr.servers import create_replay_app, run_in_thread
from groq_vcr.testing import make_fake_api_key, serve_fake_groq

INNER = r"""
import asyncio, hashlib, json, os

import groq
import openai
import pytest

BASE = os.environ["FAKE_GROQ_BASE"]
KEY = os.environ["FAKE_GROQ_KEY"]
OUT = os.environ["RESULTS_FILE"]
MODEL = "llama-3.3-70b-versatile"
TOOLS = [{"type": "function", "name": "get_weather", "description": "weather",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
CITY = {"type": "json_schema", "json_schema": {"name": "city", "strict": True, "schema": {
    "type": "object", "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["name", "population"], "additionalProperties": False}}}


def save(name, value):
    data = json.loads(open(OUT).read()) if os.path.exists(OUT) else {}
    data[name] = value
    with open(OUT, "w") as f:
        json.dump(data, f, sort_keys=True)


def groq_client(**kw):
    return groq.Groq(base_url=BASE, api_key=KEY, **kw)


def openai_client(**kw):
    return openai.OpenAI(base_url=BASE + "/openai/v1", api_key=KEY, **kw)


def ask(text):
    return [{"role": "user", "content": text}]


def event_view(event):
    data = event.model_dump(mode="json", exclude_unset=True)
    return [data["type"], data["sequence_number"], data.get("delta"), data.get("text")]


@pytest.mark.vcr
def test_responses_openai_sync():
    with openai_client() as c:
        r = c.responses.create(model="openai/gpt-oss-120b", input="Explain caching", instructions="be brief")
        events = [event_view(e) for e in c.responses.create(model=MODEL, input="stream a reply", stream=True)]
        tool = c.responses.create(model=MODEL, input="What is the weather in Lisbon?", tools=TOOLS)
        with c.responses.stream(model=MODEL, input="weather in Porto", tools=TOOLS) as stream:
            streamed = [e.type for e in stream]
            final = stream.get_final_response()
    call = tool.output[0]
    save("responses_sync", [r.output_text, [o.type for o in r.output], r.usage.model_dump(), r.status, events,
                            [call.type, call.name, json.loads(call.arguments)], streamed,
                            final.output[0].model_dump(mode="json")])


@pytest.mark.vcr
def test_responses_openai_async():
    async def run():
        async with openai.AsyncOpenAI(base_url=BASE + "/openai/v1", api_key=KEY) as c:
            r = await c.responses.create(model=MODEL, input=[{"role": "user", "content": "async hello"}])
            s = await c.responses.create(model="openai/gpt-oss-20b", input="async stream", stream=True)
            return r.output_text, [event_view(e) async for e in s]
    save("responses_async", list(asyncio.run(run())))


@pytest.mark.vcr
def test_responses_through_groq_sdk():
    with groq_client() as c:
        body = c.post("/openai/v1/responses", body={"model": MODEL, "input": "from the groq sdk"}, cast_to=object)
    save("responses_groq", [body["object"], body["status"], body["output"][0]["content"][0]["text"]])


@pytest.mark.vcr
def test_structured_outputs_and_tools():
    tools = [{"type": "function", "function": t} for t in [{k: v for k, v in TOOLS[0].items() if k != "type"}]]
    with groq_client() as c:
        r = c.chat.completions.create(model=MODEL, messages=ask("Tell me about Lisbon"), response_format=CITY)
        s = c.chat.completions.create(model=MODEL, messages=ask("Porto"), response_format=CITY, stream=True)
        streamed = "".join(ch.choices[0].delta.content or "" for ch in s if ch.choices)
        j = c.chat.completions.create(model=MODEL, messages=ask("answer in JSON"),
                                      response_format={"type": "json_object"})
        forced = c.chat.completions.create(model=MODEL, messages=ask("hi"), tools=tools,
                                           tool_choice={"type": "function", "function": {"name": "get_weather"}})

    async def run():
        async with groq.AsyncGroq(base_url=BASE, api_key=KEY) as ac:
            s2 = await ac.chat.completions.create(model=MODEL, messages=ask("weather in Faro"), tools=tools,
                                                  stream=True)
            chunks = [ch async for ch in s2 if ch.choices]
            return [tc.function.arguments for ch in chunks for tc in ch.choices[0].delta.tool_calls or []]
    save("structured", [json.loads(r.choices[0].message.content), json.loads(streamed),
                        json.loads(j.choices[0].message.content), forced.choices[0].finish_reason,
                        forced.choices[0].message.tool_calls[0].function.arguments, asyncio.run(run())])


@pytest.mark.vcr
def test_reasoning_and_compound():
    with groq_client() as c:
        raw = c.chat.completions.create(model="qwen/qwen3-32b", messages=ask("think"), reasoning_format="raw")
        parsed = c.chat.completions.create(model="qwen/qwen3-32b", messages=ask("think"), reasoning_format="parsed")
        hidden = c.chat.completions.create(model="openai/gpt-oss-20b", messages=ask("x"), reasoning_format="hidden")
        compound = c.chat.completions.create(model="groq/compound", messages=ask("latest Groq news"))
        s = c.chat.completions.create(model="groq/compound-mini", messages=ask("search it"), stream=True)
        tools = [t.model_dump(mode="json", exclude_unset=True) for ch in s if ch.choices
                 for t in ch.choices[0].delta.executed_tools or []]
    ran = compound.choices[0].message.executed_tools
    save("reasoning", [raw.choices[0].message.content, raw.choices[0].message.reasoning,
                       parsed.choices[0].message.reasoning, hidden.choices[0].message.reasoning,
                       [t.model_dump(mode="json", exclude_unset=True) for t in ran], tools])


@pytest.mark.vcr
def test_error_shapes():
    out = []
    with groq_client(max_retries=0) as c:
        for model, kwargs in (("fail-json", {"response_format": {"type": "json_object"}}), ("fail-tool", {})):
            with pytest.raises(groq.BadRequestError) as e:
                c.chat.completions.create(model=model, messages=ask("json please"), **kwargs)
            error = e.value.body["error"]
            out.append([e.value.status_code, error["type"], error["code"], error["failed_generation"],
                        e.value.response.headers["x-ratelimit-limit-requests"]])
    with openai_client(max_retries=0) as c:
        with pytest.raises(openai.NotFoundError) as e:
            c.responses.create(model="no-such-model", input="x")
    out.append([e.value.status_code, e.value.code, e.value.type, e.value.response.headers["x-request-id"][:6]])
    save("errors", out)


@pytest.mark.vcr
def test_audio():
    wav = open(os.environ["AUDIO_FILE"], "rb").read()
    with groq_client() as c:
        verbose = c.audio.transcriptions.create(file=("a.wav", wav), model="whisper-large-v3",
                                                response_format="verbose_json",
                                                timestamp_granularities=["word", "segment"])
        translated = c.audio.translations.create(file=("a.wav", wav), model="whisper-large-v3",
                                                 response_format="verbose_json")
        spoken = c.audio.speech.create(model="playai-tts", voice="Fritz-PlayAI", input="hello there",
                                       response_format="wav").read()
    with openai_client() as o:
        words = o.audio.transcriptions.create(file=("a.wav", wav), model="whisper-large-v3-turbo",
                                              response_format="verbose_json", timestamp_granularities=["word"])
        spoken2 = o.audio.speech.create(model="playai-tts", voice="Fritz-PlayAI", input="from openai",
                                        response_format="wav").content
    save("audio", [verbose.model_dump(mode="json", exclude_unset=True), translated.text,
                   [w.model_dump() for w in words.words], hashlib.sha256(spoken).hexdigest(), len(spoken),
                   hashlib.sha256(spoken2).hexdigest(), spoken[:4].decode()])


@pytest.mark.vcr
def test_models():
    with groq_client() as c:
        listed = sorted(m.id for m in c.models.list().data)
        one = c.models.retrieve("groq/compound").model_dump(mode="json", exclude_unset=True)
    with openai_client() as o:
        other = o.models.retrieve("whisper-large-v3").owned_by
        count = len(o.models.list().data)
    save("models", [listed, one, other, count])


@pytest.mark.vcr
def test_files_and_batches():
    lines = [{"custom_id": f"q{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "llama-3.1-8b-instant", "messages": ask(f"question {i}")}} for i in range(2)]
    lines.append({"custom_id": "bad", "method": "POST", "url": "/v1/chat/completions",
                  "body": {"model": "no-such-model", "messages": ask("x")}})
    jsonl = "\n".join(json.dumps(line) for line in lines).encode()
    with groq_client() as c:
        uploaded = c.files.create(file=("requests.jsonl", jsonl), purpose="batch")
        created = c.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                   completion_window="24h")
        done = c.batches.retrieve(created.id)
        output = c.files.content(done.output_file_id).read().decode()
        errors = c.files.content(done.error_file_id).read().decode()
        info = c.files.info(uploaded.id).model_dump(mode="json")
        listed = [f.purpose for f in c.files.list().data]
        deleted = c.files.delete(uploaded.id).deleted
    with openai_client() as o:
        again = o.files.create(file=("again.jsonl", jsonl), purpose="batch")
        batch = o.batches.create(input_file_id=again.id, endpoint="/v1/chat/completions", completion_window="24h")
        cancelling = o.batches.cancel(batch.id).status
        cancelled = o.batches.retrieve(batch.id).status
        batches = len(o.batches.list().data)
        downloaded = o.files.content(done.output_file_id).content.decode()
    save("batches", [created.status, done.status, done.request_counts.model_dump(), output, errors, info, listed,
                     deleted, cancelling, cancelled, batches, downloaded == output, done.output_file_id])
"""

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:hypothesispytest -p no:anyio\n"


def _run(pytester: pytest.Pytester, results: Path, base: str, key: str, *args: str) -> pytest.RunResult:
    env = pytest.MonkeyPatch()
    env.setenv("FAKE_GROQ_BASE", base)
    env.setenv("FAKE_GROQ_KEY", key)
    env.setenv("RESULTS_FILE", str(results))
    env.setenv("AUDIO_FILE", str(pytester.path / "voice.wav"))
    try:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", *args)
    finally:
        env.undo()


def test_whole_groq_api_records_and_replays_offline(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini(INI)
    from groq_vcr.testing import wav_file

    (pytester.path / "voice.wav").write_bytes(wav_file(bytes(range(256)) * 40, 16000))
    live, replayed = pytester.path / "live.json", pytester.path / "replayed.json"
    with serve_fake_groq() as server:
        base = server.groq_base_url
        result = _run(pytester, live, base, server.api_key, "--record-mode=once")
        assert result.ret == 0, result.stdout.str()
        requests_seen = server.config.count()
    result = _run(pytester, replayed, base, make_fake_api_key(), "--record-mode=none", "--block-network")
    assert result.ret == 0, result.stdout.str()

    live_results, replay_results = json.loads(live.read_text()), json.loads(replayed.read_text())
    assert live_results == replay_results
    assert len(live_results) == 9

    _text, kinds, usage, status, events, tool, streamed, final = live_results["responses_sync"]
    assert kinds == ["reasoning", "message"]
    assert status == "completed"
    assert usage["output_tokens_details"]
    assert events[0][:2] == ["response.created", 0]
    assert events[-1][0] == "response.completed"
    assert [e[1] for e in events] == list(range(len(events)))  # every event, in order
    assert "".join(e[2] for e in events if e[0] == "response.output_text.delta") == events[-4][3]
    assert tool == ["function_call", "get_weather", {"city": "Lisbon"}]
    assert "response.function_call_arguments.delta" in streamed
    assert final["name"] == "get_weather"
    assert any(e[0] == "response.reasoning_text.delta" for e in live_results["responses_async"][1])

    city, streamed_city, json_object, finish, forced_args, async_args = live_results["structured"]
    assert set(city) == {"name", "population"}
    assert set(streamed_city) == {"name", "population"}
    assert finish == "tool_calls"
    assert json.loads(forced_args) == {"city": "hi"}
    assert json.loads(async_args[0]) == {"city": "Faro"}
    assert "reply" in json_object

    raw, raw_reasoning, parsed, hidden, compound, streamed_tools = live_results["reasoning"]
    assert raw.startswith("<think>")
    assert raw_reasoning is None
    assert parsed
    assert hidden is None
    assert compound[0]["type"] == "search"
    assert compound[0]["search_results"]["results"][0]["url"]
    assert json.loads(streamed_tools[0]["arguments"]) == {"query": "search it"}

    json_failed, tool_failed, not_found = live_results["errors"]
    assert json_failed[:3] == [400, "invalid_request_error", "json_validate_failed"]
    assert json_failed[3]
    assert tool_failed[2] == "tool_use_failed"
    assert tool_failed[4].isdigit()
    assert not_found[:2] == [404, "model_not_found"]

    verbose, _translated, words, digest, size, digest2, magic = live_results["audio"]
    assert verbose["words"]
    assert verbose["segments"]
    assert words
    assert magic == "RIFF"
    assert size > 44
    assert digest != digest2

    created, done, counts, output, errors, info, listed, deleted, cancelling, cancelled, batches, same, output_id = (
        live_results["batches"]
    )
    assert [created, done, cancelling, cancelled] == ["validating", "completed", "cancelling", "cancelled"]
    assert counts == {"completed": 2, "failed": 1, "total": 3}
    answers = [json.loads(line) for line in output.splitlines()]
    assert [a["custom_id"] for a in answers] == ["q0", "q1"]
    assert answers[0]["response"]["body"]["object"] == "chat.completion"
    assert json.loads(errors)["custom_id"] == "bad"
    assert info["filename"] == "requests.jsonl"
    assert "batch_output" in listed
    assert deleted is True
    assert batches == 2
    assert same is True

    cassettes = pytester.path / "cassettes" / "test_inner"
    files = sorted(cassettes.glob("*.yaml"))
    assert sum(len(groq_vcr.load_cassette(f).interactions) for f in files) == requests_seen
    responses = groq_vcr.load_cassette(cassettes / "test_responses_openai_sync.yaml")
    stream = responses.interactions[1]
    body = stream.response.body
    assert isinstance(body, str)
    assert body.startswith("event: response.created\ndata: ")
    assert '"sequence_number":' in body
    assert "[DONE]" not in body
    schema = schema_of_interaction(stream)
    assert schema.paths['["response.output_text.delta"].delta'] == frozenset({"str"})
    assert schema.stream is not None
    assert "response.completed" in schema.stream.event_kinds
    speech = groq_vcr.load_cassette(cassettes / "test_audio.yaml").interactions[2]
    assert schema_of_interaction(speech).kind == "binary"
    assert schema_of_interaction(speech).content_type == "audio/wav"

    # `groq-vcr serve` answers the same calls from the cassettes: the Responses stream event by event, the WAV
    # byte for byte, the batch output file as it was downloaded.
    with run_in_thread(create_replay_app(cassettes), "127.0.0.1", 0) as served:
        key = make_fake_api_key()
        with openai.OpenAI(base_url=served.base_url + "/openai/v1", api_key=key, max_retries=0) as o:
            replayed_events = [
                [e.type, e.sequence_number, getattr(e, "delta", None), getattr(e, "text", None)]
                for e in o.responses.create(model="llama-3.3-70b-versatile", input="stream a reply", stream=True)
            ]
        with groq.Groq(base_url=served.base_url, api_key=key, max_retries=0) as g:
            wav = g.audio.speech.create(
                model="playai-tts", voice="Fritz-PlayAI", input="hello there", response_format="wav"
            ).read()
            downloaded = g.files.content(output_id).read().decode()
    assert replayed_events == events
    assert hashlib.sha256(wav).hexdigest() == digest
    assert downloaded == output
