"""``groq-vcr diff``: drift reports between cassette files and folders built from the seeds' real responses."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from groq_vcr.cli import cli

Run = Callable[..., subprocess.CompletedProcess[str]]
ROOT = Path(__file__).parent.parent.parent
DATA = ROOT / "tests" / "data" / "responses"
REFERENCE = ROOT / "cassettes" / "groq_chat_stream.yaml"
CHAT_URL = "https://api.groq.com/openai/v1/chat/completions"
AUDIO_URL = "https://api.groq.com/openai/v1/audio/translations"

CHAT = json.loads((DATA / "chat_gpt_oss_reasoning.json").read_text())
AUDIO = json.loads((DATA / "audio_translation.json").read_text())
VISION = json.loads((DATA / "vision_ocr_001.json").read_text())
STREAM = (DATA / "chat_stream.sse").read_text()


def interaction(url: str, request_body: str, body: str, content_type: str = "application/json") -> dict[str, Any]:
    return {
        "request": {
            "body": request_body,
            "headers": {"Content-Type": ["application/json"]},
            "url": url,
            "method": "POST",
        },
        "response": {
            "body": body,
            "headers": {"Content-Type": [content_type]},
            "status": "200 OK",
            "code": 200,
            "duration": "1ms",
        },
    }


def write(path: Path, *interactions: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    items = [{"id": i, **item} for i, item in enumerate(interactions)]
    path.write_text(yaml.safe_dump({"version": 2, "interactions": items}, allow_unicode=True, sort_keys=False))
    return path


def chat(response: dict[str, Any], model: str = "openai/gpt-oss-120b") -> dict[str, Any]:
    return interaction(CHAT_URL, json.dumps({"model": model, "messages": []}), json.dumps(response))


def stream(body: str) -> dict[str, Any]:
    return interaction(CHAT_URL, json.dumps({"model": "k", "stream": True}), body, "text/event-stream")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["diff", *args])
    return result.exit_code, result.output


def edited(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    out.update(changes)
    return out


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    write(old / "test_chat" / "test_reasoning.yaml", chat(CHAT))
    write(old / "test_audio" / "test_translate.yaml", interaction(AUDIO_URL, "", json.dumps(AUDIO)))
    write(old / "test_chat" / "test_stream.yaml", stream(STREAM))
    shutil.copytree(old, new)
    return old, new


def test_identical_reference_cassette_has_no_drift(tmp_path: Path) -> None:
    copy_ = tmp_path / "copy.yaml"
    shutil.copy(REFERENCE, copy_)
    code, output = run(str(REFERENCE), str(copy_))
    assert code == 0
    assert "#0 POST /openai/v1/chat/completions: no schema changes" in output
    assert output.rstrip().endswith("OK: 0 breaking, 0 additive, 0 info in 1 interaction(s) of 1 cassette(s)")


def test_values_changed_everywhere_is_silent(folders: tuple[Path, Path]) -> None:
    old, new = folders
    other = edited(CHAT, id="chatcmpl-x", created=1, system_fingerprint="fp_x", x_groq={"id": "req_x"})
    write(new / "test_chat" / "test_reasoning.yaml", chat(other))
    longer = STREAM.replace('"content":"Oi"', '"content":"Olá, tudo bem"')
    write(new / "test_chat" / "test_stream.yaml", stream(longer))
    code, output = run(str(old), str(new))
    assert code == 0, output
    assert output.count("no schema changes") == 3


def test_breaking_drift_exits_1_with_a_path_addressed_report(folders: tuple[Path, Path]) -> None:
    old, new = folders
    message = {k: v for k, v in CHAT["choices"][0]["message"].items() if k != "reasoning"}
    drifted = edited(CHAT, created="1760555157", choices=[{**CHAT["choices"][0], "message": message}])
    write(new / "test_chat" / "test_reasoning.yaml", chat(drifted))
    code, output = run(str(old), str(new))
    assert code == 1
    assert "test_chat/test_reasoning.yaml" in output
    assert (
        "    breaking:\n      choices[].message.reasoning: removed (str)\n      created: type changed (int -> str)"
        in output
    )
    assert "DRIFT: 2 breaking, 0 additive, 0 info in 3 interaction(s) of 3 cassette(s)" in output


def test_additive_drift_passes_unless_strict(folders: tuple[Path, Path]) -> None:
    old, new = folders
    write(
        new / "test_audio" / "test_translate.yaml", interaction(AUDIO_URL, "", json.dumps(edited(AUDIO, language="en")))
    )
    code, output = run(str(old), str(new))
    assert code == 0
    assert "language: added (str)" in output
    code, _ = run(str(old), str(new), "--strict")
    assert code == 1


def test_stream_chunk_with_a_new_shape(folders: tuple[Path, Path]) -> None:
    old, new = folders
    reasoning_chunk = 'data: {"choices":[{"index":0,"delta":{"reasoning":"hm"},"finish_reason":null}]}\n\n'
    write(new / "test_chat" / "test_stream.yaml", stream(reasoning_chunk + STREAM))
    code, output = run(str(old), str(new), "--format", "json")
    assert code == 0
    data = json.loads(output)
    by_name = {c["cassette"]: c for c in data["cassettes"]}
    additive = by_name["test_chat/test_stream.yaml"]["interactions"][0]["additive"]
    assert [(c["path"], c["message"]) for c in additive] == [("choices[].delta.reasoning", "added (str)")]
    assert data["ok"] is True
    assert data["counts"] == {"breaking": 0, "additive": 1, "info": 0, "interactions": 3, "cassettes": 3}


def test_missing_cassette_and_interaction_are_breaking(folders: tuple[Path, Path]) -> None:
    old, new = folders
    (new / "test_audio" / "test_translate.yaml").unlink()
    write(new / "test_chat" / "test_reasoning.yaml", chat(CHAT), chat(VISION, model="meta-llama/llama-4-scout"))
    code, output = run(str(old), str(new), "--format", "markdown")
    assert code == 1
    assert output.splitlines() == [
        "## Schema drift: DRIFT: 1 breaking, 1 additive, 0 info in 4 interaction(s) of 3 cassette(s)",
        "",
        "### Breaking",
        "",
        "- `<cassette>`: missing from NEW (not re-recorded) — `test_audio/test_translate.yaml`",
        "",
        "### Additive",
        "",
        "- `<interaction>`: only in NEW (a new request) — POST /openai/v1/chat/completions (new) in "
        "`test_chat/test_reasoning.yaml` #1",
        "",
        "**Unchanged:** 2 interaction(s) in 2 cassette(s): `test_chat/test_reasoning.yaml`, "
        "`test_chat/test_stream.yaml`.",
    ]


def test_the_markdown_report_lists_a_change_once_with_every_interaction_it_affects(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    renamed = edited(CHAT, usage={k: v for k, v in CHAT["usage"].items() if k != "total_tokens"})
    for index in range(7):
        write(old / f"test_{index}.yaml", chat(CHAT, model=f"m{index}"))
        write(new / f"test_{index}.yaml", chat(renamed if index < 6 else CHAT, model=f"m{index}"))
    code, output = run(str(old), str(new), "--format", "markdown")
    assert code == 1
    lines = output.splitlines()
    assert lines[0] == "## Schema drift: DRIFT: 6 breaking, 0 additive, 0 info in 7 interaction(s) of 7 cassette(s)"
    (change,) = [line for line in lines if line.startswith("- ")]
    assert change == (
        "- `usage.total_tokens`: removed (int) — 6 interactions: POST /openai/v1/chat/completions in `test_0.yaml` "
        "#0, `test_1.yaml` #0, `test_2.yaml` #0, `test_3.yaml` #0, `test_4.yaml` #0; and 1 more"
    )
    assert lines[-1] == "**Unchanged:** 1 interaction(s) in 1 cassette(s): `test_6.yaml`."
    assert "####" not in output


def test_empty_rerecording_fails(folders: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = folders
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = run(str(old), str(empty))
    assert code == 1
    assert output.count("missing from NEW") == 3


def test_hidden_files_and_lock_files_are_not_cassettes(folders: tuple[Path, Path]) -> None:
    old, new = folders
    (new / "test_chat" / "test_stream.yaml.lock").write_text("")
    (new / "test_chat" / ".test_stream.yaml").write_text("version: 2\ninteractions: [\n")  # half-written
    write(new / ".pending" / "test_chat" / "test_reasoning.yaml", chat(VISION))
    code, output = run(str(old), str(new), "--strict")
    assert code == 0, output
    assert "only in NEW" not in output
    assert output.rstrip().endswith("OK: 0 breaking, 0 additive, 0 info in 3 interaction(s) of 3 cassette(s)")


@pytest.mark.parametrize("kind", ["file-vs-dir", "missing", "malformed", "no-cassettes"])
def test_bad_input_exits_2(kind: str, tmp_path: Path) -> None:
    args = {
        "file-vs-dir": [str(REFERENCE), str(tmp_path)],
        "missing": [str(REFERENCE), str(tmp_path / "nope.yaml")],
        "malformed": [str(REFERENCE), str(tmp_path / "bad.yaml")],
        "no-cassettes": [str(tmp_path), str(tmp_path)],
    }[kind]
    (tmp_path / "bad.yaml").write_text("version: 2\ninteractions: [\n") if kind == "malformed" else None
    code, output = run(*args)
    assert code == 2
    lines = output.splitlines()
    assert lines[-2].startswith("error: ")
    assert lines[-1].startswith("hint: ")


def test_console_script(tmp_path: Path, run_cli: Run) -> None:
    copy_ = tmp_path / "copy.yaml"
    shutil.copy(REFERENCE, copy_)
    text = copy_.read_text().replace(',"service_tier":"on_demand"', "")
    copy_.write_text(text)
    done = run_cli("diff", REFERENCE, copy_)
    assert done.returncode == 1, done.stderr
    assert "service_tier: removed (str)" in done.stdout
