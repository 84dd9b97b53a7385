"""``groq-vcr fmt``, ``check`` and ``convert``: in process, and once through the real console script."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from groq_vcr.testing import make_fake_api_key

Invoke = Callable[..., Result]
Run = Callable[..., subprocess.CompletedProcess[str]]
REFERENCE = Path(__file__).resolve().parents[2] / "cassettes" / "groq_chat_stream.yaml"

TWO_SPACE = """\
version: 2
interactions:
- id: 5
  request:
    url: https://api.groq.com/openai/v1/models
    method: GET
  response:
    body: '{"data": []}'
    headers:
      Content-Type: [application/json]
    status: 200 OK
    code: 200
    duration: 1.5ms
"""

BROKEN = """\
version: 2
interactions:
- request: {method: GET}
  response:
    code: "200"
    duration: 12
"""

VCRPY = """\
interactions:
- request:
    body: null
    headers: {}
    method: GET
    uri: https://api.groq.com/openai/v1/models
  response:
    body:
      string: '{"data": []}'
    headers:
      content-type:
      - application/json
    status:
      code: 200
      message: OK
version: 1
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with a canonical cassette, a two-space one (valid, not canonical) in a subfolder, and a lock file."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "ref.yaml").write_bytes(REFERENCE.read_bytes())
    (tmp_path / "sub" / "two.yml").write_text(TWO_SPACE)
    (tmp_path / "ref.yaml.lock").write_text("")
    return tmp_path


def test_fmt_check_lists_files_and_changes_nothing(folder: Path, invoke_cli: Invoke) -> None:
    result = invoke_cli("fmt", "--check", folder)
    assert result.exit_code == 1
    assert result.stdout == (
        f"would reformat {folder / 'sub' / 'two.yml'}:\n"
        "  - it has no `---` line before `version: 2`\n"
        "  - interactions are indented by 0 spaces where go-vcr indents them by 4 spaces\n"
        "  - first difference at line 3: go-vcr writes `    - id: 0`, the file has `- id: 5`\n"
    )
    assert "expected layout: go-vcr >= 4.0.2" in result.stderr
    assert (folder / "sub" / "two.yml").read_text() == TWO_SPACE


def test_fmt_check_names_the_zero_valued_fields_older_go_vcr_wrote(tmp_path: Path, invoke_cli: Invoke) -> None:
    canonical = REFERENCE.read_text()
    proto = "        proto: HTTP/1.1\n"
    older = canonical.replace(proto, proto + "        transfer_encoding: []\n", 1)
    older = older.replace("        duration: ", "        trailer: {}\n        duration: ", 1)
    assert older != canonical
    (tmp_path / "old.yaml").write_text(older)
    result = invoke_cli("fmt", "--check", tmp_path / "old.yaml")
    assert result.exit_code == 1
    line = older.splitlines().index("        transfer_encoding: []") + 1
    assert f"zero-valued fields that go-vcr omits: `transfer_encoding: []` (line {line}), `trailer: {{}}`" in (
        result.stdout
    )
    fixed = invoke_cli("fmt", tmp_path / "old.yaml")
    assert fixed.exit_code == 0
    assert (tmp_path / "old.yaml").read_text() == canonical


def test_fmt_keeps_commented_cassettes_unless_told_to_drop_comments(tmp_path: Path, invoke_cli: Invoke) -> None:
    commented = "# recorded by hand: do not re-record\n" + TWO_SPACE.replace("id: 5", "id: 5  # the fifth")
    commented = commented.replace("'{\"data\": []}'", '\'{"data": ["#not-a-comment"]}\'')
    path = tmp_path / "hand.yaml"
    path.write_text(commented)
    check = invoke_cli("fmt", "--check", path)
    assert "  - it has YAML comments (lines 1, 4), which go-vcr's layout cannot hold\n" in check.stdout
    refused = invoke_cli("fmt", path)
    assert refused.exit_code == 1
    assert f"error: {path}: has YAML comments (lines 1, 4)" in refused.stderr
    assert "hint: run again with --drop-comments" in refused.stderr
    assert path.read_text() == commented
    dropped = invoke_cli("fmt", "--drop-comments", path)
    assert dropped.exit_code == 0, dropped.stderr
    text = path.read_text()
    assert "#" not in text.replace("#not-a-comment", "")
    assert "#not-a-comment" in text


