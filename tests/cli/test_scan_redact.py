"""``groq-vcr scan`` and ``groq-vcr redact``: exit codes, output format, masking, in-place idempotent redaction."""

from __future__ import annotations

import os
import random
import re
import string
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from groq_vcr import Cassette, Interaction, Request, Response, load_cassette, save_cassette
from groq_vcr.cli import cli

SEEDS = Path(__file__).parent.parent / "data" / "seeds"
REDACTED_SEED = SEEDS / "000_f3df5dee32a3ef46.redacted.txt"
REPO = Path(__file__).parent.parent.parent
ALNUM = string.ascii_letters + string.digits
Run = Callable[..., subprocess.CompletedProcess[str]]
FINDING_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<rule>[^:]+): (?P<excerpt>.+)$")


def fake_key() -> str:
    return "gsk_" + "".join(random.choices(ALNUM, k=52))


def fake_seed() -> tuple[str, str, list[str]]:
    """Seed 000 with a fresh fake key and fake __cf_bm cookies in place of the live ones."""
    key = fake_key()
    cookies: list[str] = []

    def cookie(_: re.Match[str]) -> str:
        cookies.append(
            "".join(random.choices(ALNUM + "_.", k=43)) + "-1760555157-1.0.1.1-" + "".join(random.choices(ALNUM, k=90))
        )
        return "__cf_bm=" + cookies[-1]

    text = re.sub(r"__cf_bm=REDACTED", cookie, REDACTED_SEED.read_text(encoding="utf-8").replace("gsk_REDACTED", key))
    return text, key, cookies


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder (with its own pyproject.toml) as the working directory."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_scan_clean_files_exit_0(project: Path) -> None:
    for name in ("001_08ee6aacc6ac15fd.txt", "003_a49bbb46ab0e677b.txt", "000_f3df5dee32a3ef46.redacted.txt"):
        (project / name).write_bytes((SEEDS / name).read_bytes())
    result = run("scan", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "No secrets found in 3 files." in result.stderr


def test_scan_reports_each_secret_masked_and_exits_1(project: Path) -> None:
    text, key, cookies = fake_seed()
    (project / "seed.txt").write_text(text, encoding="utf-8")
    result = run("scan", "seed.txt")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    parsed = [FINDING_LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m["file"], m["line"], m["rule"]) for m in parsed if m] == [
        ("seed.txt", "10", "groq-api-key"),
        ("seed.txt", "11", "cookie"),
        ("seed.txt", "67", "groq-api-key"),
        ("seed.txt", "68", "cookie"),
        ("seed.txt", "86", "groq-api-key"),
        ("seed.txt", "87", "cookie"),
    ]
    assert key not in result.output
    assert key[4:20] not in result.output
    assert all(cookie[:20] not in result.output for cookie in cookies)
    assert "6 secrets found in 1 of 1 file; remove them with: groq-vcr redact seed.txt" in result.stderr


def test_scan_names_interaction_and_field_in_cassettes(project: Path) -> None:
    key = fake_key()
    cassette = {
        "version": 2,
        "interactions": [
            {"id": 0, "request": {"headers": {"Authorization": ["Bearer " + key]}, "url": "https://x", "method": "GET"}}
        ],
    }
    folder = project / "cassettes" / "test_chat"
    folder.mkdir(parents=True)
    text = yaml.safe_dump(cassette)
    (folder / "test_one.yaml").write_text(text, encoding="utf-8")
    line = next(n for n, content in enumerate(text.splitlines(), 1) if key in content)
    (folder / "audio.bin").write_bytes(key.encode())  # not a cassette or text file: not searched in a folder
    hidden = project / "cassettes" / ".cache"
    hidden.mkdir()
    (hidden / "x.yaml").write_text(key, encoding="utf-8")
    result = run("scan", "cassettes")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{Path('cassettes/test_chat/test_one.yaml')}:{line}: groq-api-key: - Bearer {key[:8]}…(56 chars)"
        "  (interaction 0, request.headers.Authorization[0])"
    ]


