"""vcrpy version-1 cassettes <-> go-vcr v2, checked against vcrpy's own reader and writer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from vcr.request import Request as VcrRequest
from vcr.serialize import deserialize, serialize
from vcr.serializers import yamlserializer

from groq_vcr import Cassette, CassetteFormatError, Interaction, Request, Response, dump_cassette, load_cassette
from groq_vcr.cassette._vcrpy import dump_v1, load_v1, v1_to_v2, v2_to_v1

REFERENCE = Path(__file__).resolve().parents[2] / "cassettes" / "groq_chat_stream.yaml"

VCRPY_CASSETTE = """\
interactions:
- request:
    body: '{"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": "hi"}]}'
    headers:
      accept:
      - application/json
      content-type:
      - application/json
    method: POST
    uri: https://api.groq.com/openai/v1/chat/completions
  response:
    body:
      string: '{"id": "chatcmpl-1", "choices": []}'
    headers:
      Content-Type:
      - application/json
      content-length:
      - '35'
    status:
      code: 200
      message: OK
- request:
    body: null
    headers: {}
    method: GET
    uri: https://api.groq.com/openai/v1/models/nope
  response:
    body:
      string: !!binary |
        /wAB
    headers:
      x-request-id: req_1
    status:
      code: 404
      message: ''
version: 1
"""


def test_v1_to_v2_fills_what_vcrpy_does_not_record() -> None:
    cassette = v1_to_v2(yaml.safe_load(VCRPY_CASSETTE))
    first, second = cassette.interactions
    assert first.request.proto == "HTTP/1.1"
    assert first.request.headers == {"Accept": ["application/json"], "Content-Type": ["application/json"]}
    assert first.request.content_length == len(first.request.body)
    assert first.response.status == "200 OK"
    assert first.response.content_length == 35
    assert first.response.duration == 0
    assert second.request.body == ""
    assert second.request.content_length == 0
    assert second.response.body == b"\xff\x00\x01"
    assert second.response.headers == {"X-Request-Id": ["req_1"]}
    assert second.response.status == "404 Not Found"
    assert second.response.content_length == -1


def test_converted_file_is_exact_go_vcr_text(tmp_path: Path) -> None:
    src = tmp_path / "v1.yaml"
    src.write_text(VCRPY_CASSETTE)
    text = dump_cassette(load_v1(src))
    assert text.startswith("---\nversion: 2\ninteractions:\n    - id: 0\n")
    assert "        body: !!binary /wAB\n" in text
    assert "        status: 404 Not Found\n        code: 404\n        duration: 0s\n" in text


def test_v2_to_v1_is_what_vcrpy_writes_and_reads() -> None:
    cassette = load_cassette(REFERENCE)
    text = dump_v1(cassette)
    requests, responses = deserialize(text, yamlserializer)
    assert requests[0].method == "POST"
    assert requests[0].uri == "https://api.groq.com/openai/v1/chat/completions"
    assert responses[0]["status"] == {"code": 200, "message": "OK"}
    assert responses[0]["body"]["string"] == cassette.interactions[0].response.body_bytes  # vcrpy hands out bytes
    # vcrpy's own serializer gives the same text for the same data
    data = v2_to_v1(cassette)
    reqs = [VcrRequest._from_dict(i["request"]) for i in data["interactions"]]
    resps = [i["response"] for i in data["interactions"]]
    assert serialize({"requests": reqs, "responses": resps}, yamlserializer) == text


def test_round_trip_v2_v1_v2_keeps_what_both_formats_hold() -> None:
    original = Cassette(
        interactions=[
            Interaction(
                request=Request(
                    content_length=2, body="{}", headers={"Content-Type": ["application/json"]}, url="u", method="POST"
                ),
                response=Response(
                    content_length=-1,
                    body=b"\x00\xff",
                    headers={"X-A": ["1", "2"]},
                    status="429 Too Many Requests",
                    code=429,
                ),
            )
        ]
    )
    back = v1_to_v2(yaml.safe_load(dump_v1(original)))
    assert back == original


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("version: 2\ninteractions: []\n", "already a go-vcr cassette"),
        ("interactions: [\n", "YAML syntax error"),
        ("- a\n", "not a vcrpy cassette"),
        ("version: 1\ninteractions:\n- request: 1\n", "interaction 0 must have a `request`"),
        (
            "version: 1\ninteractions:\n- request: {}\n  response: {status: {code: x}}\n",
            "status code must be an integer",
        ),
    ],
)
def test_bad_input_names_file(tmp_path: Path, text: str, fragment: str) -> None:
    src = tmp_path / "v1.yaml"
    src.write_text(text)
    with pytest.raises(CassetteFormatError, match=fragment) as info:
        load_v1(src)
    assert info.value.path == str(src)