def test_fmt_check_never_prints_a_secret(tmp_path: Path, invoke_cli: Invoke) -> None:
    key = make_fake_api_key()
    path = tmp_path / "leaky.yaml"
    path.write_text(TWO_SPACE.replace("version: 2\n", f"version: 2\nnote: {key}\n"))
    result = invoke_cli("fmt", "--check", path)
    assert result.exit_code == 1
    assert key not in result.stdout + result.stderr
    assert key[:12] not in result.stdout + result.stderr


def test_fmt_rewrites_in_canonical_form_and_is_idempotent(folder: Path, invoke_cli: Invoke) -> None:
    result = invoke_cli("fmt", folder)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"reformatted {folder / 'sub' / 'two.yml'}\n"
    text = (folder / "sub" / "two.yml").read_text()
    assert text.startswith('---\nversion: 2\ninteractions:\n    - id: 0\n      request:\n        proto: ""\n')
    assert (
        "        body: '{\"data\": []}'\n"
        "        headers:\n            Content-Type:\n                - application/json\n" in text
    )
    assert text.endswith("        duration: 1.5ms\n")
    assert (folder / "ref.yaml").read_bytes() == REFERENCE.read_bytes()
    again = invoke_cli("fmt", "--check", folder)
    assert again.exit_code == 0
    assert again.stdout == ""


def test_fmt_leaves_unreadable_cassettes_alone_and_exits_2(folder: Path, invoke_cli: Invoke) -> None:
    (folder / "bad.yaml").write_text(BROKEN)
    result = invoke_cli("fmt", folder)
    assert result.exit_code == 2
    assert f"{folder / 'bad.yaml'}:3:12: `interactions[0].request` has no `url`" in result.stderr
    assert "Traceback" not in result.stderr
    assert (folder / "bad.yaml").read_text() == BROKEN


def test_check_reports_every_problem_with_file_and_line(folder: Path, run_cli: Run) -> None:
    # The console script itself: exit code 1, one finding per stdout line, the summary alone on stderr.
    bad = folder / "bad.yaml"
    bad.write_text(BROKEN)
    (folder / "syntax.yaml").write_text("version: 2\ninteractions: [\n")
    result = run_cli("check", folder)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{bad}:3:12: `interactions[0].request` has no `url`",
        f"{bad}:5:11: `interactions[0].response.code` must be an integer, found the text '200'",
        f"{bad}:6:15: `interactions[0].response.duration` must be Go duration text such as '94.9ms' or '0s', "
        "found the integer 12 (go-vcr rejects a bare number)",
        f"{folder / 'syntax.yaml'}:3:1: YAML syntax error: while parsing a flow node, "
        "did not find expected node content",
    ]
    assert result.stderr == "4 problem(s) in 2 of 4 cassette(s)\n"


def test_check_passes_valid_cassettes(folder: Path, invoke_cli: Invoke) -> None:
    result = invoke_cli("check", folder / "ref.yaml", folder / "sub")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "2 cassette(s) OK" in result.stderr


def test_missing_path_is_a_usage_error(tmp_path: Path, invoke_cli: Invoke) -> None:
    for command in ("check", "fmt"):
        result = invoke_cli(command, tmp_path / "nope")
        assert result.exit_code == 2
        assert "no such file or folder" in result.stderr
        assert "Traceback" not in result.stderr


