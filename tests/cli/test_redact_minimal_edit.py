"""``groq-vcr redact`` is a minimal edit: every byte other than the secrets stays as it was.

Hand-maintained cassettes carry comments and other writers' layouts (2-space indentation, flow lists, quoting
styles); redacting one replaces the secrets' characters and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from groq_vcr import load_cassette
from groq_vcr.cli import cli
from groq_vcr.testing import make_fake_api_key

COOKIE = "k3Y0vQ7mZp2Lx9Tr4Wn8Bs1Hd6Fj5Gc0"

HAND_WRITTEN = """\
# Hand-maintained: the 401 below is what Groq answers to a revoked key. Keep this note.
version: 2
interactions:
  - id: 0   # first call
    request:
      body: '{{"messages": [{{"content": "my key is {key}, thanks"}}]}}'
      headers:
        authorization: [Bearer {key}]
        Cookie: ["__cf_bm={cookie}"]
      url: https://api.groq.com/openai/v1/chat/completions?api_key={key}
      method: POST
    response:
      # streamed answer, kept as sent
      body: |
        data: {{"echo": "{key}"}}

        data: [DONE]
      headers:
        Content-Type: [text/event-stream]
      status: 200 OK
      code: 200
      duration: 5ms
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_redact_changes_only_the_secrets_characters(project: Path) -> None:
    key = make_fake_api_key()
    original = HAND_WRITTEN.format(key=key, cookie=COOKIE)
    path = project / "hand.yaml"
    path.write_text(original, encoding="utf-8")

    result = CliRunner().invoke(cli, ["redact", "hand.yaml"])
    assert result.exit_code == 0, result.output
    assert "rewritten in go-vcr's layout" not in result.output
    redacted = path.read_text(encoding="utf-8")
    assert key not in redacted
    assert COOKIE not in redacted

    before, after = original.splitlines(), redacted.splitlines()
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        if key not in old and COOKIE not in old:
            assert new == old  # comments, layout, quoting: all as they were
            continue
        # Only the secret's span changed: what precedes the first secret and follows the last is kept.
        first = min(i for i in (old.find(key), old.find(COOKIE)) if i != -1)
        last = max(old.rfind(key) + len(key) if key in old else -1, old.rfind(COOKIE) + len(COOKIE))
        assert new.startswith(old[:first])
        assert new.endswith(old[last:])
    assert load_cassette(path).interactions[0].response.body.startswith('data: {"echo": "')

    again = CliRunner().invoke(cli, ["redact", "hand.yaml"])
    assert again.exit_code == 0
    assert path.read_text(encoding="utf-8") == redacted


def test_a_secret_hidden_by_yaml_escapes_is_still_removed_and_the_rewrite_is_said(project: Path) -> None:
    key = make_fake_api_key()
    escaped = "".join(f"\\x{ord(c):02x}" for c in key)  # the same key, written with YAML escapes
    original = HAND_WRITTEN.format(key="k", cookie=COOKIE).replace(
        "      url: https://api.groq.com", f'      url: "https://api.groq.com/?t={escaped}&u=https://api.groq.com'
    )
    original = original.replace("?api_key=k\n", '?api_key=k"\n')
    path = project / "escaped.yaml"
    path.write_text(original, encoding="utf-8")
    assert key in load_cassette(path).interactions[0].request.url

    result = CliRunner().invoke(cli, ["redact", "escaped.yaml"])
    assert result.exit_code == 0, result.output
    assert "note: the secrets could not be replaced in place, so escaped.yaml was rewritten in go-vcr's layout" in (
        result.output
    )
    assert key not in load_cassette(path).interactions[0].request.url
    assert key not in path.read_text(encoding="utf-8")
