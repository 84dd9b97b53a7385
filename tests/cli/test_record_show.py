"""``groq-vcr record`` and ``groq-vcr show`` against a local Groq-compatible server (in process, and once as the
console script)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from groq_vcr import load_cassette
from groq_vcr.testing import FakeGroqServer, FakeReply, make_fake_api_key

ROOT = Path(__file__).parent.parent.parent
SEED = ROOT / "tests" / "data" / "seeds" / "000_f3df5dee32a3ef46.redacted.txt"
RESPONSES = ROOT / "tests" / "data" / "responses"
REFERENCE = ROOT / "cassettes" / "groq_chat_stream.yaml"
SEED_AUDIO = "/C:/Users/Goran Vestermajer/Downloads/WhatsApp Ptt 2025-10-15 at 10.26.08 PM.ogg"
CHAT_URL = "https://api.groq.com/openai/v1/chat/completions"
AUDIO_URL = "https://api.groq.com/openai/v1/audio/translations"

Invoke = Callable[..., Result]
Run = Callable[..., subprocess.CompletedProcess[str]]


def seed_with_local_audio(tmp_path: Path) -> tuple[Path, bytes]:
    """The QA seed with its audio upload pointing at a file that exists here."""
    audio = b"OggS\x00\x02" + bytes(range(256)) * 4
    (tmp_path / "note.ogg").write_bytes(audio)
    text = SEED.read_text(encoding="utf-8")
    assert SEED_AUDIO in text
    document = tmp_path / "seed.txt"
    document.write_text(text.replace(SEED_AUDIO, str(tmp_path / "note.ogg")), encoding="utf-8")
    return document, audio


def one_error(result: Result) -> tuple[str, str]:
    """The ``error:`` and ``hint:`` lines of a failed run (exactly those two lines on stderr)."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()[-2:]
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == lines[:1], result.stderr
    assert lines[0].startswith("error: ")
    assert lines[1].startswith("hint: ")
    return lines[0], lines[1]


def test_records_the_seed_curl_calls_against_the_local_server(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    document, audio = seed_with_local_audio(tmp_path)
    result = invoke_cli(
        "record", "--curl-file", document, "--base-url", fake_groq.base_url, "-o", "qa.yaml", api_key=fake_groq.api_key
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"recorded #0 POST {CHAT_URL} -> 200 OK in ")
    assert lines[1].startswith(f"recorded #1 POST {AUDIO_URL} -> 200 OK in ")
    assert lines[2].startswith(f"recorded #2 POST {CHAT_URL} -> 200 OK in ")
    assert lines[-1] == "wrote 3 interaction(s) to qa.yaml (3 in total)"
    assert "recorded calls" in result.stdout, "multi-call recordings end with a summary table"
    table = lines[lines.index("recorded calls") + 1 :]
    assert [cell.strip() for cell in table[0].split("  ") if cell.strip()] == [
        "#",
        "status",
        "duration",
        "attempts",
        "waited",
        "requests left",
        "tokens left",
        "request",
    ]
    assert [row.split()[0] for row in table[2:5]] == ["0", "1", "2"]
    assert table[2].endswith("POST /openai/v1/chat/completions")
    # Progress: one plain line per call on stderr as it goes out (readable in a CI log).
    assert result.stderr.splitlines() == [
        f"recording 1/3: POST {CHAT_URL}",
        f"recording 2/3: POST {AUDIO_URL}",
        f"recording 3/3: POST {CHAT_URL}",
    ]
    assert fake_groq.config.count("/chat/completions") == 2
    assert fake_groq.config.count("/audio/translations") == 1

    text = (tmp_path / "qa.yaml").read_text(encoding="utf-8")
    assert fake_groq.api_key not in text
    cassette = load_cassette(tmp_path / "qa.yaml")
    chat, translation, vision = cassette.interactions
    assert [i.request.url for i in cassette.interactions] == [CHAT_URL, AUDIO_URL, CHAT_URL]
    assert chat.request.headers["Authorization"] == ["Bearer gsk_REDACTED"]
    assert json.loads(chat.request.body)["model"] == "openai/gpt-oss-120b"
    assert json.loads(chat.response.body)["object"] == "chat.completion"
    assert "X-Ratelimit-Remaining-Tokens" in chat.response.headers
    assert chat.response.duration > 0
    assert audio in translation.request.body_bytes
    assert b'name="model"\r\n\r\nwhisper-large-v3' in translation.request.body_bytes
    assert json.loads(translation.response.body)["text"].startswith(" ")
    image = json.loads(vision.request.body)["messages"][0]["content"][1]["image_url"]["url"]
    assert image.startswith("data:image/png;base64,iVBORw0KGgo")
    assert len(image) > 10_000


def test_imports_the_seed_calls_with_their_pasted_responses(invoke_cli: Invoke, tmp_path: Path) -> None:
    result = invoke_cli("record", "--curl-file", SEED, "--response", SEED, "-o", "qa.yaml")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"imported #0 POST {CHAT_URL} -> 200 OK in 0s",
        f"imported #1 POST {AUDIO_URL} -> 200 OK in 0s",
        f"imported #2 POST {CHAT_URL} -> 200 OK in 0s",
        "wrote 3 interaction(s) to qa.yaml (3 in total)",
    ]
    chat, translation, vision = load_cassette(tmp_path / "qa.yaml").interactions
    assert json.loads(chat.response.body) == json.loads((RESPONSES / "chat_gpt_oss_reasoning.json").read_text())
    assert json.loads(translation.response.body) == json.loads((RESPONSES / "audio_translation.json").read_text())
    assert json.loads(vision.response.body)["choices"][0]["message"]["content"] == "chPrCy"
    for interaction in (chat, translation, vision):
        response = interaction.response
        assert (response.code, response.proto, response.duration) == (200, "HTTP/2.0", 0)
        assert response.headers == {"Content-Type": ["application/json"]}
    # The upload's file is not here: the cassette says so in its place (nothing was sent).
    placeholder = "groq-vcr: this file was not available when the response was imported, so its bytes are unknown: "
    assert (placeholder + SEED_AUDIO).encode() in translation.request.body_bytes
    assert b'filename="WhatsApp Ptt 2025-10-15 at 10.26.08 PM.ogg"' in translation.request.body_bytes

    again = invoke_cli("record", "--curl-file", SEED, "--response", SEED, "-o", "qa.yaml")
    assert again.stdout.splitlines()[0].startswith("imported #3 ")
    assert again.stdout.splitlines()[-1] == "wrote 3 interaction(s) to qa.yaml (6 in total)"
    assert len(load_cassette(tmp_path / "qa.yaml").interactions) == 6


