"""Cassettes other tools wrote, read and converted without loss (issue 15's "found on public cassettes").

Each case is a small file in the shape a real one has (the corpus in tests/data/corpus/ holds the real ones).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from vcr.serialize import deserialize
from vcr.serializers import yamlserializer

from groq_vcr import (
    Cassette,
    Interaction,
    NoMatchError,
    Request,
    Response,
    dump_cassette,
    load_cassette,
    use_cassette,
)
from groq_vcr.cassette import GO_VCR, VCRPY, cassette_kind, load_any
from groq_vcr.cassette._vcrpy import dump_v1, load_v1
from groq_vcr.cassette._vcrpy_read import FIELDS_KEY, encode_parsed_body
from groq_vcr.cli import cli

# pydantic-ai's serializer: JSON bodies kept as YAML data, Content-Length as the client sent it (compact JSON)
PARSED_BODY = """\
interactions:
- request:
    headers:
      content-length:
      - '{request_length}'
      content-type:
      - application/json
    method: POST
    parsed_body:
      messages:
      - content: "Qu\\xE9 hora es?"
        role: user
      model: llama-3.1-8b-instant
      stream: false
    uri: https://api.groq.com/openai/v1/chat/completions
  response:
    headers:
      content-length:
      - '{response_length}'
      content-type:
      - application/json
    parsed_body:
      choices:
      - index: 0
        message:
          content: Son las tres.
          role: assistant
      id: chatcmpl-1
    status:
      code: 200
      message: OK
version: 1
"""
REQUEST = {
    "messages": [{"content": "Qué hora es?", "role": "user"}],
    "model": "llama-3.1-8b-instant",
    "stream": False,
}
RESPONSE = {"choices": [{"index": 0, "message": {"content": "Son las tres.", "role": "assistant"}}], "id": "chatcmpl-1"}


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _write(tmp_path: Path, text: str, name: str = "in.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _convert(path: Path, target: str, out: Path) -> str:
    result = CliRunner().invoke(cli, ["convert", "--to", target, str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_parsed_body_is_read_and_encoded_as_the_client_sent_it(tmp_path: Path) -> None:
    request_length = len(_compact(REQUEST).encode())
    response_length = len(_compact(RESPONSE).encode()) + 1  # the server ended its JSON with a newline
    src = _write(tmp_path, PARSED_BODY.format(request_length=request_length, response_length=response_length))
    _convert(src, "v2", tmp_path / "v2.yaml")
    it = load_cassette(tmp_path / "v2.yaml").interactions[0]
    assert it.request.body == _compact(REQUEST)
    assert it.request.content_length == request_length
    assert it.response.body == _compact(RESPONSE) + "\n"
    assert len(it.response.body_bytes) == it.response.content_length == response_length
    with use_cassette(tmp_path / "v2.yaml", record_mode="none"), httpx.Client() as client:
        answer = client.post("https://api.groq.com/openai/v1/chat/completions", content=_compact(REQUEST).encode())
    assert answer.json() == RESPONSE


def test_parsed_body_encoding_follows_the_recorded_length() -> None:
    assert encode_parsed_body(REQUEST, None) == _compact(REQUEST)
    assert encode_parsed_body(REQUEST, len(json.dumps(REQUEST))) == json.dumps(REQUEST)  # pydantic-ai's own
    assert encode_parsed_body(REQUEST, 3) == _compact(REQUEST)  # no encoding fits: the compact one


def test_vcrpy_file_without_version_loads_and_converts(tmp_path: Path) -> None:
    text = PARSED_BODY.format(request_length=1, response_length=1).replace("version: 1\n", "")
    src = _write(tmp_path, text)
    assert cassette_kind(src) == VCRPY
    assert json.loads(load_any(src).interactions[0].response.body) == RESPONSE
    assert _convert(src, "v2", tmp_path / "v2.yaml").startswith("---\nversion: 2\n")


VCRPY_CASSETTE = """\
interactions:
- request:
    body: ''
    headers:
      Content-Type:
      - application/json
      x-stainless-arch:
      - arm64
      X-STAINLESS-OS:
      - Linux
    method: GET
    uri: https://api.openai.com/v1/threads/t1/runs/r1
  response:
    body:
      string: '{"status": "queued"}'
    headers:
      openai-version:
      - '2020-10-01'
      set-cookie:
      - a=REDACTED
      Set-Cookie:
      - b=REDACTED
    status:
      code: 200
      message: ''
- request:
    body: null
    headers: {}
    method: GET
    uri: https://api.openai.com/v1/models
  response:
    body:
      string: ''
    headers: {}
    status:
      code: 204
      message: No Content
    url: https://api.openai.com/v1/models
metadata:
  recorded_with: vcrpy 7.0.0
  note: hand-kept
