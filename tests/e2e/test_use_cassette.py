"""``groq_vcr.use_cassette`` outside pytest's markers: record, stop the server, replay."""

from __future__ import annotations

import re
from pathlib import Path

import groq
import pytest

import groq_vcr
from groq_vcr.testing import make_fake_api_key, serve_fake_groq


def _ask(base_url: str, key: str, text: str) -> str:
    with groq.Groq(base_url=base_url, api_key=key, max_retries=0) as client:
        reply = client.chat.completions.create(
            model="llama-3.3-70b-versatile", messages=[{"role": "user", "content": text}]
        )
    return str(reply.choices[0].message.content)


def test_use_cassette_records_then_replays_without_server(tmp_path: Path) -> None:
    cassette = tmp_path / "nested" / "chat.yaml"
    with serve_fake_groq() as server:
        base = server.groq_base_url
        with groq_vcr.use_cassette(cassette, record_mode="once") as session:
            live = _ask(base, server.api_key, "hello from a script")
        assert len(session.pending) == 1
    text = cassette.read_text()
    assert text.startswith("---\nversion: 2\n")
    assert not re.search(r"gsk_[A-Za-z0-9]{52}", text)
    assert "Bearer gsk_REDACTED" in text
    with groq_vcr.use_cassette(cassette, record_mode="none") as session:
        assert _ask(base, make_fake_api_key(), "hello from a script") == live
    assert session.player.play_counts == [1]


def test_use_cassette_miss_in_replay_mode_names_the_difference(tmp_path: Path) -> None:
    cassette = tmp_path / "chat.yaml"
    with serve_fake_groq() as server:
        base = server.groq_base_url
        with groq_vcr.use_cassette(cassette, record_mode="once"):
            _ask(base, server.api_key, "first question")
    with groq_vcr.use_cassette(cassette, record_mode="none"), pytest.raises(groq_vcr.NoMatchError) as caught:
        _ask(base, make_fake_api_key(), "second question")
    message = str(caught.value)
    assert "differs at body['messages'][0]['content']: 'second question' != 'first question' (recorded)" in message
    assert message.endswith(
        f"\n  re-record: use_cassette({str(cassette)!r}, record_mode='new_episodes') records what is missing "
        "('all' records every request again)"
    )
    assert "--record-mode" not in message


def test_use_cassette_miss_names_use_cassette_fixes_not_pytest_ones(tmp_path: Path) -> None:
    missing = tmp_path / "never-recorded.yaml"
    with groq_vcr.use_cassette(missing, record_mode="none"), pytest.raises(groq_vcr.NoMatchError) as caught:
        _ask("http://127.0.0.1:9/openai/v1", make_fake_api_key(), "hi")
    assert str(caught.value).endswith(
        f"\n  record it: use_cassette({str(missing)!r}, record_mode='once') records it (the default mode)"
    )
    cassette = tmp_path / "chat.yaml"
    with serve_fake_groq() as server:
        base = server.groq_base_url
        with groq_vcr.use_cassette(cassette):
            _ask(base, server.api_key, "once")
    with groq_vcr.use_cassette(cassette, record_mode="none"):
        _ask(base, make_fake_api_key(), "once")
        with pytest.raises(groq_vcr.NoMatchError) as caught:
            _ask(base, make_fake_api_key(), "once")
    message = str(caught.value)
    assert "was already played: this request was made more times than it was recorded (allow repeats with " in message
    assert "use_cassette(..., allow_repeats=True))" in message
    assert "--record-mode" not in message
    assert "vcr_config" not in message
