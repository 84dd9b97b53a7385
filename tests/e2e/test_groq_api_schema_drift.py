"""Schema drift in the bodies of the whole Groq API reads plainly: each test takes a response from the local
server, then the same response with one field changed, and checks the report names that field.

One server serves the module; a change is queued for the next matching call only (``FakeReply.response_change``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from groq_vcr.schema import compare, schema_of
from groq_vcr.testing import FakeGroqServer, FakeReply, ResponseChange, serve_fake_groq, wav_file

MODEL = "llama-3.3-70b-versatile"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGroqServer]:
    with serve_fake_groq() as running:
        yield running


@pytest.fixture(scope="module")
def http(server: FakeGroqServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.openai_base_url, headers=headers) as client:
        yield client


def _drift(server: FakeGroqServer, http: httpx.Client, path: str, change: FakeReply, **request: Any) -> str:
    """The drift report between ``path``'s answer and its answer under ``change``."""
    method = "POST" if "json" in request or "files" in request else "GET"
    before = http.request(method, path, **request)
    server.config.enqueue(path, change)
    after = http.request(method, path, **request)
    assert server.config.pending() == 0
    report = compare(schema_of(before), schema_of(after))
    assert not report.ok
    return report.to_text()


def _changed(**change: Any) -> FakeReply:
    return FakeReply(response_change=ResponseChange(**change))


def test_responses_stream_drift_names_the_event_type(server: FakeGroqServer, http: httpx.Client) -> None:
    body = {"model": "openai/gpt-oss-20b", "input": "hi", "stream": True}
    change = _changed(remove=["response.usage.output_tokens_details"], retype={"delta": 3})
    text = _drift(server, http, "/responses", change, json=body)
    assert '["response.completed"].response.usage.output_tokens_details: removed (object)' in text
    assert '["response.output_text.delta"].delta: type changed (str -> int)' in text
    assert '["response.reasoning_text.delta"].delta: type changed (str -> int)' in text
    assert '["response.created"]' not in text  # events that did not change are not reported


def test_responses_json_drift(server: FakeGroqServer, http: httpx.Client) -> None:
    change = _changed(retype={"usage.input_tokens": "12"}, add={"output.*.content.*.refusal": None})
    text = _drift(server, http, "/responses", change, json={"model": MODEL, "input": "hi"})
    assert "usage.input_tokens: type changed (int -> str)" in text
    assert "output[].content[].refusal: added (null)" in text


def test_verbose_json_words_and_segments_drift(server: FakeGroqServer, http: httpx.Client) -> None:
    audio = wav_file(bytes(400), 16000)
    form = {"model": "whisper-large-v3", "response_format": "verbose_json", "timestamp_granularities[]": "word"}
    change = _changed(retype={"words.*.start": "0.0"}, remove=["words.*.end"])
    text = _drift(server, http, "/audio/transcriptions", change, data=form, files={"file": ("a.wav", audio)})
    assert "words[].start: type changed (float -> str)" in text
    assert "words[].end: removed (float)" in text


def test_speech_drift_is_its_content_type(server: FakeGroqServer, http: httpx.Client) -> None:
    body = {"model": "playai-tts", "voice": "Fritz-PlayAI", "input": "hello", "response_format": "wav"}
    before = http.post("/audio/speech", json=body)
    schema = schema_of(before)
    assert (schema.kind, schema.content_type) == ("binary", "audio/wav")
    change = FakeReply(raw_body=b"ID3\x04\x00\xff\xfb\x90" * 8, content_type="audio/mpeg")
    text = _drift(server, http, "/audio/speech", change, json=body)
    assert "content type changed (audio/wav -> audio/mpeg)" in text


def test_error_shape_drift(server: FakeGroqServer, http: httpx.Client) -> None:
    body = {"model": "fail-json", "messages": [{"role": "user", "content": "json"}]}
    plain = FakeReply.error(400, "Failed to generate JSON.", "invalid_request_error", None)
    text = _drift(server, http, "/chat/completions", plain, json=body)
    assert "error.failed_generation: removed (str)" in text
    assert "error.code: now always null (str -> null)" in text


def test_compound_executed_tools_drift(server: FakeGroqServer, http: httpx.Client) -> None:
    body = {"model": "groq/compound", "messages": [{"role": "user", "content": "news"}]}
    change = _changed(remove=["choices.*.message.executed_tools.*.search_results"])
    text = _drift(server, http, "/chat/completions", change, json=body)
    assert "choices[].message.executed_tools[].search_results: removed (object)" in text


def test_files_and_batches_drift(server: FakeGroqServer, http: httpx.Client) -> None:
    line = b'{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"llama-3.1-8b-instant",'
    line += b'"messages":[{"role":"user","content":"hi"}]}}\n'
    upload = {"data": {"purpose": "batch"}, "files": {"file": ("in.jsonl", line)}}
    text = _drift(server, http, "/files", _changed(retype={"bytes": "120"}), **upload)
    assert "bytes: type changed (int -> str)" in text
    file_id = http.post("/files", **upload).json()["id"]  # type: ignore[arg-type]
    batch = {"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    batch_id = http.post("/batches", json=batch).json()["id"]
    text = _drift(server, http, f"/batches/{batch_id}", _changed(remove=["request_counts"]))
    assert "request_counts: removed (object)" in text


def test_a_broken_responses_stream_reads_as_lost_and_new_events(server: FakeGroqServer, http: httpx.Client) -> None:
    body = {"model": MODEL, "input": "hi", "stream": True}
    text = _drift(server, http, "/responses", FakeReply.stream_failure(after_events=2), json=body)
    assert "<stream>: no more 'response.completed' events" in text
    assert "<stream>: new 'error' events" in text
    assert "error: added (object) (+5 nested paths)" in text  # the error event, under its name