version: 1
"""


def test_v1_to_v2_to_v1_gives_back_what_vcrpy_wrote(tmp_path: Path) -> None:
    src = _write(tmp_path, VCRPY_CASSETTE)
    v2 = tmp_path / "v2.yaml"
    v2_text = _convert(src, "v2", v2)
    assert "            X-Stainless-Arch:\n" in v2_text  # v2 keeps Go's canonical names
    back_text = _convert(v2, "v1", tmp_path / "back.yaml")
    assert yaml.safe_load(back_text) == yaml.safe_load(VCRPY_CASSETTE)
    requests, _, metadata = deserialize(back_text, yamlserializer)  # and vcrpy reads it, its metadata included
    assert metadata == {"recorded_with": "vcrpy 7.0.0", "note": "hand-kept"}
    assert requests[0].body == b""
    assert requests[1].body is None


def test_vcrpy_top_level_keys_are_kept_in_v2(tmp_path: Path) -> None:
    src = _write(tmp_path, VCRPY_CASSETTE)
    cassette = load_v1(src)
    assert cassette.extra["metadata"] == {"recorded_with": "vcrpy 7.0.0", "note": "hand-kept"}
    assert cassette.extra[FIELDS_KEY][1]["response_extra"] == {"url": "https://api.openai.com/v1/models"}
    reloaded = load_cassette(_write(tmp_path, dump_cassette(cassette), "v2.yaml"))
    assert reloaded.extra == cassette.extra


def test_a_v2_cassette_gives_an_empty_body_as_empty_text_not_null() -> None:
    cassette = Cassette(
        interactions=[
            Interaction(
                request=Request(headers={"Content-Type": ["application/json"]}, url="https://x.test/", method="GET"),
                response=Response(body=""),
            )
        ]
    )
    back = yaml.safe_load(dump_v1(cassette))
    assert back["interactions"][0]["request"]["body"] == ""  # what httpx sends for a GET: vcrpy's body matcher agrees
    assert back["interactions"][0]["response"]["body"] == {"string": ""}
    assert list(back["interactions"][0]["request"]["headers"]) == ["Content-Type"]


GO_VCR_V1 = """\
---
version: 1
interactions:
- request:
    body: |
      kind: config
      uri: https://example.com/x
    form: {}
    headers:
      Content-Type:
      - application/yaml
    url: https://example.com/configs
    method: POST
  response:
    body: '{"ok": true}'
    headers:
      Content-Type:
      - application/json
    status: 201 Created
    code: 201
    duration: ""
"""


def test_go_vcr_format_1_is_told_from_vcrpy_and_converts(tmp_path: Path) -> None:
    # a body line `uri: ...` once made this look like a vcrpy file, and the suggested convert then failed
    src = _write(tmp_path, GO_VCR_V1)
    assert cassette_kind(src) == GO_VCR
    text = _convert(src, "v2", tmp_path / "v2.yaml")
    it = load_cassette(tmp_path / "v2.yaml").interactions[0]
    assert text.startswith("---\nversion: 2\n")
    assert it.request.body == "kind: config\nuri: https://example.com/x\n"
    assert (it.response.code, it.response.body) == (201, '{"ok": true}')


def test_vcrpy_file_with_a_document_end_marker_is_vcrpy(tmp_path: Path) -> None:
    src = _write(tmp_path, VCRPY_CASSETTE + "...\n")
    assert cassette_kind(src) == VCRPY
    assert len(load_any(src).interactions) == 2


NO_RESPONSE = """\
---
version: 2
interactions:
    - id: 0
      request:
        proto: HTTP/1.1
        proto_major: 1
        proto_minor: 1
        content_length: 0
        host: example.com
        url: https://example.com/fails
        method: GET
    - id: 1
      request:
        proto: HTTP/1.1
        proto_major: 1
        proto_minor: 1
        content_length: 0
        host: example.com
        url: https://example.com/works
        method: GET
      response:
        proto: HTTP/1.1
        proto_major: 1
        proto_minor: 1
        content_length: 2
        body: ok
        headers: {}
        status: 200 OK
        code: 200
        duration: 0s
"""


def test_interaction_without_response_loads_as_go_vcr_does(tmp_path: Path) -> None:
    cassette = load_cassette(_write(tmp_path, NO_RESPONSE))
    first = cassette.interactions[0].response
    assert (first.code, first.status, first.body, first.proto) == (0, "", "", "")
    assert '      response:\n        proto: ""\n        proto_major: 0\n' in dump_cassette(cassette)


def test_replaying_an_interaction_without_response_names_it(tmp_path: Path) -> None:
    path = _write(tmp_path, NO_RESPONSE)
    with use_cassette(path, record_mode="none"), httpx.Client() as client:
        assert client.get("https://example.com/works").text == "ok"
        with pytest.raises(NoMatchError, match=r"interaction 0 of .*in\.yaml has no recorded response"):
            client.get("https://example.com/fails")
    assert path.read_text(encoding="utf-8") == NO_RESPONSE


def test_a_body_groq_vcr_cannot_read_fails_the_convert_and_writes_nothing(tmp_path: Path) -> None:
    src = _write(tmp_path, VCRPY_CASSETTE.replace('      string: \'{"status": "queued"}\'', "      base64: e30="))
    out = tmp_path / "v2.yaml"
    result = CliRunner().invoke(cli, ["convert", "--to", "v2", str(src), "-o", str(out)])
    assert result.exit_code != 0
    assert "interaction 0 response body has no `string` (it has base64)" in result.output
    assert not out.exists()


def test_check_of_a_vcrpy_file_without_version_says_to_convert_it(tmp_path: Path) -> None:
    src = _write(tmp_path, PARSED_BODY.format(request_length=1, response_length=1).replace("version: 1\n", ""))
    result = CliRunner().invoke(cli, ["check", str(src)])
    assert result.exit_code != 0
    assert "`version` is missing" in result.output
    assert "this looks like a vcrpy cassette: convert it with `groq-vcr convert --to v2 FILE`" in result.output
