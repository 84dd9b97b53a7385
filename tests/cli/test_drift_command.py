"""``groq-vcr drift``: the committed cassettes' requests re-sent to the local Groq-compatible server (standing in
for the live API), as it answers, with a changed schema, or not at all."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from groq_vcr import load_cassette
from groq_vcr.testing import FakeGroqServer, FakeReply, ResponseChange

Invoke = Callable[..., Result]

ROOT = Path(__file__).parent.parent.parent
COMMITTED = ROOT / "cassettes"
CHATS = 4  # the committed chat calls; the fifth cassette is an audio upload imported without its file


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project: a copy of this repository's committed cassettes under ``cassettes/``."""
    shutil.copytree(COMMITTED, tmp_path / "cassettes")
    return tmp_path


def _bytes(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(folder.rglob("*.yaml"))}


def _drift(invoke_cli: Invoke, server: FakeGroqServer | None, *args: str, key: str | None = None) -> Result:
    base = ["--base-url", server.groq_base_url] if server is not None else []
    return invoke_cli("drift", *args, *base, api_key=key or (server.api_key if server else None))


def test_no_drift(invoke_cli: Invoke, fake_groq: FakeGroqServer, project: Path) -> None:
    before = _bytes(project / "cassettes")
    result = _drift(invoke_cli, fake_groq, "cassettes", "--out", "report.md", "--out", "report.json")
    assert result.exit_code == 0, result.stderr
    assert fake_groq.config.count("/chat/completions") == CHATS
    assert result.stdout.splitlines()[-1] == "OK: 0 breaking, 0 additive, 0 info in 4 interaction(s) of 4 cassette(s)"
    report = (project / "report.md").read_text()
    assert report.splitlines() == [
        "## Schema drift: OK: 0 breaking, 0 additive, 0 info in 4 interaction(s) of 4 cassette(s)",
        "",
        f"Re-sent 4 recorded request(s) of 4 cassette(s) to {fake_groq.groq_base_url}.",
        "",
        "**Unchanged:** 4 interaction(s) in 4 cassette(s): `cassettes/groq_chat_stream.yaml`, "
        "`cassettes/seeds/chat_gpt_oss_reasoning.yaml`, `cassettes/seeds/vision_ocr_000.yaml`, "
        "`cassettes/seeds/vision_ocr_001.yaml`.",
        "",
        "### Not re-checked",
        "",
        "- `cassettes/seeds/audio_translation.yaml` #0 POST /openai/v1/audio/translations: imported without its "
        "upload; re-import it with the file to check it",
    ]
    data = json.loads((project / "report.json").read_text())
    assert (data["ok"], data["complete"], data["stopped"]) == (True, True, None)
    assert data["counts"] == {"breaking": 0, "additive": 0, "info": 0, "interactions": 4, "cassettes": 4}
    # The recorder's progress goes to stderr, never into the report; nothing is written beside the cassettes.
    assert "drift 1/5: cassettes/groq_chat_stream.yaml" in result.stderr
    assert "recorded calls" not in result.stdout + report
    assert _bytes(project / "cassettes") == before
    assert sorted(p.name for p in project.iterdir()) == ["cassettes", "report.json", "report.md"]


@pytest.mark.parametrize(("strict", "code"), [((), 0), (("--strict",), 1)])
def test_additive_drift_fails_only_with_strict(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, project: Path, strict: tuple[str, ...], code: int
) -> None:
    fake_groq.config.response_change = ResponseChange(add={"usage.cost": 0.5})
    result = _drift(invoke_cli, fake_groq, "cassettes", "--format", "markdown", *strict)
    assert result.exit_code == code, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("## Schema drift: ")
    changes = [line for line in lines if line.startswith("- `usage.cost`")]
    assert changes == [
        "- `usage.cost`: added (float) — 4 interactions: POST /openai/v1/chat/completions in "
        "`cassettes/groq_chat_stream.yaml` #0, `cassettes/seeds/chat_gpt_oss_reasoning.yaml` #0, "
        "`cassettes/seeds/vision_ocr_000.yaml` #0, `cassettes/seeds/vision_ocr_001.yaml` #0"
    ]
    assert "### Additive" in lines