def test_response_files_pair_in_order_and_counts_must_match(invoke_cli: Invoke, tmp_path: Path) -> None:
    command = f'curl {CHAT_URL} -H \'Content-Type: application/json\' -d \'{{"model": "m", "messages": []}}\''
    (tmp_path / "one.json").write_text('{"id": "first"}')
    (tmp_path / "two.txt").write_text('HTTP/2 429\nretry-after: 2\n\n{"error": {"message": "slow down"}}\n')
    result = invoke_cli(
        "record",
        "--curl",
        command,
        "--curl",
        command,
        "--response",
        "one.json",
        "--response",
        "two.txt",
        "-o",
        "c.yaml",
    )
    assert result.exit_code == 0, result.stderr
    first, second = load_cassette(tmp_path / "c.yaml").interactions
    assert first.response.body == '{"id":"first"}'
    assert (second.response.code, second.response.status) == (429, "429 Too Many Requests")
    assert second.response.headers["Retry-After"] == ["2"]

    error, hint = one_error(
        invoke_cli("record", "--curl", command, "--response", "one.json", "--response", "two.txt", "-o", "d.yaml")
    )
    assert (
        error == "error: 1 request(s) but 2 pasted response(s) (one.json:1, two.txt:4); give one response per "
        "request, in the same order"
    )
    assert "nothing was sent or written" in hint
    assert not (tmp_path / "d.yaml").exists()


