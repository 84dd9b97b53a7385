"""``[tool.groq-vcr]`` settings: discovery, parsing into typed rules, errors that name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from groq_vcr import GroqVcrError
from groq_vcr._settings import Settings, find_pyproject, load_settings, parse_settings, read_settings
from groq_vcr.redaction import RedactionRules

FULL = """
[project]
name = "demo"

[tool.groq-vcr.redact]
headers = ["X-Internal-Token"]
json-fields = ["password", "metadata.user.token"]
query-params = ["sig"]
patterns = ["sk-live-[A-Za-z0-9]{24}"]
"""


def test_nearest_pyproject_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(FULL, encoding="utf-8")
    nested = tmp_path / "tests" / "cassettes"
    nested.mkdir(parents=True)
    assert find_pyproject(nested) == tmp_path / "pyproject.toml"
    settings = load_settings(nested)
    assert settings == Settings(
        redaction=RedactionRules(
            headers=("X-Internal-Token",),
            json_fields=("password", "metadata.user.token"),
            query_params=("sig",),
            patterns=("sk-live-[A-Za-z0-9]{24}",),
        ),
        source=tmp_path / "pyproject.toml",
    )


def test_inner_pyproject_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(FULL, encoding="utf-8")
    inner = tmp_path / "sub"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    settings = load_settings(inner)
    assert settings.redaction == RedactionRules()
    assert settings.source == inner / "pyproject.toml"


def test_defaults_without_table_or_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.other]\nx = 1\n", encoding="utf-8")
    assert read_settings(tmp_path / "pyproject.toml").redaction == RedactionRules()
    assert parse_settings({}) == Settings()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "[tool.groq-vcr]\nredcat = {}\n",
            r"\[tool.groq-vcr\] has an unknown key 'redcat' \(did you mean 'redact'\?\)",
        ),
        ("[tool.groq-vcr]\nredact = 3\n", r"\[tool.groq-vcr.redact\] must be a table"),
        ("[tool.groq-vcr.redact]\npaterns = ['x']\n", r"\[tool.groq-vcr.redact\]: unknown key 'paterns'"),
        ("[tool.groq-vcr.redact]\npatterns = ['(']\n", r"\[tool.groq-vcr.redact\]: .*'\(' is not a valid regular"),
        ("[tool.groq-vcr.redact]\nheaders = [1]\n", r"\[tool.groq-vcr.redact\]: 'headers' must be a list"),
        ("[tool.groq-vcr\n", r"is not valid TOML"),
    ],
)
def test_errors_name_the_file_and_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(GroqVcrError, match=message) as raised:
        read_settings(path)
    assert str(path) in str(raised.value)
