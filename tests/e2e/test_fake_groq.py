"""The local Groq-compatible server, driven by the real ``groq`` and ``openai`` SDKs and by raw httpx."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import re
import threading
import wave
from typing import Any

import anyio
import groq
import httpx
import openai
import pytest

from groq_vcr.testing import (
    FakeGroqConfig,
    FakeGroqServer,
    FakeReply,
    ResponseChange,
    make_fake_api_key,
    serve_fake_groq,
)

CHAT = "/openai/v1/chat/completions"
USER_HI = [{"role": "user", "content": "Say hi in Portuguese"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "f"]}},
            "required": ["location", "unit"],
        },
    },
}
REQ_ID = re.compile(r"req_01[0-9a-z]{24}")


def groq_client(server: FakeGroqServer, max_retries: int = 0, api_key: str | None = None) -> groq.Groq:
    return groq.Groq(api_key=api_key or server.api_key, base_url=server.groq_base_url, max_retries=max_retries)


def raw_post(server: FakeGroqServer, path: str, payload: dict[str, Any], **headers: str) -> httpx.Response:
    with httpx.Client(base_url=server.openai_base_url) as client:
        return client.post(path, json=payload, headers={"authorization": f"Bearer {server.api_key}", **headers})


def error_of(exc: groq.APIStatusError) -> dict[str, Any]:
    """Groq's ``error`` object from a status error (the SDK keeps the whole body)."""
    assert isinstance(exc.body, dict)
    error = exc.body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"message", "type", "code"}
    return error


def sse_payloads(text: str) -> list[Any]:
    """The JSON payloads of ``data:`` events (``[DONE]`` kept as the string)."""
    out: list[Any] = []
    for event in text.split("\n\n"):
        for line in event.splitlines():
            if line.startswith("data: "):
                data = line[len("data: ") :]
                out.append(data if data == "[DONE]" else json.loads(data))
    return out


# ----------------------------------------------------------------------------------------------- groq SDK: chat


def test_groq_chat_has_groq_shape_headers_and_gzip(fake_groq: FakeGroqServer) -> None:
    with groq_client(fake_groq) as client:
        raw = client.chat.completions.with_raw_response.create(model="llama-3.3-70b-versatile", messages=USER_HI)
        completion = raw.parse()

    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content is not None
    assert "Say hi in Portuguese" in completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.id.startswith("chatcmpl-")
    assert completion.system_fingerprint is not None
    assert completion.system_fingerprint.startswith("fp_")
    assert completion.usage is not None
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    assert completion.x_groq is not None
    assert REQ_ID.fullmatch(completion.x_groq.id)
    body = json.loads(raw.http_response.content)
    assert list(body) == [
        "id",
        "object",
        "created",
        "model",
        "choices",
        "usage",
        "usage_breakdown",
        "system_fingerprint",
        "x_groq",
        "service_tier",
    ]
    assert body["service_tier"] == "on_demand"
    headers = raw.headers
    assert headers["content-encoding"] == "gzip"
    assert headers["x-request-id"] == completion.x_groq.id
    assert headers["x-ratelimit-limit-requests"] == "1000"
    assert headers["x-ratelimit-limit-tokens"] == "12000"
    assert headers["x-ratelimit-remaining-requests"] == "999"
    assert int(headers["x-ratelimit-remaining-tokens"]) == 12000 - completion.usage.total_tokens
    assert headers["x-ratelimit-reset-requests"] == "1m26.4s"
    assert re.fullmatch(r"\d+(\.\d+)?(ms|s)", headers["x-ratelimit-reset-tokens"])
    assert re.fullmatch(
        r"__cf_bm=[\w.]{43}-\d{10}-1\.0\.1\.1-[\w.]+; path=/; expires=\w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT; "
        r"domain=\.groq\.com; HttpOnly; Secure; SameSite=None",
        headers["set-cookie"],
    )
    assert fake_groq.config.requests[CHAT] == 1


def test_gpt_oss_reply_carries_reasoning(fake_groq: FakeGroqServer) -> None:
    with groq_client(fake_groq) as client:
        completion = client.chat.completions.create(model="openai/gpt-oss-120b", messages=USER_HI)
        hidden = client.chat.completions.create(
            model="openai/gpt-oss-120b", messages=USER_HI, extra_body={"include_reasoning": False}
        )
    assert completion.choices[0].message.reasoning
    assert hidden.choices[0].message.reasoning is None