def test_user_patterns_from_option_and_pyproject(project: Path) -> None:
    (project / "notes.txt").write_text("token tok-1234 and acct 99887766\n", encoding="utf-8")
    assert run("scan", "notes.txt").exit_code == 0
    result = run("scan", "--pattern", r"tok-\d{4}", "notes.txt")
    assert result.exit_code == 1
    assert result.stdout == "notes.txt:1: pattern /tok-\\d{4}/: token to…(8 chars) and acct 99887766\n"
    (project / "pyproject.toml").write_text(
        '[tool.groq-vcr.redact]\npatterns = ["acct (\\\\d{8})"]\n', encoding="utf-8"
    )
    result = run("scan", "notes.txt")
    assert result.exit_code == 1
    assert "99887766" not in result.output
    assert "acct 99…(8 chars)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("scan", "missing.yaml"), "missing.yaml does not exist"),
        (("scan", "--pattern", "(", "."), "is not a valid regular expression"),
        (("redact", "missing.yaml"), "missing.yaml does not exist"),
    ],
)
def test_usage_errors_exit_2(project: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_redact_check_then_in_place_then_nothing(project: Path) -> None:
    text, key, _ = fake_seed()
    seed = project / "seed.txt"
    seed.write_text(text, encoding="utf-8")
    os.utime(seed, (1_000_000, 1_000_000))

    checked = run("redact", "--check", "seed.txt")
    assert checked.exit_code == 1
    assert checked.stdout.startswith("seed.txt: would redact 6 secrets\n  seed.txt:10: groq-api-key: ")
    assert key not in checked.output
    assert seed.read_text(encoding="utf-8") == text
    assert seed.stat().st_mtime == 1_000_000

    done = run("redact", "seed.txt")
    assert done.exit_code == 0
    assert done.stdout == "seed.txt: redacted 6 secrets\n"
    assert seed.read_bytes() == REDACTED_SEED.read_bytes()
    assert sorted(p.name for p in project.iterdir()) == ["pyproject.toml", "seed.txt"], "no temporary file left"

    os.utime(seed, (2_000_000, 2_000_000))
    again = run("redact", "seed.txt")
    assert again.exit_code == 0
    assert again.stdout == ""
    assert "0 of 1 file redacted." in again.stderr
    assert seed.stat().st_mtime == 2_000_000
    assert run("redact", "--check", "seed.txt").exit_code == 0
    assert run("scan", "seed.txt").exit_code == 0


def test_redact_binary_file_keeps_other_bytes(project: Path) -> None:
    key = fake_key()
    blob = project / "dump.txt"
    blob.write_bytes(b"\xff\xfe\x00" + key.encode() + b"\x80\x81")
    assert run("redact", "dump.txt").exit_code == 0
    assert blob.read_bytes() == b"\xff\xfe\x00gsk_REDACTED\x80\x81"


def test_redact_json_file_uses_field_rules(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.groq-vcr.redact]\njson-fields = ["password"]\n', encoding="utf-8")
    spec = project / "request.json"
    spec.write_text('{"user": "me",  "password": "hunter2"}\n', encoding="utf-8")
    assert run("redact", "request.json").exit_code == 0
    assert spec.read_text(encoding="utf-8") == '{"user": "me",  "password": "REDACTED"}\n'


def test_console_script_exit_codes(project: Path, run_cli: Run) -> None:
    key = fake_key()
    (project / "leak.txt").write_text(f"GROQ_API_KEY={key}\n", encoding="utf-8")
    (project / "clean.txt").write_text("nothing here\n", encoding="utf-8")
    leak = run_cli("scan", "leak.txt", "clean.txt")
    assert leak.returncode == 1
    assert leak.stdout.startswith("leak.txt:1: groq-api-key: GROQ_API_KEY=")
    assert leak.stderr.startswith("1 secret found in 1 of 2 files")
    assert key not in leak.stdout + leak.stderr


def test_pre_commit_hook_definition() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "groq-vcr-scan")
    assert hook["entry"] == "groq-vcr scan"
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    assert all(files.search(name) for name in ("c/a.yaml", "b.yml", "seed.txt", "x.json"))
    assert not any(files.search(name) for name in ("a.py", "a.yaml.bak"))