def test_a_429_with_retry_after_is_waited_out_and_retried(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    fake_groq.config.enqueue("/chat/completions", FakeReply.rate_limited(retry_after=0.5))
    command = (
        f'curl {CHAT_URL} -H \'Content-Type: application/json\' -d \'{{"model": "llama-3.1-8b-instant", '
        '"messages": [{"role": "user", "content": "hi"}]}\''
    )
    result = invoke_cli(
        "record", "--curl", command, "--base-url", fake_groq.base_url, "-o", "c.yaml", api_key=fake_groq.api_key
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith("(1 retry, waited 0.5s)")
    assert "waiting 0.5s: 429 Too Many Requests, retry 1/3" in result.stderr
    assert fake_groq.config.count("/chat/completions") == 2
    (interaction,) = load_cassette(tmp_path / "c.yaml").interactions
    assert interaction.response.code == 200, "the final answer is recorded, not the 429"


def test_retries_are_bounded(invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path) -> None:
    fake_groq.config.enqueue("/models", FakeReply.rate_limited(retry_after=0.05), times=3)
    result = invoke_cli(
        "record",
        "--curl",
        "curl https://api.groq.com/openai/v1/models",
        "--max-retries",
        "1",
        "--base-url",
        fake_groq.base_url,
        "-o",
        "c.yaml",
        api_key=fake_groq.api_key,
    )
    error, hint = one_error(result)
    assert "still rate limited (429) after 2 attempts" in error
    assert "--max-retries" in hint
    assert fake_groq.config.count("/models") == 2
    assert not (tmp_path / "c.yaml").exists()


def test_an_exhausted_budget_waits_for_its_reset(invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path) -> None:
    exhausted = FakeReply(
        json_body={"object": "list", "data": []},
        headers={"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s"},
    )
    fake_groq.config.enqueue("/models", exhausted)
    spec = tmp_path / "calls.yaml"
    spec.write_text("- url: https://api.groq.com/openai/v1/models\n- url: https://api.groq.com/openai/v1/models\n")
    result = invoke_cli(
        "record", "--request", spec, "--base-url", fake_groq.base_url, "-o", "c.yaml", api_key=fake_groq.api_key
    )
    assert result.exit_code == 0, result.stderr
    first, second = result.stdout.splitlines()[:2]
    assert not first.endswith(")")
    # The second call waits what is left of the announced reset (never more), printed for people: what is left
    # of "1s" is 0.99...s, shown rounded to a tenth, never to the nanosecond.
    assert re.fullmatch(r".* \(waited (1\.0|0\.[1-9])s\)", second), second
    assert re.search(r"^waiting (1\.0|0\.[1-9])s: rate limit exhausted \(requests 0/", result.stderr, re.M)
    assert not re.search(r"\d\.\d{3,}", result.stdout + result.stderr), "no durations to the micro/nanosecond"


def test_invalid_json_is_reported_and_nothing_is_sent(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    document, _ = seed_with_local_audio(tmp_path)
    document.write_text(document.read_text().replace('"max_tokens": 500', '"max_tokens": 500,'))
    result = invoke_cli(
        "record", "--curl-file", "seed.txt", "--base-url", fake_groq.base_url, "-o", "c.yaml", api_key=fake_groq.api_key
    )
    error, _ = one_error(result)
    assert error.startswith("error: curl command 3 (seed.txt:84) \"curl --location 'https://api.groq.com/openai")
    assert "the JSON body is invalid at seed.txt:110: Expecting property name" in error
    assert fake_groq.config.count() == 0
    assert not (tmp_path / "c.yaml").exists()


def test_missing_upload_is_reported_and_nothing_is_sent(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    result = invoke_cli(
        "record", "--curl-file", SEED, "--base-url", fake_groq.base_url, "-o", "c.yaml", api_key=fake_groq.api_key
    )
    error, _hint = one_error(result)
    assert error.startswith("error: curl command 2 (")
    assert f"the upload file {SEED_AUDIO!r} cannot be read" in error
    assert "--response" in error
    assert fake_groq.config.count() == 0, "the valid first call was not sent either"
    assert not (tmp_path / "c.yaml").exists()


def test_key_comes_from_the_command_when_the_environment_has_none(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    command = f"curl https://api.groq.com/openai/v1/models -H 'Authorization: Bearer {fake_groq.api_key}'"
    result = invoke_cli("record", "--curl", command, "--base-url", fake_groq.base_url, "-o", "c.yaml")
    assert result.exit_code == 0, result.stderr
    assert fake_groq.api_key not in result.stdout + result.stderr
    (interaction,) = load_cassette(tmp_path / "c.yaml").interactions
    assert interaction.response.code == 200
    assert fake_groq.api_key not in (tmp_path / "c.yaml").read_text()

    wrong = make_fake_api_key()
    result = invoke_cli(
        "record",
        "--curl",
        command.replace(fake_groq.api_key, wrong),
        "--base-url",
        fake_groq.base_url,
        "-o",
        "c.yaml",
        api_key=fake_groq.api_key,
    )
    assert result.exit_code == 0, "GROQ_API_KEY wins over the command's key"
    assert load_cassette(tmp_path / "c.yaml").interactions[1].response.code == 200


def test_streamed_spec_is_recorded_and_shown_reassembled(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    spec = tmp_path / "stream.json"
    spec.write_text(
        json.dumps(
            {
                "url": CHAT_URL,
                "json": {
                    "model": "llama-3.1-8b-instant",
                    "stream": True,
                    "messages": [{"role": "user", "content": "Say hi in Portuguese"}],
                },
            }
        )
    )
    result = invoke_cli(
        "record", "--request", spec, "--base-url", fake_groq.base_url, "-o", "s.yaml", api_key=fake_groq.api_key
    )
    assert result.exit_code == 0, result.stderr
    (interaction,) = load_cassette(tmp_path / "s.yaml").interactions
    assert interaction.response.is_event_stream
    assert interaction.response.body_bytes.endswith(b"data: [DONE]\n\n")
    shown = invoke_cli("show", "s.yaml", "--json")
    assert shown.exit_code == 0, shown.stderr
    body = json.loads(shown.stdout)["interactions"][0]["response"]["body"]
    assert body["kind"] == "sse"
    assert body["stream"]["done"] is True
    assert body["stream"]["finish_reason"] == "stop"
    assert body["stream"]["content"]
    assert body["stream"]["usage"]["total_tokens"] > 0


def test_show_the_streaming_reference_cassette(invoke_cli: Invoke) -> None:
    result = invoke_cli("show", REFERENCE)
    assert result.exit_code == 0, result.stderr
    assert (
        result.stdout
        == f"""{REFERENCE}: 1 interaction(s)

#0 POST https://api.groq.com/openai/v1/chat/completions -> 200 OK
> POST https://api.groq.com/openai/v1/chat/completions HTTP/1.1
> Accept: application/json
> Content-Type: application/json
  body: JSON, 236 bytes
    {{
      "messages": [
        {{
          "content": "You are a helpful assistant",
          "role": "system"
        }},
        {{
          "content": "Say hi in Portuguese",
          "role": "user"
        }}
      ],
      "model": "moonshotai/kimi-k2-instruct-0905",
      "max_tokens": 4000,
      "stream_options": {{
        "include_usage": true
      }},
      "stream": true
    }}
< HTTP/2.0 200 OK in 94.900458ms
< Content-Type: text/event-stream
  body: SSE stream, 2005 bytes, 5 chunks, ended by [DONE]; reassembled:
    content: "Oi!"
    finish reason: stop
    usage: queue_time=0.035401907, prompt_tokens=20, prompt_time=0.012006122, completion_tokens=3, \
completion_time=0.006949089, total_tokens=23, total_time=0.018955211
"""
    )


def test_show_json_of_the_reference_cassette(invoke_cli: Invoke) -> None:
    result = invoke_cli("show", REFERENCE, "--json")
    assert result.exit_code == 0, result.stderr
    (interaction,) = json.loads(result.stdout)["interactions"]
    assert interaction["request"]["method"] == "POST"
    assert interaction["request"]["body"]["json"]["stream"] is True
    response = interaction["response"]
    assert (response["status"], response["proto"], response["duration"]) == ("200 OK", "HTTP/2.0", "94.900458ms")
    assert response["duration_ns"] == 94_900_458
    stream = response["body"]["stream"]
    assert stream["content"] == "Oi!"
    assert stream["finish_reason"] == "stop"
    assert stream["usage"]["total_tokens"] == 23
    assert (stream["chunks"], stream["done"], stream["incomplete"]) == (5, True, False)
    assert stream["x_groq_id"] == "req_01k603zbfcf8dsp979qsgatzpy"


def test_show_redacts_what_it_prints(invoke_cli: Invoke, tmp_path: Path) -> None:
    key = make_fake_api_key()
    text = REFERENCE.read_text().replace(
        "            Accept:\n", f"            Authorization:\n                - Bearer {key}\n            Accept:\n"
    )
    (tmp_path / "leaky.yaml").write_text(text)
    for args in (["show", "leaky.yaml"], ["show", "leaky.yaml", "--json"], ["show", "leaky.yaml", "--headers"]):
        result = invoke_cli(*args)
        assert result.exit_code == 0, result.stderr
        assert key not in result.stdout
        assert "gsk_REDACTED" in result.stdout


def test_show_multipart_and_selection(invoke_cli: Invoke, tmp_path: Path) -> None:
    assert invoke_cli("record", "--curl-file", SEED, "--response", SEED, "-o", "qa.yaml").exit_code == 0
    result = invoke_cli("show", "qa.yaml", "-i", "1")
    assert result.exit_code == 0, result.stderr
    assert "#0 " not in result.stdout
    assert "#2 " not in result.stdout
    assert "  body: multipart/form-data," in result.stdout
    assert "    file: file 'WhatsApp Ptt 2025-10-15 at 10.26.08 PM.ogg' (audio/ogg, " in result.stdout
    assert "    model: whisper-large-v3" in result.stdout
    error, _hint = one_error(invoke_cli("show", "qa.yaml", "-i", "7"))
    assert error == "error: qa.yaml has no interaction with id 7 (it has 3)"


def test_show_splits_an_upload_held_as_bytes_into_its_parts(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    document, audio = seed_with_local_audio(tmp_path)  # not UTF-8: the cassette holds the body as !!binary
    result = invoke_cli(
        "record", "--curl-file", document, "--base-url", fake_groq.base_url, "-o", "qa.yaml", api_key=fake_groq.api_key
    )
    assert result.exit_code == 0, result.stderr
    assert isinstance(load_cassette(tmp_path / "qa.yaml").interactions[1].request.body, bytes)
    shown = invoke_cli("show", "qa.yaml", "-i", "1")
    assert shown.exit_code == 0, shown.stderr
    assert "binary," not in shown.stdout
    assert "  body: multipart/form-data," in shown.stdout
    assert f"    file: file 'note.ogg' (audio/ogg, {len(audio)} bytes)" in shown.stdout
    assert "    model: whisper-large-v3" in shown.stdout
    as_json = json.loads(invoke_cli("show", "qa.yaml", "-i", "1", "--json").stdout)
    body = as_json["interactions"][0]["request"]["body"]
    assert body["kind"] == "multipart"
    assert {"name": "file", "size": len(audio), "filename": "note.ogg", "content_type": "audio/ogg"} in body["parts"]


def test_show_of_a_broken_cassette_does_not_say_the_file_was_not_changed(invoke_cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("version: 2\ninteractions: [oops\n")
    error, hint = one_error(invoke_cli("show", "bad.yaml"))
    assert error.startswith("error: ")
    assert hint == "hint: run groq-vcr check on it to see every problem"


@pytest.mark.parametrize("command", ["record", "show"])
def test_help_has_an_example(invoke_cli: Invoke, command: str) -> None:
    result = invoke_cli(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"groq-vcr {command} " in result.stdout


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        (["show", "nope.yaml"], "error: nope.yaml does not exist or is not a file", "hint: check the path"),
        (["record", "-o", "c.yaml"], "error: no request given; pass --curl, --curl-file or --request", "hint: "),
        (
            ["record", "-o", "c.yaml", "--curl", "curl https://x.test --bogus"],
            'error: curl command 1 (--curl:1) "curl https://x.test --bogus": unsupported curl option --bogus',
            "hint: ",
        ),
        (
            ["record", "-o", "c.yaml", "--request", "missing.yaml"],
            "error: cannot read the request spec 'missing.yaml'",
            "hint: ",
        ),
        (
            ["record", "-o", "c.yaml", "--curl", "curl https://x.test", "--base-url", "localhost:1"],
            "error: --base-url 'localhost:1' is not an http(s) URL",
            "hint: ",
        ),
    ],
)
def test_errors_are_one_line_and_a_hint(invoke_cli: Invoke, args: list[str], error: str, hint: str) -> None:
    line, hint_line = one_error(invoke_cli(*args))
    assert line.startswith(error)
    assert hint_line.startswith(hint)


def test_unreadable_existing_cassette_is_not_overwritten(run_cli: Run, tmp_path: Path) -> None:
    # The console script itself: exit code 2, nothing on stdout, the error and its hint alone on stderr.
    (tmp_path / "bad.yaml").write_text("version: 2\ninteractions: [oops\n")
    result = run_cli("record", "--curl-file", SEED, "--response", SEED, "-o", "bad.yaml")
    assert result.returncode == 2
    assert result.stdout == ""
    error, hint = result.stderr.splitlines()
    assert error.startswith("error: bad.yaml:")
    assert hint.startswith("hint: the existing cassette was left unchanged")
    assert (tmp_path / "bad.yaml").read_text() == "version: 2\ninteractions: [oops\n"
