"""``groq-vcr scan`` and ``groq-vcr redact --check`` agree on every file: what redaction would remove, scan finds.

Each vector hides a fresh fake key where the raw text does not show it: inside a compressed body, behind JSON or
YAML escapes, split across SSE events, in a vcrpy cassette's gzip body, in a JSON file's escapes.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from groq_vcr.cassette import Cassette, Interaction, Request, Response, dump_cassette
from groq_vcr.cli import cli
from groq_vcr.testing import make_fake_api_key

URL = "https://api.groq.com/openai/v1/chat/completions"


def _v2(body: str | bytes, headers: dict[str, list[str]]) -> str:
    request = Request(url=URL, method="POST", body='{"model": "m"}')
    response = Response(body=body, headers=headers)
    return dump_cassette(Cassette(interactions=[Interaction(request=request, response=response)]))


def _gzip_body(key: str) -> tuple[str, str]:
    body = gzip.compress(json.dumps({"echo": key}).encode())
    return "c.yaml", _v2(body, {"Content-Encoding": ["gzip"], "Content-Type": ["application/json"]})


def _deflate_body(key: str) -> tuple[str, str]:
    raw = zlib.compressobj(wbits=-15)
    body = raw.compress(json.dumps({"echo": key}).encode()) + raw.flush()
    return "c.yaml", _v2(body, {"Content-Encoding": ["deflate"], "Content-Type": ["application/json"]})


def _json_escapes(key: str) -> tuple[str, str]:
    escaped = "".join(f"\\u{ord(c):04x}" for c in key)
    return "c.yaml", _v2('{"echo": "' + escaped + '"}', {"Content-Type": ["application/json"]})


def _split_stream(key: str) -> tuple[str, str]:
    pieces = [key[i : i + 3] for i in range(0, len(key), 3)]
    events = "".join(
        "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": piece}}]}) + "\n\n" for piece in pieces
    )
    return "c.yaml", _v2(events + "data: [DONE]\n\n", {"Content-Type": ["text/event-stream"]})


def _yaml_escapes(key: str) -> tuple[str, str]:
    text = _v2("placeholder", {"Content-Type": ["text/plain"]})
    escaped = "".join(f"\\x{ord(c):02x}" for c in key)
    return "c.yaml", text.replace("body: placeholder", f'body: "{escaped}"')


def _vcrpy_gzip(key: str) -> tuple[str, str]:
    document = {
        "interactions": [
            {
                "request": {"body": None, "headers": {}, "method": "GET", "uri": URL},
                "response": {
                    "body": {"string": gzip.compress(json.dumps({"echo": key}).encode())},
                    "headers": {"Content-Encoding": ["gzip"], "Content-Type": ["application/json"]},
                    "status": {"code": 200, "message": "OK"},
                },
            }
        ],
        "version": 1,
    }
    return "c.yaml", yaml.safe_dump(document)


def _json_file(key: str) -> tuple[str, str]:
    return "notes.json", '{"token": "' + "".join(f"\\u{ord(c):04x}" for c in key) + '"}\n'


VECTORS: dict[str, Callable[[str], tuple[str, str]]] = {
    "gzip body": _gzip_body,
    "raw deflate body": _deflate_body,
    "JSON escapes": _json_escapes,
    "split SSE key": _split_stream,
    "YAML escapes": _yaml_escapes,
    "vcrpy gzip body": _vcrpy_gzip,
    "JSON file escapes": _json_file,
}


@pytest.mark.parametrize("vector", VECTORS)
def test_scan_finds_what_redact_check_finds(vector: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    key = make_fake_api_key()
    name, text = VECTORS[vector](key)
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert key not in text  # the raw text never shows it whole
    runner = CliRunner()
    check = runner.invoke(cli, ["redact", "--check", name])
    scan = runner.invoke(cli, ["scan", name])
    assert scan.exit_code == 1, scan.output
    for output in (check.output, scan.output):
        assert key not in output
        assert key[4:16] not in output
    if vector == "vcrpy gzip body":  # redacted as text, so it says how to fix it: convert (which redacts)
        assert check.exit_code == 2, check.output
        assert "Convert it to a go-vcr v2 cassette first" in check.output
        fixed = runner.invoke(cli, ["convert", "--to", "v2", "--in-place", name])
    else:
        assert check.exit_code == 1, check.output
        fixed = runner.invoke(cli, ["redact", name])
    assert fixed.exit_code == 0, fixed.output
    again = runner.invoke(cli, ["scan", name])
    assert again.exit_code == 0, again.output


def test_scan_masks_every_secret_of_a_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    key = make_fake_api_key()
    first, second = key[:30], key[10:50]
    text = _v2("ok", {}).replace(
        "        method: POST\n",
        f"        headers:\n            Cookie:\n                - a={first}; b={second}\n        method: POST\n",
        1,
    )
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan", "c.yaml"])
    assert result.exit_code == 1
    assert result.output.count("(interaction 0, request.headers.Cookie[0])") == 2
    windows = {key[i : i + 12] for i in range(len(key) - 11)}
    assert not [window for window in windows if window in result.output]
