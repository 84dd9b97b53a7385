"""``groq-vcr redact`` rewrites a file the way every file is written: atomically, its mode and other bytes kept."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest
from click.testing import CliRunner

from groq_vcr import load_cassette
from groq_vcr.cli import cli

KEY = "gsk_" + "".join(random.Random(3).choices(string.ascii_letters + string.digits, k=52))
REFERENCE = Path(__file__).parent.parent.parent / "cassettes" / "groq_chat_stream.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_text_file_that_is_not_utf8_is_redacted_in_place_keeping_its_mode(project: Path) -> None:
    notes = project / "notes.txt"
    notes.write_bytes(f"caf\xe9: curl -H 'Authorization: Bearer {KEY}'\n".encode("latin-1"))
    notes.chmod(0o640)
    result = CliRunner().invoke(cli, ["redact", "notes.txt"])
    assert result.exit_code == 0, result.output
    assert KEY.encode() not in notes.read_bytes()
    assert notes.read_bytes().startswith(b"caf\xe9: curl -H 'Authorization: Bearer ")
    assert notes.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in project.iterdir()) == ["notes.txt", "pyproject.toml"]


def test_a_cassette_is_redacted_in_place_keeping_its_mode(project: Path) -> None:
    cassette = project / "c.yaml"
    text = REFERENCE.read_text(encoding="utf-8")
    marker = "Say hi in Portuguese"
    assert marker in text
    cassette.write_text(text.replace(marker, f"my key is {KEY}", 1), encoding="utf-8")
    cassette.chmod(0o640)
    result = CliRunner().invoke(cli, ["redact", "c.yaml"])
    assert result.exit_code == 0, result.output
    assert KEY not in cassette.read_text(encoding="utf-8")
    assert "my key is gsk_" in cassette.read_text(encoding="utf-8")
    assert len(load_cassette(cassette).interactions) == 1
    assert cassette.stat().st_mode & 0o777 == 0o640
