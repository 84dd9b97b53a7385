"""curl command text -> request specs (tokenising, documents with prose, options, errors)."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest

from groq_vcr import InputError
from groq_vcr.cli.record._curl import extract_curl_commands, parse_curl, parse_curl_text
from groq_vcr.cli.record._request_spec import MISSING_FILE_PLACEHOLDER, load_request_specs
from groq_vcr.cli.record._sender import read_pasted_responses, redirect_url

SEED = Path("/work/shared/seeds/000_f3df5dee32a3ef46.txt")


def fake_key() -> str:
    return "gsk_" + "".join(random.choices(string.ascii_letters + string.digits, k=52))


def seed_like_document(key: str, audio_path: str = "/C:/Users/Someone/Downloads/note 10.26.08 PM.ogg") -> str:
    """The shape of the QA seed: prose, curl commands with continuations and multi-line --data, responses."""
    return f"""Home Assignments 1:

a) chat
-------
API request:
curl --location 'https://api.groq.com/openai/v1/chat/completions' \\
--header 'Content-Type: application/json' \\
--header 'Authorization: Bearer {key}' \\
--data '{{
"model": "openai/gpt-oss-120b",
"messages": [{{
    "role": "user",
    "content": "say \\"hi\\" twice"
}}]
}}'

Resposne:
{{
    "id": "chatcmpl-1",
    "choices": [{{"index": 0, "message": {{"role": "assistant", "content": "ok"}}, "finish_reason": "stop"}}]
}}

b) audio
API request:

curl --location 'https://api.groq.com/openai/v1/audio/translations' \\
--header 'Content-Type: multipart/form-data' \\
--header 'Authorization: Bearer {key}' \\
--form 'file=@"{audio_path}"' \\
--form 'model="whisper-large-v3"'

