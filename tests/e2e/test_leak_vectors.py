"""Every way a Groq key or cookie reaches a recording, through the real recording path.

Each vector sends real traffic through the local Groq-compatible server with httpx or the ``groq`` SDK while
``use_cassette`` records. The test first checks the secret really was in the traffic (so it cannot pass by
accident), then that the cassette file holds no trace of it.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import re
import secrets
import string
import threading
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import brotli
import groq
import httpx
import pytest
import zstandard
from click.testing import CliRunner

import groq_vcr
from groq_vcr._content_coding import decode_body
from groq_vcr.cassette import Cassette, Interaction, Request, Response, dump_cassette
from groq_vcr.cli import cli
from groq_vcr.redaction import Redactor
from groq_vcr.testing import FakeGroqConfig, FakeGroqServer, make_fake_api_key, serve_fake_groq

MODEL = "llama-3.3-70b-versatile"
KEY_SHAPE = re.compile(r"gsk_[A-Za-z0-9]{52}")
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:hypothesispytest -p no:anyio\n"


@pytest.fixture
def server() -> Iterator[FakeGroqServer]:
    with serve_fake_groq(FakeGroqConfig(echo_full_key_in_errors=True, cookie_domain=None)) as running:
        yield running


def _chat(content: object = "hello") -> dict[str, object]:
    return {"model": MODEL, "messages": [{"role": "user", "content": content}]}


def _auth(key: str, name: str = "Authorization") -> dict[str, str]:
    return {name: f"Bearer {key}"}


Vector = Callable[[FakeGroqServer, str], str]
"""Sends traffic carrying ``key``; returns the text of what the client saw (to prove the secret was there)."""


def header_lowercase(server: FakeGroqServer, key: str) -> str:
    with httpx.Client(base_url=server.openai_base_url) as client:
        client.post("/chat/completions", json=_chat(), headers=_auth(key, "authorization")).raise_for_status()
    return server.config.received[-1].header("authorization") or ""


def header_uppercase(server: FakeGroqServer, key: str) -> str:
    with httpx.Client(base_url=server.openai_base_url) as client:
        client.post("/chat/completions", json=_chat(), headers=_auth(key, "AUTHORIZATION")).raise_for_status()
    return server.config.received[-1].header("authorization") or ""


def query_parameter(server: FakeGroqServer, key: str) -> str:
    with httpx.Client(base_url=server.openai_base_url) as client:
        response = client.get("/models", params={"api_key": key}, headers=_auth(key))
        response.raise_for_status()
    return str(response.request.url)


def json_field_and_nested_list(server: FakeGroqServer, key: str) -> str:
    body = {**_chat(), "metadata": {"groq_key": key, "keys": ["x", {"nested": [key]}]}}
    with httpx.Client(base_url=server.openai_base_url) as client:
        response = client.post("/chat/completions", json=body, headers=_auth(key))
        response.raise_for_status()
    return response.request.content.decode()


def multipart_field(server: FakeGroqServer, key: str) -> str:
    with groq.Groq(base_url=server.groq_base_url, api_key=key, max_retries=0) as client:
        client.audio.translations.create(file=("a.ogg", b"OggS fake audio"), model="whisper-large-v3", prompt=key)
    return server.config.received[-1].body.decode("latin-1")


def echoed_in_401_error_body(server: FakeGroqServer, key: str) -> str:
    with httpx.Client(base_url=server.openai_base_url) as client:
        response = client.post("/chat/completions", json=_chat(), headers={"Authorization": f"Token {key}"})
    assert response.status_code == 401
    return response.text


def inside_an_sse_chunk(server: FakeGroqServer, key: str) -> str:
    with groq.Groq(base_url=server.groq_base_url, api_key=key, max_retries=0) as client:
        chunks = list(client.chat.completions.create(**_chat(f"please repeat {key} back"), stream=True))  # type: ignore[call-overload]
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def set_cookie_and_cookie(server: FakeGroqServer, key: str) -> str:
    with httpx.Client(base_url=server.openai_base_url) as client:
        first = client.post("/chat/completions", json=_chat(), headers=_auth(key))
        cookie = first.headers["set-cookie"]
        client.post("/chat/completions", json=_chat("again"), headers=_auth(key)).raise_for_status()
    sent = server.config.received[-1].header("cookie") or ""
    assert "__cf_bm=" in sent, "httpx did not send the cookie back"
    return cookie + "\n" + sent


VECTORS = [
    header_lowercase,
    header_uppercase,
    query_parameter,
    json_field_and_nested_list,
    multipart_field,
    echoed_in_401_error_body,
    inside_an_sse_chunk,
    set_cookie_and_cookie,
]


@pytest.mark.parametrize("vector", VECTORS, ids=[v.__name__ for v in VECTORS])
def test_no_secret_reaches_the_cassette(vector: Vector, server: FakeGroqServer, tmp_path: Path) -> None:
    key = make_fake_api_key()
    cassette = tmp_path / "leak.yaml"
    with groq_vcr.use_cassette(cassette, record_mode="all"):
        seen = vector(server, key)
    cookies = re.findall(r"__cf_bm=([^;\s]+)", seen)
    assert key in seen or cookies, "the vector did not carry its secret"
    text = cassette.read_text()
    assert key not in text
    assert not KEY_SHAPE.search(text)
    for value in cookies:
        assert value not in text
    assert groq_vcr.load_cassette(cassette).interactions  # the file is a valid cassette
    # And it replays with another key: matching ignores what was redacted.
    if vector is not set_cookie_and_cookie:  # (its second request depends on the live cookie jar)
        with groq_vcr.use_cassette(cassette, record_mode="none") as session:
            vector(server, make_fake_api_key())
        assert not session.player.unused()


HOOKED = r"""
import os
import httpx
import pytest