def test_convert_v1_to_v2_and_back(tmp_path: Path, invoke_cli: Invoke) -> None:
    src = tmp_path / "vcrpy.yaml"
    src.write_text(VCRPY)
    v2 = tmp_path / "out" / "v2.yaml"
    result = invoke_cli("convert", "--to", "v2", src, "-o", v2)
    assert result.exit_code == 0, result.stderr
    text = v2.read_text()
    assert "            Content-Type:\n                - application/json\n" in text
    assert "        status: 200 OK\n        code: 200\n        duration: 0s\n" in text
    assert invoke_cli("check", v2).exit_code == 0
    back = invoke_cli("convert", "--to", "v1", v2)
    assert back.exit_code == 0
    assert back.stdout == VCRPY  # what vcrpy wrote, header-name case included


def test_convert_in_place(tmp_path: Path, invoke_cli: Invoke) -> None:
    src = tmp_path / "c.yaml"
    src.write_text(VCRPY)
    assert invoke_cli("convert", "--to", "v2", src, "-o", src).exit_code == 0
    assert src.read_text().startswith("---\nversion: 2\n")


def test_convert_refuses_wrong_direction(tmp_path: Path, invoke_cli: Invoke) -> None:
    src = tmp_path / "c.yaml"
    src.write_bytes(REFERENCE.read_bytes())
    result = invoke_cli("convert", "--to", "v2", src)
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {src}: not a vcrpy version 1 cassette: `version` is 2 (it is already a go-vcr cassette)\n"
    )
    bad = invoke_cli("convert", "--to", "v3", src)
    assert bad.exit_code == 2
    assert "Invalid value for '--to'" in bad.stderr


def test_help_lists_the_commands(invoke_cli: Invoke) -> None:
    result = invoke_cli("--help")
    assert result.exit_code == 0
    for name in ("check", "convert", "fmt"):
        assert f"  {name} " in result.stdout


GO_VCR_1 = """---
version: 1
interactions:
- request:
    body: ""
    form: {}
    headers:
      Accept:
      - application/json
    url: https://api.groq.com/openai/v1/models
    method: GET
  response:
    body: '{"object":"list","data":[]}'
    headers:
      Content-Type:
      - application/json
    status: 200 OK
    code: 200
    duration: ""
"""


def test_convert_a_mixed_folder_in_place(tmp_path: Path, invoke_cli: Invoke) -> None:
    key = make_fake_api_key()
    (tmp_path / "sub").mkdir()
    (tmp_path / "vcrpy.yaml").write_text(VCRPY)
    (tmp_path / "sub" / "secret.yaml").write_text(
        VCRPY.replace("    headers: {}\n", f"    headers:\n      Authorization:\n      - Bearer {key}\n", 1)
    )
    (tmp_path / "sub" / "go1.yaml").write_text(GO_VCR_1)
    (tmp_path / "ref.yaml").write_bytes(REFERENCE.read_bytes())
    (tmp_path / "broken.yaml").write_text("interactions: [\nversion: 1\n")
    before = {p: p.read_bytes() for p in (tmp_path / "ref.yaml", tmp_path / "broken.yaml")}

    result = invoke_cli("convert", "--to", "v2", "--in-place", tmp_path)
    assert result.exit_code == 1, result.stderr  # one file could not be read
    assert "3 converted to v2, 1 already v2 (left as they were), 1 failed (of 5 cassettes found)" in result.stdout
    assert "broken.yaml" in result.stderr
    for name in ("vcrpy.yaml", "sub/secret.yaml", "sub/go1.yaml"):
        text = (tmp_path / name).read_text()
        assert text.startswith("---\nversion: 2\n"), name
        assert invoke_cli("check", tmp_path / name).exit_code == 0
    assert key not in (tmp_path / "sub" / "secret.yaml").read_text()
    assert {p: p.read_bytes() for p in before} == before
    again = invoke_cli("convert", "--to", "v2", "--in-place", tmp_path / "sub")
    assert again.exit_code == 0
    assert "0 converted to v2, 2 already v2" in again.stdout


def test_convert_needs_in_place_for_folders(tmp_path: Path, invoke_cli: Invoke) -> None:
    result = invoke_cli("convert", "--to", "v2", tmp_path)
    assert result.exit_code == 2
    assert "--in-place" in result.stderr