def test_breaking_drift_exits_1_with_each_change_once(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, project: Path
) -> None:
    fake_groq.config.response_change = ResponseChange(remove=("usage.total_tokens",))
    result = _drift(invoke_cli, fake_groq, "cassettes", "--format", "json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is False
    (removed,) = [change for change in data["changes"] if change["path"] == "usage.total_tokens"]
    assert removed["severity"] == "breaking"
    assert len(removed["where"]) == CHATS
    assert removed["where"][0] == "cassettes/groq_chat_stream.yaml #0 POST /openai/v1/chat/completions"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_api_is_reported_as_such(invoke_cli: Invoke, project: Path, make_key: str) -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    result = invoke_cli("drift", "cassettes", "--base-url", base, "--out", "report.md", api_key=make_key)
    assert result.exit_code == 2
    report = (project / "report.md").read_text()
    assert report.splitlines()[0] == f"## Schema drift: NOT CHECKED: {base} could not be reached: [Errno 111] " + (
        "Connection refused"
    )
    assert "- 5 cassette(s) not reached: the run stopped early: `cassettes/groq_chat_stream.yaml`, " in report
    assert "missing from NEW" not in report + result.stdout
    assert result.stderr.count("drift 1/5") == 1
    assert "drift 2/5" not in result.stderr, "no call after the first refused connection"


def test_a_rejected_key_is_reported_as_such(invoke_cli: Invoke, fake_groq: FakeGroqServer, project: Path) -> None:
    result = _drift(invoke_cli, fake_groq, "cassettes", "--format", "markdown", key="not-a-groq-key")
    assert result.exit_code == 2
    headline = result.stdout.splitlines()[0]
    assert headline.startswith(
        f"## Schema drift: NOT CHECKED: {fake_groq.groq_base_url} rejected the key: 401 Unauthorized "
        "(invalid_api_key: Invalid API Key provided: "
    ), headline
    assert headline.endswith("); check GROQ_API_KEY")
    assert fake_groq.config.count() == 1


def test_a_rate_limit_longer_than_max_wait_stops_the_run(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, project: Path
) -> None:
    fake_groq.config.enqueue("/chat/completions", FakeReply.rate_limited(retry_after=600))
    result = _drift(invoke_cli, fake_groq, "cassettes", "--max-wait", "1")
    assert result.exit_code == 2
    assert "rate limited: 429 Too Many Requests, retry 1/3: the limit resets in 10m, longer than --max-wait 1s" in (
        result.stdout
    )


def test_without_a_key_nothing_is_sent(invoke_cli: Invoke, project: Path) -> None:
    result = invoke_cli("drift", "cassettes")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: GROQ_API_KEY is not set; the drift run re-sends the recorded requests to the live API",
        "hint: export GROQ_API_KEY=gsk_... (in CI: a repository secret), or point --base-url at another server",
    ]


def test_save_to_keeps_the_rerecordings_and_update_replaces_the_cassettes(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, project: Path
) -> None:
    fake_groq.config.response_change = ResponseChange(add={"usage.cost": 0.5})
    before = _bytes(project / "cassettes")
    saved = _drift(invoke_cli, fake_groq, "cassettes", "--save-to", "new")
    assert saved.exit_code == 0, saved.stderr
    assert _bytes(project / "cassettes") == before, "--save-to never touches the committed cassettes"
    new = project / "new" / "cassettes" / "seeds" / "chat_gpt_oss_reasoning.yaml"
    assert b'"cost":0.5' in new.read_bytes()
    assert fake_groq.api_key not in "".join(p.read_text() for p in (project / "new").rglob("*.yaml"))
    # The audio interaction that cannot be re-sent is kept in the re-recording as it was.
    audio = project / "new" / "cassettes" / "seeds" / "audio_translation.yaml"
    committed = project / "cassettes" / "seeds" / "audio_translation.yaml"
    assert load_cassette(audio).interactions == load_cassette(committed).interactions

    updated = _drift(invoke_cli, fake_groq, "cassettes", "--update")
    assert updated.exit_code == 0, updated.stderr
    assert f"updated {Path('cassettes/seeds/chat_gpt_oss_reasoning.yaml')}" in updated.stderr
    assert b'"cost":0.5' in (project / "cassettes" / "seeds" / "chat_gpt_oss_reasoning.yaml").read_bytes()
    again = _drift(invoke_cli, fake_groq, "cassettes", "--strict")
    assert again.exit_code == 0, "the updated cassettes hold the new shape"


def test_the_cassettes_folders_are_found_when_no_path_is_given(
    invoke_cli: Invoke, fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    shutil.copytree(COMMITTED / "seeds", tmp_path / "tests" / "cassettes" / "test_seeds")
    (tmp_path / ".venv" / "cassettes").mkdir(parents=True)
    (tmp_path / ".venv" / "cassettes" / "x.yaml").write_text("not a cassette")
    result = _drift(invoke_cli, fake_groq)
    assert result.exit_code == 0, result.stderr
    assert "drift 1/4: tests/cassettes/test_seeds/audio_translation.yaml" in result.stderr
    assert ".venv" not in result.stderr


def test_drift_needs_httpx_only_not_the_server_extra(fake_groq: FakeGroqServer, project: Path) -> None:
    hiding = (
        "import sys\n"
        "for name in ('uvicorn', 'starlette', 'python_multipart', 'multipart', 'groq'):\n"
        "    sys.modules[name] = None\n"
        "from groq_vcr.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", hiding, "drift", "cassettes", "--base-url", fake_groq.groq_base_url],
        capture_output=True,
        text=True,
        cwd=project,
        env={"GROQ_API_KEY": fake_groq.api_key, "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert fake_groq.config.count("/chat/completions") == CHATS