def leak(response):
    response["headers"]["X-Debug"] = [os.environ["LEAKED_KEY"]]
    return response


def leak_after_redaction(cassette):
    cassette.interactions[0].response.headers["X-Debug"] = [os.environ["LEAKED_KEY"]]
    return cassette


@pytest.fixture
def vcr_config():
    return {"before_record_response": leak, "groq_vcr_before_write": leak_after_redaction}


@pytest.mark.vcr
def test_hook_puts_a_key_back():
    with httpx.Client() as client:
        client.post(os.environ["BASE"] + "/chat/completions",
                    headers={"Authorization": "Bearer " + os.environ["LEAKED_KEY"]},
                    json={"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": "hi"}]})
"""


def test_a_key_added_by_a_recording_hook_is_redacted_like_any_other(
    pytester: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = make_fake_api_key()
    pytester.makepyfile(test_hooked=HOOKED.replace('"groq_vcr_before_write": leak_after_redaction', ""))
    pytester.makeini(INI)
    monkeypatch.setenv("BASE", server.openai_base_url)
    monkeypatch.setenv("LEAKED_KEY", key)
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    text = (pytester.path / "cassettes" / "test_hooked" / "test_hook_puts_a_key_back.yaml").read_text()
    assert key not in text
    assert "X-Debug:\n                - gsk_REDACTED\n" in text


def test_save_is_refused_when_a_user_hook_reinserts_a_secret(
    pytester: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = make_fake_api_key()
    pytester.makepyfile(test_hooked=HOOKED)
    pytester.makeini(INI)
    monkeypatch.setenv("BASE", server.openai_base_url)
    monkeypatch.setenv("LEAKED_KEY", key)
    result = pytester.runpytest("--record-mode=once")
    result.assert_outcomes(passed=1, errors=1)
    out = result.stdout.str()
    assert "Refusing to write" in out
    assert "response.headers.X-Debug[0]: rule groq-api-key" in out
    assert key not in out  # the message masks the secret it names
    assert not (pytester.path / "cassettes" / "test_hooked" / "test_hook_puts_a_key_back.yaml").exists()


def test_user_hooks_apply_to_what_is_recorded(
    pytester: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_hooked=HOOKED.replace('"groq_vcr_before_write": leak_after_redaction', "")
        .replace('[os.environ["LEAKED_KEY"]]', '["added by a hook"]')
        .replace('"before_record_response": leak', '"before_record_response": leak, "filter_headers": ["x-custom"]')
        .replace('"Authorization":', '"X-Custom": "drop me", "Authorization":')
    )
    pytester.makeini(INI)
    monkeypatch.setenv("BASE", server.openai_base_url)
    monkeypatch.setenv("LEAKED_KEY", server.api_key)
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    (interaction,) = groq_vcr.load_cassette(
        pytester.path / "cassettes" / "test_hooked" / "test_hook_puts_a_key_back.yaml"
    ).interactions
    assert interaction.response.headers["X-Debug"] == ["added by a hook"]
    assert "X-Custom" not in interaction.request.headers  # vcrpy's filter_headers
    assert interaction.response.proto == "HTTP/1.1"
    assert interaction.response.duration > 0


# --- secrets followed by value, through encodings ----------------------------------------------------------
#
# A local echo server sends back what the client sent (credentials included) in the encoding a query parameter
# asks for. The secret is a fresh random token of no known shape, so only redaction by value can remove it.


def _fresh_token() -> str:
    return "tok" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(29))


def _encode(coding: str, data: bytes) -> bytes:
    if coding == "gzip":
        return gzip.compress(data, mtime=0)
    if coding == "deflate":  # raw deflate, as some servers send it
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return packer.compress(data) + packer.flush()
    if coding == "br":
        return bytes(brotli.compress(data))
    if coding == "zstd":
        return bytes(zstandard.ZstdCompressor().compress(data))
    return data


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        token = (self.headers.get("Authorization") or " ").split(" ", 1)[1]
        seen = {"error": f"invalid token {token}", "cookie": self.headers.get("Cookie"), "body": body.decode()}
        if query.get("as") == ["sse"]:
            events = [
                f"data: {json.dumps({'choices': [{'index': 0, 'delta': {'content': token[i : i + 3]}}]})}\n\n"
                for i in range(0, len(token), 3)
            ]
            payload = ("".join(events) + "data: [DONE]\n\n").encode()
            content_type = "text/event-stream"
        else:
            payload = (
                json.dumps(seen).encode()
                if query.get("as") != ["escaped"]
                else json.dumps(seen).replace(token[5:15], "".join(f"\\u{ord(c):04x}" for c in token[5:15])).encode()
            )
            content_type = "application/json"
        coding = (query.get("coding") or ["identity"])[0]
        payload = _encode(coding, payload)
        self.send_response(401 if query.get("status") == ["401"] else 200)
        self.send_header("Content-Type", content_type)
        if coding != "identity":
            self.send_header("Content-Encoding", coding)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _value_vectors(token: str) -> dict[str, tuple[str, dict[str, str], bytes]]:
    auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    return {
        "401_body_quotes_a_non_gsk_token": ("status=401", auth, b"{}"),
        "body_quotes_base64_and_percent_forms": (
            "",
            auth,
            json.dumps({"b64": base64.b64encode(b"x:" + token.encode()).decode(), "pct": quote(token)}).encode(),
        ),
        "json_unicode_escapes_partial": ("as=escaped", auth, b"{}"),
        "quoted_cookie_and_cookies_after_it": (
            "",
            {**auth, "Cookie": f'q="{token}x"; user[token]={token}y,z; last={token}z'},
            b"{}",
        ),
        "brotli_response": ("coding=br", auth, b"{}"),
        "split_across_sse_events": ("as=sse", auth, b"{}"),
        "split_across_sse_events_gzip": ("as=sse&coding=gzip", auth, b"{}"),
        "zstd_response": ("coding=zstd", auth, b"{}"),
        "raw_deflate_response": ("coding=deflate", auth, b"{}"),
        "gzip_response": ("coding=gzip", auth, b"{}"),
        "gzip_request_body": (
            "",
            {**auth, "Content-Encoding": "gzip"},
            gzip.compress(json.dumps({"prompt": token}).encode(), mtime=0),
        ),
    }


VALUE_VECTORS = sorted(_value_vectors("x" * 32))


def _traces(token: str) -> list[str]:
    """Every form of ``token`` that must not be on disk: whole, any 12-character window, base64, percent-encoded."""
    forms = {token, quote(token, safe=""), "".join(f"%{b:02X}" for b in token.encode())}
    forms |= {token[i : i + 12] for i in range(len(token) - 11)}
    forms |= {base64.b64encode(token.encode()).decode().rstrip("=")[:40]}
    return sorted(forms)


def _assert_no_trace(text: str, token: str, what: str) -> None:
    for form in _traces(token):
        assert form not in text, f"{what} holds {form!r}"


def _decoded_bodies(path: Path) -> Iterator[str]:
    for interaction in groq_vcr.load_cassette(path).interactions:
        for message in (interaction.request, interaction.response):
            body = message.body
            if isinstance(body, bytes):
                for coding in ("gzip", "deflate", "br", "zstd"):
                    with contextlib.suppress(Exception):
                        body = decode_body([coding], body)
                        break
                yield body.decode("latin-1")
            else:
                yield body


def _reassembled(stream: str) -> str:
    """The content a client rebuilds from a stream's deltas."""
    pieces = [json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data: {")]
    return "".join(p["choices"][0]["delta"]["content"] for p in pieces)


@pytest.mark.parametrize("vector", VALUE_VECTORS)
def test_a_credential_value_is_removed_in_every_encoding(vector: str, echo: str, tmp_path: Path) -> None:
    token = _fresh_token()
    query, headers, body = _value_vectors(token)[vector]
    cassette = tmp_path / "leak.yaml"
    with groq_vcr.use_cassette(cassette, record_mode="all"), httpx.Client() as client:
        seen = client.post(f"{echo}/echo?{query}", content=body, headers=headers)
    assert token in seen.text + _reassembled(seen.text) or "\\u" in seen.text, "the vector did not carry its secret"
    text = cassette.read_text()
    _assert_no_trace(text, token, "the cassette")
    for decoded in _decoded_bodies(cassette):
        _assert_no_trace(decoded + _reassembled(decoded), token, "a decoded body")
    assert not [f for f in Redactor().scan_text(text, source=str(cassette)) if token in f.excerpt]
    # it replays (no frame was edited) with the network gone
    with groq_vcr.use_cassette(cassette, record_mode="none"), httpx.Client() as client:
        replayed = client.post(f"{echo}/echo?{query}", content=body, headers=headers)
    assert replayed.status_code == seen.status_code
    if "as=sse" in query:  # still a valid stream, whose reassembled text now holds the placeholder
        assert _reassembled(replayed.text) == "REDACTED"
    elif "coding=" in query:
        assert replayed.json()["error"] == "invalid token REDACTED"


# --- nothing prints a secret ----------------------------------------------------------------------------------


def test_a_replay_miss_never_prints_the_key_in_its_url_or_body(echo: str, tmp_path: Path) -> None:
    key = make_fake_api_key()
    cassette = tmp_path / "miss.yaml"
    with groq_vcr.use_cassette(cassette, record_mode="all"), httpx.Client() as client:
        client.post(f"{echo}/echo?note=x", json={"prompt": "a"}, headers={"Authorization": "Token abcdefgh12345678"})
    escaped = "".join(f"\\u{ord(c):04x}" for c in key)
    replay = groq_vcr.use_cassette(cassette, record_mode="none")
    with replay, pytest.raises(groq_vcr.NoMatchError) as caught, httpx.Client() as client:
        client.post(
            f"{echo}/echo?note={key}",
            content=('{"prompt": "' + escaped + '"}').encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
    message = str(caught.value)
    assert "No recorded interaction matches" in message
    _assert_no_trace(message, key, "the miss message")


def test_show_masks_a_key_split_across_stream_events_unless_asked(tmp_path: Path) -> None:
    key = make_fake_api_key()
    events = "".join(
        f"data: {json.dumps({'choices': [{'index': 0, 'delta': {'content': key[i : i + 3]}}]})}\n\n"
        for i in range(0, len(key), 3)
    )
    cassette = tmp_path / "split.yaml"
    recorded = Interaction(
        request=Request(method="POST", url="https://api.groq.com/openai/v1/chat/completions", body="{}"),
        response=Response(
            code=200, status="200 OK", headers={"Content-Type": ["text/event-stream"]}, body=events + "data: [DONE]\n\n"
        ),
    )
    cassette.write_text(dump_cassette(Cassette(interactions=[recorded])))
    shown = CliRunner().invoke(cli, ["show", str(cassette), "--full"])
    assert shown.exit_code == 0, shown.output
    _assert_no_trace(shown.output, key, "groq-vcr show")
    assert "gsk_REDACTED" in shown.output
    unmasked = CliRunner().invoke(cli, ["show", str(cassette), "--full", "--show-secrets"])
    assert key in unmasked.output
