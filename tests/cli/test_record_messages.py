"""What ``groq-vcr record`` tells people: durations rounded for reading, and a warning (exit 1) when the answer it
saved is an error the user did not ask to record. Against the local Groq-compatible server."""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from groq_vcr import load_cassette
from groq_vcr.testing import FakeGroqServer, FakeReply

Invoke = Callable[..., Result]
CHAT_URL = "https://api.groq.com/openai/v1/chat/completions"


def _chat(model: str = "llama-3.1-8b-instant") -> str:
    return (
        f'curl {CHAT_URL} -H \'Content-Type: application/json\' -d \'{{"model": "{model}", '
        '"messages": [{"role": "user", "content": "hi"}]}\''
    )


def _record(invoke_cli: Invoke, server: FakeGroqServer, *args: str, model: str = "llama-3.1-8b-instant") -> Result:
    return invoke_cli(
        "record", "--curl", _chat(model), "--base-url", server.base_url, "-o", "c.yaml", *args, api_key=server.api_key
    )


def test_a_retry_after_date_ten_minutes_away_reads_resets_in_10m(invoke_cli: Invoke, fake_groq: FakeGroqServer) -> None:
    # An HTTP date has whole seconds: the wait computed from it is 599.9...s or 600.0...s, never a round number.
    when = email.utils.formatdate(math.ceil(time.time()) + 600, usegmt=True)
    reply = FakeReply.error(429, "Rate limit reached", "requests", "rate_limit_exceeded", {"retry-after": when})
    fake_groq.config.enqueue("/chat/completions", reply)
    result = _record(invoke_cli, fake_groq, "--max-wait", "60")
    assert result.exit_code == 2
    assert (
        "\nerror: 429 Too Many Requests, retry 1/3: the limit resets in 10m, longer than --max-wait 60s; run again "
        "later or raise --max-wait\n" in result.stderr
    ), result.stderr
    assert "9m59." not in result.stderr


def test_a_5xx_final_answer_is_saved_with_a_warning_and_exit_1(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    result = _record(invoke_cli, fake_groq, model="fail-503")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.splitlines()[-2:] == [
        f"warning: #0 POST {CHAT_URL} ended with 503 Service Unavailable; it was saved to c.yaml as it happened",
        "hint: record it again when the API answers normally (and remove the error answer from c.yaml), or pass "
        "--keep-status 503 if this is the answer you mean to record",
    ]
    assert result.stdout.splitlines()[-1] == "wrote 1 interaction(s) to c.yaml (1 in total)"
    (saved,) = load_cassette(tmp_path / "c.yaml").interactions
    assert saved.response.code == 503


@pytest.mark.parametrize(("model", "keep"), [("fail-503", "503"), ("fail-502", "5xx"), ("fail-401", "4xx")])
def test_an_error_status_the_user_asked_for_is_kept_quietly(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, model: str, keep: str
) -> None:
    result = _record(invoke_cli, fake_groq, "--keep-status", keep, model=model)
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr


def test_a_401_is_an_error_too(invoke_cli: Invoke, fake_groq: FakeGroqServer) -> None:
    result = _record(invoke_cli, fake_groq, "--keep-status", "5xx", model="fail-401")
    assert result.exit_code == 1
    assert "ended with 401 Unauthorized" in result.stderr
    assert "--keep-status 401" in result.stderr


def test_a_success_needs_no_keep_status(invoke_cli: Invoke, fake_groq: FakeGroqServer) -> None:
    result = _record(invoke_cli, fake_groq)
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr


def test_a_bad_keep_status_is_a_usage_error(invoke_cli: Invoke, fake_groq: FakeGroqServer) -> None:
    result = _record(invoke_cli, fake_groq, "--keep-status", "200")
    assert result.exit_code == 2
    assert "'200' is not an error status; write it like 404, 503, 4xx or 5xx" in result.stderr
    assert fake_groq.config.count() == 0


def test_a_401_without_a_key_exits_1_and_says_how_to_provide_the_key(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    result = invoke_cli("record", "--curl", _chat(), "--base-url", fake_groq.base_url, "-o", "c.yaml")
    assert result.exit_code == 1, result.stderr
    assert f"warning: #0 POST {CHAT_URL} ended with 401 Unauthorized" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "hint: 401 means no key was sent: export GROQ_API_KEY=gsk_... (or give the curl command "
        "-H 'Authorization: Bearer $GROQ_API_KEY'), then record again"
    )
    (saved,) = load_cassette(tmp_path / "c.yaml").interactions
    assert saved.response.code == 401


def test_a_401_with_a_refused_key_says_to_export_a_valid_one(invoke_cli: Invoke, fake_groq: FakeGroqServer) -> None:
    result = invoke_cli(
        "record", "--curl", _chat(), "--base-url", fake_groq.base_url, "-o", "c.yaml", api_key="not-a-groq-key"
    )
    assert result.exit_code == 1, result.stderr
    assert result.stderr.splitlines()[-1] == (
        "hint: 401 means the API refused the key that was sent: export a valid GROQ_API_KEY (it replaces the "
        "command's own Authorization header), then record again"
    )


def test_a_kept_401_prints_no_key_hint(invoke_cli: Invoke, fake_groq: FakeGroqServer) -> None:
    result = invoke_cli(
        "record", "--curl", _chat(), "--base-url", fake_groq.base_url, "-o", "c.yaml", "--keep-status", "401"
    )
    assert result.exit_code == 0, result.stderr
    assert "hint" not in result.stderr