def test_groq_stream_matches_groq_chunk_shapes(fake_groq: FakeGroqServer) -> None:
    with groq_client(fake_groq) as client:
        whole = client.chat.completions.create(model="openai/gpt-oss-20b", messages=USER_HI)
        chunks = list(
            client.chat.completions.create(
                model="openai/gpt-oss-20b",
                messages=USER_HI,
                stream=True,
                extra_body={"stream_options": {"include_usage": True}},
            )
        )

    first, *middle, finish, usage_chunk = chunks
    assert first.choices[0].delta.role == "assistant"
    assert first.x_groq is not None
    assert REQ_ID.fullmatch(first.x_groq.id)
    content = "".join(c.choices[0].delta.content or "" for c in middle)
    reasoning = "".join(c.choices[0].delta.reasoning or "" for c in middle)
    assert content == whole.choices[0].message.content
    assert reasoning == whole.choices[0].message.reasoning
    reasoning_last = max(i for i, c in enumerate(middle) if c.choices[0].delta.reasoning)
    content_first = min(i for i, c in enumerate(middle) if c.choices[0].delta.content)
    assert reasoning_last < content_first
    assert finish.choices[0].finish_reason == "stop"
    assert finish.x_groq is not None
    assert finish.x_groq.usage is not None
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None
    assert usage_chunk.usage.total_tokens == finish.x_groq.usage.total_tokens
    assert fake_groq.config.events_sent[CHAT] == len(chunks) + 1  # + [DONE]


def test_stream_without_include_usage_has_no_usage_chunk(fake_groq: FakeGroqServer) -> None:
    payload = {"model": "llama-3.1-8b-instant", "messages": USER_HI, "stream": True}
    response = raw_post(fake_groq, "/chat/completions", payload)
    events = sse_payloads(response.text)
    assert response.headers["content-type"] == "text/event-stream"
    assert "content-encoding" not in response.headers
    assert response.text.endswith("data: [DONE]\n\n")
    finish = events[-2]
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert "usage" in finish["x_groq"]
    assert "usage" not in finish
    assert all(e == "[DONE]" or e["choices"] for e in events)


async def test_async_groq_chat_and_stream(fake_groq: FakeGroqServer) -> None:
    async with groq.AsyncGroq(api_key=fake_groq.api_key, base_url=fake_groq.groq_base_url, max_retries=0) as client:
        whole = await client.chat.completions.create(model="llama-3.1-8b-instant", messages=USER_HI)
        stream = await client.chat.completions.create(model="llama-3.1-8b-instant", messages=USER_HI, stream=True)
        pieces = [chunk.choices[0].delta.content or "" async for chunk in stream]
    assert "".join(pieces) == whole.choices[0].message.content
    assert fake_groq.config.count("/chat/completions") == 2


def test_tool_call_whole_in_one_delta(fake_groq: FakeGroqServer) -> None:
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    with groq_client(fake_groq) as client:
        completion = client.chat.completions.create(
            model="llama-3.3-70b-versatile", messages=messages, tools=[WEATHER_TOOL]
        )
        chunks = list(
            client.chat.completions.create(
                model="llama-3.3-70b-versatile", messages=messages, tools=[WEATHER_TOOL], stream=True
            )
        )
        no_tool = client.chat.completions.create(
            model="llama-3.3-70b-versatile", messages=USER_HI, tools=[WEATHER_TOOL]
        )

    calls = completion.choices[0].message.tool_calls
    assert completion.choices[0].finish_reason == "tool_calls"
    assert calls is not None
    assert len(calls) == 1
    assert calls[0].function.name == "get_weather"
    assert json.loads(calls[0].function.arguments) == {"location": "Paris", "unit": "celsius"}
    assert calls[0].id.startswith("call_")
    with_calls = [c for c in chunks if c.choices and c.choices[0].delta.tool_calls]
    assert len(with_calls) == 1
    streamed = with_calls[0].choices[0].delta.tool_calls
    assert streamed is not None
    assert streamed[0].function is not None
    assert streamed[0].function.arguments == calls[0].function.arguments
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert no_tool.choices[0].message.tool_calls is None