API response: (I recorded the audio)
{{
    "text": " OpenAI is very interesting one."
}}
"""


def test_document_commands_are_found_with_their_lines() -> None:
    commands = extract_curl_commands(seed_like_document(fake_key()), origin="notes.txt")
    assert [(c.index, c.line) for c in commands] == [(1, 6), (2, 26)]
    assert commands[0].text.endswith("}'")
    assert commands[1].text.endswith("--form 'model=\"whisper-large-v3\"'")


def test_document_commands_parse_to_specs() -> None:
    key = fake_key()
    chat, audio = parse_curl_text(seed_like_document(key), origin="notes.txt")
    assert (chat.method, chat.url) == ("POST", "https://api.groq.com/openai/v1/chat/completions")
    assert chat.header("Authorization") == f"Bearer {key}"
    assert chat.follow_redirects is True
    assert chat.body is not None
    assert json.loads(chat.body)["messages"][0]["content"] == 'say "hi" twice'
    assert json.loads(chat.body)["model"] == "openai/gpt-oss-120b"
    assert audio.method == "POST"
    assert audio.form == [("model", "whisper-large-v3")]
    assert [(f.field, f.path, f.upload_name) for f in audio.files] == [
        ("file", "/C:/Users/Someone/Downloads/note 10.26.08 PM.ogg", "note 10.26.08 PM.ogg")
    ]


def test_the_real_seed_parses() -> None:
    specs = parse_curl_text(SEED.read_text(encoding="utf-8"), origin=SEED.name)
    assert [s.url.rsplit("/", 2)[-2:] for s in specs] == [
        ["chat", "completions"],
        ["audio", "translations"],
        ["chat", "completions"],
    ]
    vision = json.loads(specs[2].body or b"")
    assert vision["messages"][0]["content"][1]["image_url"]["url"].startswith("data:image/png;base64,iVBOR")
    assert specs[1].files[0].upload_type == "audio/ogg"


@pytest.mark.parametrize(
    ("command", "method", "url", "headers", "body"),
    [
        ("curl https://x.test/v1/models", "GET", "https://x.test/v1/models", [], None),
        (
            "curl -XPOST https://x.test/a -d 'a=1' -d b=2",
            "POST",
            "https://x.test/a",
            [("Content-Type", "application/x-www-form-urlencoded")],
            b"a=1&b=2",
        ),
        (
            "curl -sSL -X put 'https://x.test/a' -H 'X-A: 1' -H 'X-A: 2'",
            "PUT",
            "https://x.test/a",
            [("X-A", "1"), ("X-A", "2")],
            None,
        ),
        (
            "curl https://x.test/a --json '{\"a\": 1}'",
            "POST",
            "https://x.test/a",
            [("Content-Type", "application/json"), ("Accept", "application/json")],
            b'{"a": 1}',
        ),
        (
            "curl https://x.test/a --data-raw '[1]'",
            "POST",
            "https://x.test/a",
            [("Content-Type", "application/json")],
            b"[1]",
        ),
        ("curl -G https://x.test/a?x=1 -d y=2", "GET", "https://x.test/a?x=1&y=2", [], None),
        ("curl -I https://x.test/a", "HEAD", "https://x.test/a", [], None),
        ("curl https://x.test/a -H 'Accept:' -H 'X-Empty;'", "GET", "https://x.test/a", [("X-Empty", "")], None),
        (
            "curl --url https://x.test/a -u user:pw -A agent/1",
            "GET",
            "https://x.test/a",
            [("Authorization", "Basic dXNlcjpwdw=="), ("User-Agent", "agent/1")],
            None,
        ),
        ('$ curl "https://x.test/a#frag" -o out.json -w "%{http_code}"', "GET", "https://x.test/a#frag", [], None),
    ],
)
def test_options(command: str, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None) -> None:
    spec = parse_curl(command)
    assert (spec.method, spec.url, spec.headers, spec.body) == (method, url, headers, body)


def test_form_options_type_and_filename(tmp_path: Path) -> None:
    (tmp_path / "clip.ogg").write_bytes(b"OggS\x00\x01")
    spec = parse_curl(
        "curl https://x.test/up -F 'file=@clip.ogg;type=audio/x-custom;filename=renamed.ogg' -F temperature=0",
        base_dir=tmp_path,
    )
    assert spec.part_order == [("file", 0), ("form", 0)]
    headers, body = spec.encode()
    content_type = dict(headers)["Content-Type"]
    boundary = content_type.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert b'name="file"; filename="renamed.ogg"\r\nContent-Type: audio/x-custom\r\n\r\nOggS\x00\x01\r\n' in body
    assert b'name="temperature"\r\n\r\n0\r\n' in body
    assert spec.encode() == (headers, body), "the multipart boundary is deterministic"


def test_data_from_file_strips_newlines_like_curl(tmp_path: Path) -> None:
    (tmp_path / "body.json").write_text('{"a":\n 1}\n')
    assert parse_curl("curl https://x.test -d @body.json", base_dir=tmp_path).body == b'{"a": 1}'
    assert parse_curl("curl https://x.test --data-binary @body.json", base_dir=tmp_path).body == b'{"a":\n 1}\n'


def test_missing_upload_is_an_error_naming_the_command_unless_importing() -> None:
    _, audio = parse_curl_text(seed_like_document(fake_key()), origin="notes.txt")
    with pytest.raises(InputError) as info:
        audio.encode()
    message = str(info.value)
    assert message.startswith('curl command 2 (notes.txt:26) "curl --location')
    assert "note 10.26.08 PM.ogg" in message
    assert "--response" in message
    _, body = audio.encode(missing_files="placeholder")
    assert MISSING_FILE_PLACEHOLDER.format(path=audio.files[0].path).encode() in body


def test_invalid_json_names_the_command_and_the_line() -> None:
    document = seed_like_document(fake_key()).replace('"model": "openai/gpt-oss-120b",', '"model": openai,')
    with pytest.raises(InputError) as info:
        parse_curl_text(document, origin="notes.txt")
    message = str(info.value)
    assert message.startswith('curl command 1 (notes.txt:6) "curl --location')
    assert "JSON body is invalid at notes.txt:10" in message


def test_messages_never_show_a_key() -> None:
    key = fake_key()
    with pytest.raises(InputError) as info:
        parse_curl(f"curl -H 'Authorization: Bearer {key}' --bogus https://x.test")
    assert key not in str(info.value)
    assert key[:12] not in str(info.value)
    assert "unsupported curl option --bogus" in str(info.value)


@pytest.mark.parametrize(
    ("option", "instead"),
    [
        ("--proxy http://127.0.0.1:3128", "set HTTPS_PROXY (or HTTP_PROXY, ALL_PROXY) in the environment instead"),
        ("-x http://127.0.0.1:3128", "set HTTPS_PROXY (or HTTP_PROXY, ALL_PROXY) in the environment instead"),
        ("--cert client.pem", "groq-vcr record sends no client certificate"),
        ("--key client.key", "groq-vcr record sends no client certificate"),
        ("-E client.pem", "groq-vcr record sends no client certificate"),
        ("--cacert ca.pem", "set SSL_CERT_FILE or SSL_CERT_DIR in the environment instead"),
        ("--retry 3", "use its --max-retries and --max-wait"),
        ("--retry-delay 2", "use its --max-retries and --max-wait"),
        ("-k", "groq-vcr record always verifies TLS certificates; remove it"),
        ("--insecure", "groq-vcr record always verifies TLS certificates; remove it"),
        ("-sSk", "groq-vcr record always verifies TLS certificates; remove it"),
        ("--max-time 30", "pass --timeout SECONDS to groq-vcr record"),
        ("-m 30", "pass --timeout SECONDS to groq-vcr record"),
        ("-m30", "pass --timeout SECONDS to groq-vcr record"),
        ("--resolve api.groq.com:443:127.0.0.1", "pass --base-url URL to groq-vcr record"),
    ],
)
def test_options_that_change_how_the_call_is_sent_are_refused_with_what_to_do_instead(
    option: str, instead: str
) -> None:
    with pytest.raises(InputError) as info:
        parse_curl(f"curl https://x.test/a {option}")
    name = option.split()[0]
    name = "-k" if name == "-sSk" else name[:2] if name == "-m30" else name
    assert f"curl option {name} is not followed: " in str(info.value)
    assert instead in str(info.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("curl https://x.test -d '{}", "single quote opened on line 1 is never closed"),
        ("curl -H 'X: 1'", "has no URL"),
        ("curl ftp://x.test", "is not an http(s) URL"),
        ("curl https://x.test https://y.test", "more than one URL"),
        ("curl https://x.test -H", "option -H needs a value"),
        ("curl https://x.test -H 'NoColon'", "has no ':'"),
        ("curl https://x.test -d a -F b=c", "mixes --data and --form"),
        ("curl https://x.test -d @nope.json", "--data @nope.json: the file cannot be read"),
        ("the docs say curl is great", "no curl command found"),
    ],
)
def test_errors(text: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_curl_text(text, base_dir=tmp_path)


def test_request_spec_file(tmp_path: Path) -> None:
    (tmp_path / "clip.ogg").write_bytes(b"OggS")
    spec_file = tmp_path / "calls.yaml"
    spec_file.write_text(
        "- url: https://api.groq.com/openai/v1/chat/completions\n"
        "  json: {model: m, messages: [{role: user, content: hi}]}\n"
        "- name: audio\n"
        "  url: https://api.groq.com/openai/v1/audio/translations\n"
        "  form: {model: whisper-large-v3}\n"
        "  files: {file: clip.ogg}\n"
        "- url: https://api.groq.com/openai/v1/models\n"
    )
    chat, audio, models = load_request_specs(spec_file)
    assert chat.method == "POST"
    assert chat.body == b'{"model":"m","messages":[{"role":"user","content":"hi"}]}'
    assert chat.header("content-type") == "application/json"
    assert chat.source == f"request 1 ({spec_file}:1)"
    assert audio.source == f"request 2 ({spec_file}:3) 'audio'"
    assert b"OggS" in audio.encode()[1]
    assert (models.method, models.body) == ("GET", None)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("url: https://x.test\nbody: '{oops'\nheaders: {Content-Type: application/json}\n", "JSON body is invalid"),
        ("- url: https://x.test\n- method: GET\n", r"request 2 \(.*:2\): 'url' is missing"),
        ("url: https://x.test\njson: {}\nbody: x\n", "give only one of json, body"),
        ("url: https://x.test\nfoo: 1\n", "unknown key"),
        ("url: [unclosed\n", "not valid YAML"),
    ],
)
def test_request_spec_errors(content: str, problem: str, tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(content)
    with pytest.raises(InputError, match=problem):
        load_request_specs(path)


@pytest.mark.parametrize(
    ("url", "base", "sent"),
    [
        ("https://api.groq.com/openai/v1/models", None, "https://api.groq.com/openai/v1/models"),
        (
            "https://api.groq.com/openai/v1/models?x=1",
            "http://127.0.0.1:8000",
            "http://127.0.0.1:8000/openai/v1/models?x=1",
        ),
        (
            "https://api.groq.com/openai/v1/models",
            "http://127.0.0.1:8000/openai/v1",
            "http://127.0.0.1:8000/openai/v1/models",
        ),
        ("https://api.groq.com/openai/v1/models", "http://proxy.test/groq/", "http://proxy.test/groq/openai/v1/models"),
    ],
)
def test_redirect_url(url: str, base: str | None, sent: str) -> None:
    assert redirect_url(url, base) == sent


def test_pasted_responses_in_a_document_skip_the_curl_bodies() -> None:
    responses = read_pasted_responses(seed_like_document(fake_key()), origin="notes.txt")
    assert [(r.source, json.loads(r.body)) for r in responses] == [
        (
            "notes.txt:18",
            {
                "id": "chatcmpl-1",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            },
        ),
        ("notes.txt:33", {"text": " OpenAI is very interesting one."}),
    ]
    assert responses[0].body.startswith(b'{"id":"chatcmpl-1","choices":'), "stored compact, as Groq sends JSON"


@pytest.mark.parametrize(
    ("text", "code", "headers", "content_type"),
    [
        ('[{"a": 1}]', 200, [], "application/json"),
        (
            'HTTP/1.1 429 Too Many Requests\nretry-after: 3\n\n{"error": {}}',
            429,
            [("retry-after", "3")],
            "application/json",
        ),
        ('data: {"x": 1}\n\ndata: [DONE]', 200, [], "text/event-stream"),
    ],
)
def test_pasted_response_forms(text: str, code: int, headers: list[tuple[str, str]], content_type: str) -> None:
    (response,) = read_pasted_responses(text, origin="r.txt")
    assert (response.code, response.headers, response.content_type) == (code, headers, content_type)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the response file is empty"),
        ("Response: none", "no JSON response found"),
        ('Response:\n{\n  "a": 1,\n}\n', r"r.txt:4: the pasted response that starts on line 2 is not valid JSON"),
    ],
)
def test_pasted_response_errors(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        read_pasted_responses(text, origin="r.txt")


def test_a_device_is_refused_instead_of_read_forever() -> None:
    with pytest.raises(InputError, match="not a regular file"):
        parse_curl("curl https://api.groq.com/openai/v1/models -d @/dev/zero")
