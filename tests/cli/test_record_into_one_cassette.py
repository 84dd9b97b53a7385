"""``groq-vcr record`` saving into a cassette that others write too, and saves that fail: nothing is lost."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from groq_vcr import Cassette, Interaction, Request, Response, load_cassette, save_cassette
from groq_vcr.cli import cli
from groq_vcr.testing import FakeGroqServer, FakeReply

Run = Callable[..., subprocess.CompletedProcess[str]]

ROOT = Path(__file__).parent.parent.parent
SEED = ROOT / "tests" / "data" / "seeds" / "000_f3df5dee32a3ef46.redacted.txt"
REFERENCE = ROOT / "cassettes" / "groq_chat_stream.yaml"
CHAT_URL = "https://api.groq.com/openai/v1/chat/completions"


def _stream_spec(folder: Path, content: str) -> Path:
    spec = folder / f"{content}.json"
    body = {"model": "llama-3.1-8b-instant", "stream": True, "messages": [{"role": "user", "content": content}]}
    spec.write_text(json.dumps({"url": CHAT_URL, "json": body}), encoding="utf-8")
    return spec


def _record_in_background(
    run_cli: Run, server: FakeGroqServer, spec: Path, output: Path, results: list[subprocess.CompletedProcess[str]]
) -> threading.Thread:
    """Start ``groq-vcr record --request SPEC -o OUTPUT`` against ``server``; its result is appended to ``results``."""

    def run() -> None:
        args = ("record", "--request", spec, "--base-url", server.base_url, "-o", output.name)
        results.append(run_cli(*args, api_key=server.api_key, timeout=180))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _wait_for_requests(server: FakeGroqServer, count: int) -> None:
    deadline = time.monotonic() + 120
    while server.config.count("/chat/completions") < count:
        assert time.monotonic() < deadline, "the record runs never sent their requests"
        time.sleep(0.01)


def _sent_contents(interactions: list[Interaction]) -> list[str]:
    return [json.loads(i.request.body_bytes)["messages"][0]["content"] for i in interactions]


def _index_and_summary(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """The index in ``recorded #N ...`` and the last line (``wrote ... (T in total)``) of one run's output."""
    match = re.match(r"recorded #(\d+) ", result.stdout)
    assert match is not None, result.stdout
    return match.group(1), result.stdout.splitlines()[-1]


def test_two_record_runs_into_one_cassette_keep_every_interaction(
    run_cli: Run, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    output = tmp_path / "shared.yaml"
    seed = Interaction(Request(url=CHAT_URL, method="POST", body="{}"), Response(body="{}", code=200))
    save_cassette(output, Cassette(interactions=[seed]))
    # Both streams wait until both requests have arrived: each run has loaded the one-interaction cassette
    # before the other saves, so a run that saved what it loaded would drop the other's interaction.
    gate = threading.Event()
    fake_groq.config.enqueue("/chat/completions", FakeReply(gate=gate), times=2)
    results: list[subprocess.CompletedProcess[str]] = []
    runs = [
        _record_in_background(run_cli, fake_groq, _stream_spec(tmp_path, content), output, results)
        for content in ("first", "second")
    ]
    try:
        _wait_for_requests(fake_groq, 2)
    finally:
        gate.set()
        for run in runs:
            run.join()
    for result in results:
        assert result.returncode == 0, result.stderr
    cassette = load_cassette(output)
    first, *recorded = cassette.interactions
    assert first.request.body == "{}"
    assert sorted(_sent_contents(recorded)) == ["first", "second"]
    assert [i.id for i in cassette.interactions] == [0, 1, 2]
    # Each run names the place its interaction really got, and the total it really wrote.
    assert sorted(map(_index_and_summary, results)) == [
        ("1", "wrote 1 interaction(s) to shared.yaml (2 in total)"),
        ("2", "wrote 1 interaction(s) to shared.yaml (3 in total)"),
    ]


def test_a_cassette_broken_while_recording_is_left_byte_identical(
    run_cli: Run, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    output = tmp_path / "c.yaml"
    output.write_bytes(REFERENCE.read_bytes())
    gate = threading.Event()
    fake_groq.config.enqueue("/chat/completions", FakeReply(gate=gate))
    broken = b"version: 2\ninteractions: [edited by hand\n"
    results: list[subprocess.CompletedProcess[str]] = []
    run = _record_in_background(run_cli, fake_groq, _stream_spec(tmp_path, "hello"), output, results)
    try:
        _wait_for_requests(fake_groq, 1)  # the run loaded the valid cassette before sending
        output.write_bytes(broken)
    finally:
        gate.set()
        run.join()
    (result,) = results
    assert result.returncode == 2
    assert "refusing to overwrite" in result.stderr
    assert "hint: the existing cassette was left unchanged" in result.stderr
    assert output.read_bytes() == broken


def test_a_write_that_fails_leaves_the_cassette_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "qa.yaml"
    output.write_bytes(REFERENCE.read_bytes())
    monkeypatch.chdir(tmp_path)

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    result = CliRunner().invoke(cli, ["record", "--curl-file", str(SEED), "--response", str(SEED), "-o", "qa.yaml"])
    monkeypatch.undo()
    assert result.exit_code == 2, result.output
    assert "error: cannot write qa.yaml: No space left on device" in result.stderr
    assert "hint: the existing cassette was left unchanged" in result.stderr
    assert output.read_bytes() == REFERENCE.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["qa.yaml"]
