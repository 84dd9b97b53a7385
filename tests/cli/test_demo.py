"""``groq-vcr demo``: its report, its cassettes (v2, redacted, replayable in another process) and its exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from groq_vcr import Redactor, load_cassette
from groq_vcr.testing import FakeGroqServer, make_fake_api_key

Invoke = Callable[..., Result]
Run = Callable[..., subprocess.CompletedProcess[str]]
NAMES = ["audio_translation", "chat", "chat_stream", "vision"]
PHASES = ["start server", "record", "redaction + format check", "replay (network blocked)", "schema check"]


def phase_rows(stdout: str) -> dict[str, str]:
    """Phase name -> the rest of its table row, as ``time | result | covered``."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == ["phase", "time", "result", "covered"])
    # The rule under the header gives the columns: one run of dashes each.
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[header + 1])]
    rows = {}
    for line in lines[header + 2 :]:
        if not line:
            break
        name, *cells = (line[start:end].strip() for start, end in spans)
        rows[name] = " | ".join(cells)
    return rows


def test_demo_records_redacts_replays_and_checks_schemas(invoke_cli: Invoke, tmp_path: Path) -> None:
    result = invoke_cli("demo", "--out", "out")
    assert result.exit_code == 0, result.output
    out = result.stdout

    rows = phase_rows(out)
    assert list(rows) == PHASES
    assert all(re.match(r"\d+\.\d\ds \| ok \| ", row) for row in rows.values()), rows
    assert "local Groq-compatible server on http://127.0.0.1:" in rows["start server"]
    assert "4 calls through the groq SDK, 4 cassettes" in rows["record"]
    redaction, replay = rows["redaction + format check"], rows["replay (network blocked)"]
    assert "8 secrets replaced by placeholders (4 cloudflare-cookie, 4 groq-api-key)" in redaction
    assert "a live connection was refused (Network is disabled for host '127.0.0.1')" in replay
    assert re.search(r"4 replayed responses, \d+ key paths, no drift", rows["schema check"])
    # Below the table, what it does not say: each call's answer, as a sentence.
    answers = out.split("What the calls answered (replay must give the same):\n", 1)[1].split("\n\n", 1)[0]
    lines = answers.splitlines()
    assert len(lines) == 4, answers
    assert lines[0].startswith("  The chat completion answered: This is a deterministic reply from the local Groq")
    assert lines[0].endswith("You said: In one sentence: why record HTTP calls in tests?")
    assert re.fullmatch(r"  The streamed answer was: .+ \(in \d+ chunks\)", lines[1])
    assert re.fullmatch(r'  The vision model read "[A-Za-z]+" in the image\.', lines[2])
    assert re.fullmatch(r'  The audio translation came back as "[A-Z][A-Za-z ]+\."', lines[3])
    for phrase in ("replaced by placeholders", "network", "schema"):
        assert phrase not in answers.lower(), "the list does not repeat the table"
    assert "cassettes: out\n" in out
    assert re.search(r"OK: the whole loop passed in \d+\.\d\ds", out)

    folder = tmp_path / "out"
    assert sorted(p.stem for p in folder.glob("*.yaml")) == NAMES
    for name in NAMES:
        text = (folder / f"{name}.yaml").read_text(encoding="utf-8")
        assert text.startswith("---\nversion: 2\ninteractions:\n    - id: 0\n")
        assert Redactor().scan_text(text) == [], name
        assert "Bearer gsk_REDACTED" in text
        assert "__cf_bm=REDACTED;" in text
        assert len(load_cassette(folder / f"{name}.yaml").interactions) == 1
    stream = load_cassette(folder / "chat_stream.yaml").interactions[0].response
    assert (stream.content_length, stream.is_event_stream) == (-1, True)
    assert stream.body_bytes.endswith(b"data: [DONE]\n\n")
    audio = load_cassette(folder / "audio_translation.yaml").interactions[0].request
    assert (audio.header("Content-Type") or "").startswith("multipart/form-data; boundary=")


REPLAY = """
import json, sys

import groq
from pytest_recording.network import blocking_context

from groq_vcr import load_cassette, use_cassette

path, key = sys.argv[1:]
recorded = load_cassette(path).interactions[0].request
base_url = recorded.url.split("/openai/v1/")[0]
with (
    blocking_context(allowed_hosts=None),
    use_cassette(path, record_mode="none") as session,
    groq.Groq(base_url=base_url, api_key=key, max_retries=0) as client,
):
    chunks = list(client.chat.completions.create(**json.loads(recorded.body)))
text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
print(json.dumps({"text": text, "chunks": len(chunks), "replayed": session.stats().replayed}))
"""