def test_vision_request_gets_ocr_text(fake_groq: FakeGroqServer) -> None:
    content = [
        {"type": "text", "text": "Extract the text from this image. Return only those characters"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAMgAAABQ"}},
    ]
    messages = [{"role": "user", "content": content}]
    with groq_client(fake_groq) as client:
        first = client.chat.completions.create(model="meta-llama/llama-4-scout-17b-16e-instruct", messages=messages)
        again = client.chat.completions.create(model="meta-llama/llama-4-scout-17b-16e-instruct", messages=messages)
    text = first.choices[0].message.content
    assert text is not None
    assert re.fullmatch(r"[A-Za-z]{5,7}", text)
    assert again.choices[0].message.content == text


# ----------------------------------------------------------------------------------------------- faults


def test_rate_limit_error_without_retries(fake_groq: FakeGroqServer) -> None:
    fake_groq.config.enqueue("/chat/completions", FakeReply.rate_limited(retry_after=2))
    with groq_client(fake_groq, max_retries=0) as client, pytest.raises(groq.RateLimitError) as caught:
        client.chat.completions.create(model="llama-3.3-70b-versatile", messages=USER_HI)
    error = caught.value
    assert error.status_code == 429
    assert error.response.headers["retry-after"] == "2"
    assert "x-ratelimit-remaining-tokens" in error.response.headers
    assert error_of(error)["code"] == "rate_limit_exceeded"
    assert error_of(error)["type"] == "tokens"
    assert "Please try again in 2s" in error_of(error)["message"]
    assert fake_groq.config.count("/chat/completions") == 1
    assert fake_groq.config.pending() == 0


def test_rate_limit_then_success_with_retries(fake_groq: FakeGroqServer) -> None:
    fake_groq.config.enqueue("/chat/completions", FakeReply.rate_limited(retry_after=0.01))
    with groq_client(fake_groq, max_retries=2) as client:
        completion = client.chat.completions.create(model="llama-3.3-70b-versatile", messages=USER_HI)
    assert completion.choices[0].message.content
    assert fake_groq.config.count("/chat/completions") == 2


def test_server_error_then_success_with_retries(fake_groq: FakeGroqServer) -> None:
    flaky = dataclasses.replace(FakeReply.server_error(503), headers={"retry-after": "0.01"})
    fake_groq.config.enqueue("/chat/completions", flaky, times=2)
    with groq_client(fake_groq, max_retries=2) as client:
        completion = client.chat.completions.create(model="llama-3.3-70b-versatile", messages=USER_HI)
    assert completion.choices[0].finish_reason == "stop"
    assert fake_groq.config.count("/chat/completions") == 3


def test_event_error_mid_stream_raises_api_error(fake_groq: FakeGroqServer) -> None:
    fake_groq.config.enqueue("/chat/completions", FakeReply.stream_failure("Service Unavailable", after_events=2))
    received: list[str] = []
    with groq_client(fake_groq) as client:
        stream = client.chat.completions.create(model="llama-3.1-8b-instant", messages=USER_HI, stream=True)
        with stream, pytest.raises(groq.APIError, match="Service Unavailable") as caught:
            received.extend(chunk.choices[0].delta.content or "" for chunk in stream)
    assert received == ["", "This"]
    assert caught.value.body == {
        "message": "Service Unavailable",
        "type": "internal_server_error",
        "code": "internal_server_error",
    }


def test_fail_stream_model_ends_with_error_frame_and_no_done(fake_groq: FakeGroqServer) -> None:
    response = raw_post(fake_groq, "/chat/completions", {"model": "fail-stream", "messages": USER_HI, "stream": True})
    assert response.status_code == 200
    assert response.text.endswith('"code":"internal_server_error"}}\n\n')
    assert "\n\nevent: error\ndata: {" in response.text
    assert "[DONE]" not in response.text


@pytest.mark.parametrize(
    ("model", "status", "exception", "code"),
    [
        ("fail-400", 400, groq.BadRequestError, None),
        ("fail-401", 401, groq.AuthenticationError, "invalid_api_key"),
        ("fail-403", 403, groq.PermissionDeniedError, "permission_denied"),
        ("fail-404", 404, groq.NotFoundError, "model_not_found"),
        ("no-such-model", 404, groq.NotFoundError, "model_not_found"),
        ("fail-413", 413, groq.APIStatusError, "request_too_large"),
        ("fail-429", 429, groq.RateLimitError, "rate_limit_exceeded"),
        ("fail-498", 498, groq.APIStatusError, "capacity_exceeded"),
        ("fail-500", 500, groq.InternalServerError, "internal_server_error"),
        ("fail-503", 503, groq.InternalServerError, "service_unavailable"),
    ],
)
def test_fault_models(
    fake_groq: FakeGroqServer, model: str, status: int, exception: type[groq.APIStatusError], code: str | None
) -> None:
    with groq_client(fake_groq) as client, pytest.raises(exception) as caught:
        client.chat.completions.create(model=model, messages=USER_HI)
    assert caught.value.status_code == status
    assert error_of(caught.value)["code"] == code
    assert isinstance(error_of(caught.value)["message"], str)
    assert error_of(caught.value)["message"]


@pytest.mark.parametrize("model", ["fail-413", "fail-498"])
def test_sdk_does_not_retry_413_and_498(fake_groq: FakeGroqServer, model: str) -> None:
    with groq_client(fake_groq, max_retries=2) as client, pytest.raises(groq.APIStatusError):
        client.chat.completions.create(model=model, messages=USER_HI)
    assert fake_groq.config.count("/chat/completions") == 1


def test_502_is_cloudflare_html(fake_groq: FakeGroqServer) -> None:
    with groq_client(fake_groq) as client, pytest.raises(groq.InternalServerError) as caught:
        client.chat.completions.create(model="fail-502", messages=USER_HI)
    assert caught.value.status_code == 502
    assert caught.value.response.headers["content-type"] == "text/html"
    assert "502 Bad Gateway" in caught.value.response.text


def test_oversized_body_gets_413(fake_groq: FakeGroqServer) -> None:
    fake_groq.config.max_request_bytes = 1000
    response = raw_post(fake_groq, "/chat/completions", {"model": "llama-3.1-8b-instant", "messages": USER_HI * 50})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


# ----------------------------------------------------------------------------------------------- auth


@pytest.mark.parametrize(
    "key", ["gsk_short", "sk-" + "a" * 48, make_fake_api_key()[:-1] + "!"], ids=["short", "openai", "bad-char"]
)
def test_malformed_key_gets_401_with_masked_key(fake_groq: FakeGroqServer, key: str) -> None:
    with groq_client(fake_groq, api_key=key) as client, pytest.raises(groq.AuthenticationError) as caught:
        client.models.list()
    assert error_of(caught.value)["code"] == "invalid_api_key"
    assert error_of(caught.value)["type"] == "invalid_request_error"
    assert key not in error_of(caught.value)["message"]
    assert "*" in error_of(caught.value)["message"]


def test_401_can_echo_the_full_key_for_redaction_tests(fake_groq: FakeGroqServer) -> None:
    fake_groq.config.echo_full_key_in_errors = True
    key = fake_groq.api_key + "X"  # one character too long: rejected, and echoed in full
    with groq_client(fake_groq, api_key=key) as client, pytest.raises(groq.AuthenticationError) as caught:
        client.chat.completions.create(model="llama-3.1-8b-instant", messages=USER_HI)
    assert key in error_of(caught.value)["message"]


def test_missing_key_gets_401(fake_groq: FakeGroqServer) -> None:
    with httpx.Client() as client:
        response = client.get(fake_groq.openai_base_url + "/models")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert "x-ratelimit-limit-requests" in response.headers


# ----------------------------------------------------------------------------------------------- audio, models


def test_audio_translation_upload(fake_groq: FakeGroqServer) -> None:
    with groq_client(fake_groq) as client:
        translation = client.audio.translations.create(file=("a.ogg", b"OggS fake audio"), model="whisper-large-v3")
        again = client.audio.translations.create(file=("a.ogg", b"OggS fake audio"), model="whisper-large-v3")
    assert translation.text.startswith(" ")
    assert translation.text == again.text
    extra = translation.model_extra or {}
    assert REQ_ID.fullmatch(extra["x_groq"]["id"])
    received = fake_groq.config.received[-1]
    assert (received.header("content-type") or "").startswith("multipart/form-data; boundary=")
    assert b'filename="a.ogg"' in received.body


def test_audio_transcription_formats(fake_groq: FakeGroqServer) -> None:
    with httpx.Client(base_url=fake_groq.openai_base_url) as client:
        auth = {"authorization": f"Bearer {fake_groq.api_key}"}
        files = {"file": ("a.wav", b"RIFF fake")}
        as_json = client.post("/audio/transcriptions", headers=auth, files=files, data={"model": "whisper-large-v3"})
        as_text = client.post(
            "/audio/transcriptions",
            headers=auth,
            files=files,
            data={"model": "whisper-large-v3", "response_format": "text"},
        )
        verbose = client.post(
            "/audio/transcriptions",
            headers=auth,
            files=files,
            data={"model": "whisper-large-v3-turbo", "response_format": "verbose_json"},
        )
        no_file = client.post("/audio/transcriptions", headers=auth, data={"model": "whisper-large-v3"}, files={})
        wrong_model = client.post("/audio/transcriptions", headers=auth, files=files, data={"model": "playai-tts"})
    assert list(as_json.json()) == ["text", "x_groq"]
    assert as_text.headers["content-type"] == "text/plain; charset=utf-8"
    assert as_text.text == as_json.json()["text"]
    assert verbose.json()["task"] == "transcribe"
    assert verbose.json()["segments"][0]["text"] == verbose.json()["text"]
    assert no_file.status_code == 400
    assert wrong_model.status_code == 400


def test_speech_returns_wav_bytes(fake_groq: FakeGroqServer) -> None:
    with groq_client(fake_groq) as client:
        response = client.audio.speech.create(model="playai-tts", voice="Fritz-PlayAI", input="Hello from Groq")
        audio = response.read()
    assert response.http_response.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio)) as wav:
        assert wav.getnchannels() == 1
        assert wav.getframerate() == 24000
        assert wav.getnframes() > 0