def dumps(cassette: Cassette) -> str:
    """The cassette's text as groq-vcr writes it (saved outside the project, which is scanned)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "written.yaml"
        save_cassette(path, cassette)
        return path.read_text(encoding="utf-8")


def leaky_cassette(key: str, cookie: str) -> Cassette:
    error = (
        '{"error":{"message":"Invalid API Key: ' + key + '","type":"invalid_request_error","code":"invalid_api_key"}}'
    )
    return Cassette(
        [
            Interaction(
                request=Request(
                    url="https://api.groq.com/openai/v1/chat/completions",
                    method="POST",
                    body='{"model":"llama-3.1-8b-instant","messages":[{"role":"user","content":"hi"}]}',
                    content_length=73,
                    headers={
                        "Authorization": ["Bearer " + key],
                        "Content-Type": ["application/json"],
                        "Cookie": ["__cf_bm=" + cookie],
                    },
                ),
                response=Response(
                    code=401,
                    status="401 Unauthorized",
                    body=error,
                    content_length=len(error),
                    headers={
                        "Content-Type": ["application/json"],
                        "Set-Cookie": ["__cf_bm=" + cookie + "; path=/; domain=.groq.com; HttpOnly; Secure"],
                    },
                ),
            )
        ]
    )


def test_redact_v2_cassette_in_place(project: Path) -> None:
    key, cookie = fake_key(), "".join(random.choices(ALNUM, k=40))
    path = project / "cassettes" / "test_auth.yaml"
    path.parent.mkdir()
    path.write_text(dumps(leaky_cassette(key, cookie)), encoding="utf-8")

    scanned = run("scan", "cassettes")
    assert scanned.exit_code == 1
    assert "(interaction 0, request.headers.Authorization[0])" in scanned.stdout
    assert "(interaction 0, response.headers.Set-Cookie[0])" in scanned.stdout
    assert "(interaction 0, response.body)" in scanned.stdout

    done = run("redact", "cassettes")
    assert done.exit_code == 0, done.output
    text = path.read_text(encoding="utf-8")
    assert key not in text
    assert cookie not in text
    redacted = load_cassette(path)
    interaction = redacted.interactions[0]
    assert interaction.request.headers["Authorization"] == ["Bearer gsk_REDACTED"]
    assert interaction.request.headers["Cookie"] == ["__cf_bm=REDACTED"]
    assert interaction.response.headers["Set-Cookie"] == [
        "__cf_bm=REDACTED; path=/; domain=.groq.com; HttpOnly; Secure"
    ]
    assert interaction.response.body == (
        '{"error":{"message":"Invalid API Key: gsk_REDACTED","type":"invalid_request_error","code":"invalid_api_key"}}'
    )
    assert interaction.response.content_length == len(interaction.response.body)
    assert text == dumps(redacted), "the file is in go-vcr's exact layout"

    again = run("redact", "cassettes")
    assert again.exit_code == 0
    assert path.read_text(encoding="utf-8") == text
    assert run("scan", "cassettes").exit_code == 0


def test_redact_check_leaves_cassette_untouched(project: Path) -> None:
    path = project / "c.yaml"
    original = dumps(leaky_cassette(fake_key(), "abc123"))
    path.write_text(original, encoding="utf-8")
    result = run("redact", "--check", "c.yaml")
    assert result.exit_code == 1
    assert result.stdout.startswith("c.yaml: would redact ")
    assert path.read_text(encoding="utf-8") == original


def test_redact_refuses_malformed_cassette(project: Path) -> None:
    key = fake_key()
    path = project / "broken.yaml"
    broken = f"---\nversion: 2\ninteractions:\n    - id: 0\n      request: [unclosed\n      key: {key}\n"
    path.write_text(broken, encoding="utf-8")
    result = run("redact", "broken.yaml")
    assert result.exit_code == 2
    assert "broken.yaml" in result.stderr
    assert path.read_text(encoding="utf-8") == broken, "a malformed cassette is never overwritten"