def test_demo_cassettes_replay_in_another_process_with_the_network_blocked(invoke_cli: Invoke, tmp_path: Path) -> None:
    assert invoke_cli("demo", "--out", "out").exit_code == 0
    # The demo's local server stopped with the demo; a new process replays a cassette from the files alone.
    path = tmp_path / "out" / "chat_stream.yaml"
    child = subprocess.run(
        [sys.executable, "-c", REPLAY, str(path), make_fake_api_key()], capture_output=True, text=True, check=False
    )
    assert child.returncode == 0, child.stderr
    replayed = json.loads(child.stdout)
    assert replayed["text"].startswith("This is a deterministic reply from the local Groq server.")
    assert replayed["chunks"] > 2, "replayed event by event"
    assert replayed["replayed"] == 1


def test_demo_without_out_uses_a_new_temporary_folder_and_says_so(invoke_cli: Invoke) -> None:
    result = invoke_cli("demo")
    assert result.exit_code == 0, result.output
    pattern = r"^cassettes: (.+) \(a new temporary folder; pass --out DIR to choose one\)$"
    match = re.search(pattern, result.stdout, re.M)
    assert match, result.stdout
    folder = Path(match.group(1))
    try:
        assert folder.name.startswith("groq-vcr-demo-")
        assert sorted(p.stem for p in folder.glob("*.yaml")) == NAMES
    finally:
        shutil.rmtree(folder)


def test_a_failed_step_is_named_and_exits_1(invoke_cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "chat.yaml").write_text("version: [not a cassette\n", encoding="utf-8")
    result = invoke_cli("demo", "--out", "out")
    assert result.exit_code == 1
    rows = phase_rows(result.stdout)
    assert list(rows) == ["start server", "record"]
    assert re.match(r"\d+\.\d\ds \| FAILED \| ", rows["record"]), rows
    assert "out/chat.yaml" in rows["record"]
    assert result.stderr.strip() == "FAILED: step 'record' failed; see the report above"
    assert (tmp_path / "out" / "chat.yaml").read_text(encoding="utf-8") == "version: [not a cassette\n"


def test_demo_run_twice_into_the_same_folder_replaces_its_cassettes(invoke_cli: Invoke, tmp_path: Path) -> None:
    assert invoke_cli("demo", "--out", "out").exit_code == 0
    again = invoke_cli("demo", "--out", "out")
    assert again.exit_code == 0, again.stdout
    for name in NAMES:
        assert len(load_cassette(tmp_path / "out" / f"{name}.yaml").interactions) == 1, name


def test_demo_never_replaces_a_cassette_that_is_not_its_own(invoke_cli: Invoke, tmp_path: Path) -> None:
    assert invoke_cli("demo", "--out", "out").exit_code == 0
    chat = tmp_path / "out" / "chat.yaml"
    theirs = chat.read_text(encoding="utf-8").replace("/openai/v1/chat/completions", "/openai/v1/models")
    chat.write_text(theirs, encoding="utf-8")
    result = invoke_cli("demo", "--out", "out")
    assert result.exit_code == 1
    assert "already holds other recordings than the demo's chat completion" in phase_rows(result.stdout)["record"]
    assert chat.read_text(encoding="utf-8") == theirs


@pytest.mark.parametrize(("through_uv", "prefix"), [(True, "uv run groq-vcr"), (False, "groq-vcr")])
def test_next_hint_is_runnable_as_printed(
    invoke_cli: Invoke, monkeypatch: pytest.MonkeyPatch, through_uv: bool, prefix: str
) -> None:
    if through_uv:
        monkeypatch.setenv("UV_RUN_RECURSION_DEPTH", "1")
    else:
        monkeypatch.delenv("UV_RUN_RECURSION_DEPTH", raising=False)
    result = invoke_cli("demo", "--out", "my demo")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[-1] == f"next: {prefix} show 'my demo/chat_stream.yaml'"


def test_live_without_a_key_exits_2_with_a_hint(run_cli: Run, tmp_path: Path) -> None:
    # The console script itself: exit code 2, nothing on stdout, the error and its hint alone on stderr.
    result = run_cli("demo", "--live", "--out", "out")
    assert result.returncode == 2
    assert result.stdout == ""
    error, hint = result.stderr.splitlines()
    assert error == "error: --live records against the real Groq API, and GROQ_API_KEY is not set."
    assert hint.startswith("hint: export GROQ_API_KEY=gsk_...")
    assert not (tmp_path / "out").exists()


def test_live_records_where_the_sdk_is_pointed(
    invoke_cli: Invoke, tmp_path: Path, fake_groq: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --live leaves the base URL to the groq SDK, which honours GROQ_BASE_URL: aimed at the local server here.
    monkeypatch.setenv("GROQ_BASE_URL", fake_groq.groq_base_url)
    result = invoke_cli("demo", "--live", "--out", "out", api_key=fake_groq.api_key)
    assert result.exit_code == 0, result.output
    assert "groq-vcr demo (live Groq API)" in result.stdout
    assert fake_groq.config.count("/chat/completions") == 3
    assert fake_groq.config.count("/audio/translations") == 1
    for name in NAMES:
        text = (tmp_path / "out" / f"{name}.yaml").read_text(encoding="utf-8")
        assert fake_groq.api_key not in text
        assert Redactor().scan_text(text) == []