def test_models_list_and_retrieve(fake_groq: FakeGroqServer) -> None:
    with groq_client(fake_groq) as client:
        models = client.models.list()
        gpt = client.models.retrieve("openai/gpt-oss-120b")
        with pytest.raises(groq.NotFoundError):
            client.models.retrieve("nope")
    ids = {m.id for m in models.data}
    assert {"openai/gpt-oss-120b", "whisper-large-v3", "playai-tts"} <= ids
    assert gpt.owned_by == "OpenAI"
    assert gpt.model_extra is not None
    assert gpt.model_extra["context_window"] == 131072


def test_unknown_url_gets_groq_404(fake_groq: FakeGroqServer) -> None:
    response = raw_post(fake_groq, "/embeddings", {"model": "x", "input": "y"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_url"
    assert "POST /openai/v1/embeddings" in response.json()["error"]["message"]


# ----------------------------------------------------------------------------------------------- openai SDK, httpx


def test_openai_sdk_sync_and_stream(fake_groq: FakeGroqServer) -> None:
    with openai.OpenAI(api_key=fake_groq.api_key, base_url=fake_groq.openai_base_url, max_retries=0) as client:
        completion = client.chat.completions.create(model="llama-3.1-8b-instant", messages=USER_HI)  # type: ignore[arg-type]
        stream = client.chat.completions.create(
            model="llama-3.1-8b-instant",
            messages=USER_HI,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
        with stream:
            chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == completion.choices[0].message.content
    assert chunks[-1].usage is not None
    assert fake_groq.config.received[-1].header("authorization") == f"Bearer {fake_groq.api_key}"
    assert fake_groq.config.count("/chat/completions") == 2


def test_httpx_gzip_on_the_wire(fake_groq: FakeGroqServer) -> None:
    payload = {"model": "llama-3.1-8b-instant", "messages": USER_HI}
    auth = {"authorization": f"Bearer {fake_groq.api_key}"}
    with httpx.Client(base_url=fake_groq.openai_base_url, headers=auth) as client:
        with client.stream("POST", "/chat/completions", json=payload, headers={"accept-encoding": "gzip"}) as response:
            wire = b"".join(response.iter_raw())
        plain = client.post("/chat/completions", json=payload, headers={"accept-encoding": "identity"})
    assert response.headers["content-encoding"] == "gzip"
    assert wire[:2] == b"\x1f\x8b"
    assert "content-encoding" not in plain.headers
    # Same request seen a second time: same content, ids moved on.
    decoded = json.loads(gzip.decompress(wire))
    assert decoded["choices"] == plain.json()["choices"]
    assert decoded["id"] != plain.json()["id"]


# ----------------------------------------------------------------------------------------------- determinism


def _record_twice(config: FakeGroqConfig) -> list[bytes]:
    bodies = []
    for _ in range(2):
        with serve_fake_groq(dataclasses.replace(config)) as server:
            stream = raw_post(
                server, "/chat/completions", {"model": "llama-3.1-8b-instant", "messages": USER_HI, "stream": True}
            )
            whole = raw_post(server, "/chat/completions", {"model": "openai/gpt-oss-120b", "messages": USER_HI})
            bodies.append(stream.content + whole.content + whole.headers["set-cookie"].encode())
    return bodies


def test_deterministic_servers_answer_byte_for_byte_alike() -> None:
    first, second = _record_twice(FakeGroqConfig())
    assert first == second


def test_nondeterministic_servers_change_ids() -> None:
    first, second = _record_twice(FakeGroqConfig(deterministic=False))
    assert first != second


def test_cookie_without_domain_is_sent_back(fake_groq: FakeGroqServer) -> None:
    fake_groq.config.cookie_domain = None
    with groq_client(fake_groq) as client:
        client.models.list()
        client.models.list()
    first, second = fake_groq.config.received
    assert first.header("cookie") is None
    assert (second.header("cookie") or "").startswith("__cf_bm=")


# ----------------------------------------------------------------------------------------------- stream timing, drift


def test_client_gets_first_chunk_before_server_sends_the_second(fake_groq: FakeGroqServer) -> None:
    gate = threading.Event()
    fake_groq.config.enqueue("/chat/completions", FakeReply(gate=gate))
    with groq_client(fake_groq) as client:
        stream = client.chat.completions.create(model="llama-3.1-8b-instant", messages=USER_HI, stream=True)
        with stream:
            first = next(stream)
            sent_before_gate = fake_groq.config.events_sent[CHAT]
            gate.set()
            rest = list(stream)
    assert first.choices[0].delta.role == "assistant"
    assert sent_before_gate == 1
    assert len(rest) >= 3


def test_event_delay_spaces_out_events(fake_groq: FakeGroqServer, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_groq.config.enqueue("/chat/completions", FakeReply(event_delay=0.03))
    delays: list[float] = []
    real_sleep = anyio.sleep

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(anyio, "sleep", sleep)
    with groq_client(fake_groq) as client:
        chunks = list(client.chat.completions.create(model="llama-3.1-8b-instant", messages=USER_HI, stream=True))
    assert len(chunks) > 2
    # One wait before every event but the first; [DONE] is an event too, and the SDK yields no chunk for it.
    assert delays == [0.03] * len(chunks)


def test_response_change_applies_to_json_and_stream_chunks(fake_groq: FakeGroqServer) -> None:
    fake_groq.config.response_change = ResponseChange(
        add={"x_groq.region": "dls"}, remove=["system_fingerprint"], retype={"usage.total_tokens": "18"}
    )
    whole = raw_post(fake_groq, "/chat/completions", {"model": "llama-3.1-8b-instant", "messages": USER_HI}).json()
    payload = {
        "model": "llama-3.1-8b-instant",
        "messages": USER_HI,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks = [e for e in sse_payloads(raw_post(fake_groq, "/chat/completions", payload).text) if e != "[DONE]"]
    assert "system_fingerprint" not in whole
    assert whole["x_groq"]["region"] == "dls"
    assert whole["usage"]["total_tokens"] == "18"
    assert all("system_fingerprint" not in c for c in chunks)
    assert chunks[0]["x_groq"]["region"] == "dls"
    assert chunks[-1]["usage"]["total_tokens"] == "18"


def test_response_change_per_reply_and_wildcards(fake_groq: FakeGroqServer) -> None:
    change = ResponseChange(remove=["choices.*.logprobs"], add={"choices.*.message.annotations": []})
    fake_groq.config.enqueue("/chat/completions", FakeReply(response_change=change))
    changed = raw_post(fake_groq, "/chat/completions", {"model": "llama-3.1-8b-instant", "messages": USER_HI}).json()
    normal = raw_post(fake_groq, "/chat/completions", {"model": "llama-3.1-8b-instant", "messages": USER_HI}).json()
    assert "logprobs" not in changed["choices"][0]
    assert changed["choices"][0]["message"]["annotations"] == []
    assert normal["choices"][0]["logprobs"] is None


# ----------------------------------------------------------------------------------------------- serving


def test_stopping_the_server_ends_an_open_stream() -> None:
    config = FakeGroqConfig(event_delay=0.2)
    with serve_fake_groq(config) as server, httpx.Client() as client:
        payload = {"model": "llama-3.1-8b-instant", "messages": USER_HI, "stream": True}
        headers = {"authorization": f"Bearer {server.api_key}"}
        with client.stream("POST", server.openai_base_url + "/chat/completions", json=payload, headers=headers) as r:
            chunks = r.iter_bytes()
            next(chunks)
            server.handle.stop()
            assert not server.handle.running
            with pytest.raises(httpx.RemoteProtocolError):
                list(chunks)
