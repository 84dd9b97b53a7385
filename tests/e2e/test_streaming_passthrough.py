"""While recording, a streamed chunk reaches the caller before the server sends the next one."""

from __future__ import annotations

import threading
from pathlib import Path

import groq
import httpx

import groq_vcr
from groq_vcr.testing import FakeGroqConfig, FakeReply, serve_fake_groq

PATH = "/openai/v1/chat/completions"


def test_first_event_reaches_caller_before_server_sends_second(tmp_path: Path) -> None:
    gate = threading.Event()
    config = FakeGroqConfig()
    config.enqueue("/chat/completions", FakeReply(gate=gate, gate_after_events=1))
    with serve_fake_groq(config) as server, groq_vcr.use_cassette(tmp_path / "c.yaml", record_mode="all"):
        client = groq.Groq(base_url=server.groq_base_url, api_key=server.api_key, max_retries=0)
        stream = client.chat.completions.create(
            model="llama-3.3-70b-versatile", messages=[{"role": "user", "content": "hello there"}], stream=True
        )
        first = next(iter(stream))
        # The server is blocked on the gate after its first event: the caller already has it.
        assert config.events_sent[PATH] == 1
        assert first.choices[0].delta.role == "assistant"
        gate.set()
        rest = list(stream)
        client.close()
    assert config.events_sent[PATH] > 2
    assert rest[-1].x_groq is not None
    (interaction,) = groq_vcr.load_cassette(tmp_path / "c.yaml").interactions
    assert isinstance(interaction.response.body, str)
    assert interaction.response.body.count("data: ") == config.events_sent[PATH]


def test_early_close_records_only_what_was_received(tmp_path: Path) -> None:
    gate = threading.Event()
    config = FakeGroqConfig()
    # The server holds its second event until the gate opens: closing early must not wait for the rest.
    config.enqueue("/chat/completions", FakeReply(gate=gate, gate_after_events=1))
    body = {"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": "a b c d e"}], "stream": True}
    with (
        serve_fake_groq(config) as server,
        groq_vcr.use_cassette(tmp_path / "c.yaml", record_mode="all"),
        httpx.Client(base_url=server.openai_base_url) as client,
    ):
        headers = {"Authorization": f"Bearer {server.api_key}"}
        try:
            with client.stream("POST", "/chat/completions", headers=headers, json=body) as response:
                first = next(response.iter_bytes())
            sent_when_closed = config.events_sent[PATH]
        finally:
            gate.set()
    (interaction,) = groq_vcr.load_cassette(tmp_path / "c.yaml").interactions
    assert sent_when_closed == 1, "closing did not drain the stream"
    assert interaction.response.body_bytes == first
    assert "[DONE]" not in str(interaction.response.body)
