"""docs/tutorial.md, followed step by step: write the test, start ``groq-vcr fake-server``, export what it
prints, record, stop the server, replay with the network blocked and no environment variable; then the proxy
step records through the local server with Groq's real URL."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import yaml
from tests.docs._blocks import DOCS, blocks

GROQ_VCR_BIN = Path(sys.executable).parent
PAGE = DOCS / "tutorial.md"


def _env(**extra: str) -> dict[str, str]:
    drop = ("GROQ_", "OPENAI_", "PYTEST_", "GITHUB_STEP_SUMMARY")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PATH"] = f"{GROQ_VCR_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _commands() -> list[list[str]]:
    return [shlex.split(b.text) for b in blocks(PAGE) if b.language == "bash"]


def _start(argv: list[str], cwd: Path, env: dict[str, str], lines: int) -> tuple[subprocess.Popen[str], list[str]]:
    """Start a server command; return it with the first ``lines`` lines it printed on stdout."""
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    printed = [process.stdout.readline().rstrip("\n") for _ in range(lines)]
    return process, printed


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)  # Ctrl+C
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr


def _free_port(argv: list[str], port: str) -> list[str]:
    return [("0" if word == port else word) for word in argv]


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_tutorial_runs_step_by_step(tmp_path: Path) -> None:
    (test_file,) = [b for b in blocks(PAGE) if b.file_name]
    (shown_output,) = [b for b in blocks(PAGE) if b.language == "text"]
    serve, record, replay, _proxy = _commands()
    assert serve[:2] == ["groq-vcr", "fake-server"]

    # 1. Write the test.
    (tmp_path / "tests").mkdir()
    (tmp_path / test_file.file_name).write_text(test_file.text, encoding="utf-8")  # type: ignore[operator]

    # 2. Start the local server (on a free port instead of 8765, since tests run in parallel).
    server, printed = _start(_free_port(serve, "8765"), tmp_path, _env(), lines=4)
    try:
        base_url = printed[0].removeprefix("Serving on ")
        shown = shown_output.text.replace("http://127.0.0.1:8765", base_url).splitlines()
        assert [line.split("=gsk_")[0] for line in printed] == [line.split("=gsk_")[0] for line in shown]
        exported = dict(line.removeprefix("export ").split("=", 1) for line in printed[1:])
        assert exported["GROQ_BASE_URL"] == base_url

        # 3. Record, with the three variables exported.
        recording = _run(record, tmp_path, _env(**exported))
        assert recording.returncode == 0, recording.stdout + recording.stderr
        assert "1 passed" in recording.stdout
    finally:
        # 4. Stop the server.
        _stop(server)

    cassette = tmp_path / "tests" / "cassettes" / "test_chat" / "test_portuguese_greeting.yaml"
    (interaction,) = yaml.safe_load(cassette.read_text(encoding="utf-8"))["interactions"]
    assert interaction["request"]["url"] == "https://api.groq.com/openai/v1/chat/completions"
    assert interaction["request"]["headers"]["Authorization"] == ["Bearer gsk_REDACTED"]
    before = cassette.read_bytes()

    # 5. Replay with the network blocked, no variable exported, the server gone.
    replaying = _run(replay, tmp_path, _env())
    assert replaying.returncode == 0, replaying.stdout + replaying.stderr
    assert "1 passed" in replaying.stdout
    assert cassette.read_bytes() == before


def test_the_tutorial_proxy_step_records_groqs_url(tmp_path: Path) -> None:
    proxy = _commands()[3]
    assert proxy[:2] == ["groq-vcr", "proxy"]
    server, printed = _start(["groq-vcr", "fake-server", "--port", "0"], tmp_path, _env(), lines=3)
    try:
        base_url = printed[0].removeprefix("Serving on ")
        key = printed[2].split("=", 1)[1]
        argv = [word.replace("http://127.0.0.1:8765", base_url) for word in _free_port(proxy, "8766")]
        recorder, (serving,) = _start(argv, tmp_path, _env(), lines=1)
        try:
            reply = httpx.get(
                serving.removeprefix("Serving on ") + "/openai/v1/models", headers={"Authorization": f"Bearer {key}"}
            )
            assert reply.status_code == 200
        finally:
            _stop(recorder)
    finally:
        _stop(server)
    (interaction,) = yaml.safe_load((tmp_path / "cassettes" / "curl.yaml").read_text(encoding="utf-8"))["interactions"]
    assert interaction["request"]["url"] == "https://api.groq.com/openai/v1/models"
