"""``groq-vcr serve`` and ``groq-vcr proxy``: started as real processes (the servers' lifetime, signals and
shutdown are what users run), with curl and the groq SDK as clients; their help and input errors in process."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import groq
import httpx
import pytest
from click.testing import Result

from groq_vcr import Cassette, Interaction, Request, Response, load_cassette, parse_events, save_cassette
from groq_vcr.testing import FakeGroqServer, FakeReply, make_fake_api_key, serve_fake_groq

Invoke = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "cassettes" / "groq_chat_stream.yaml"
GROQ_VCR = str(Path(sys.executable).parent / "groq-vcr")
CURL = shutil.which("curl") or "curl"
KEY_PATTERN = re.compile(r"gsk_[A-Za-z0-9]{52}")

# The request the reference cassette recorded (openai-go's body, key order as sent).
REFERENCE_MESSAGES = [
    {"content": "You are a helpful assistant", "role": "system"},
    {"content": "Say hi in Portuguese", "role": "user"},
]
REFERENCE_MODEL = "moonshotai/kimi-k2-instruct-0905"
REFERENCE_BODY = json.dumps(
    {
        "messages": REFERENCE_MESSAGES,
        "model": REFERENCE_MODEL,
        "max_tokens": 4000,
        "stream_options": {"include_usage": True},
        "stream": True,
    }
)


def _reference_stream() -> bytes:
    return load_cassette(REFERENCE).interactions[0].response.body_bytes


@dataclass
class Running:
    """A ``groq-vcr`` server subprocess and the address it printed."""

    process: subprocess.Popen[str]
    base_url: str

    def stop(self) -> tuple[int, str]:
        """SIGINT it; its exit code and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            _, stderr = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
        return self.process.returncode, stderr


@contextmanager
def groq_vcr(*args: str, cwd: Path | None = None) -> Iterator[Running]:
    """Start ``groq-vcr ARGS --port 0``, wait for its ``Serving on`` line, and stop it after the block."""
    process = subprocess.Popen(
        [GROQ_VCR, *args, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    if not first.startswith("Serving on http://127.0.0.1:"):
        process.kill()
        _, stderr = process.communicate()
        pytest.fail(f"groq-vcr {' '.join(args)} did not start: {first!r}\n{stderr}")
    running = Running(process, first.removeprefix("Serving on ").strip())
    try:
        yield running
    finally:
        if process.poll() is None:
            running.stop()


def curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([CURL, "-sS", "--max-time", "20", *args], capture_output=True, check=False, timeout=30)


# --------------------------------------------------------------------------------------------------- help, errors


@pytest.mark.parametrize("command", ["serve", "proxy"])
def test_help_shows_an_example(invoke_cli: Invoke, command: str) -> None:
    result = invoke_cli(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout
    assert f"groq-vcr {command} " in result.stdout
    assert "--port" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "no/such/cassette.yaml"], "error: No cassette file or directory at no/such/cassette.yaml"),
        (["proxy", "--cassette", "x.yaml", "--upstream", "api.groq.com"], "error: --upstream 'api.groq.com' is not"),
    ],
)
def test_bad_input_is_one_error_line_a_hint_and_exit_2(invoke_cli: Invoke, args: list[str], message: str) -> None:
    result = invoke_cli(*args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(message)
    assert lines[1].startswith("hint: ")
    assert result.stdout == ""


def test_a_malformed_cassette_is_reported_with_its_location(invoke_cli: Invoke, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("---\nversion: 2\ninteractions:\n    - id: 0\n      request: [\n")
    result = invoke_cli("serve", broken)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {broken}:")
    assert result.stdout == ""


# --------------------------------------------------------------------------------------------------- serve


def test_serve_replays_the_reference_stream_to_curl_one_event_per_chunk() -> None:
    expected = _reference_stream()
    with groq_vcr("serve", str(REFERENCE)) as server:
        raw = curl(
            "--raw",
            "-N",
            "-D",
            "-",
            f"{server.base_url}/openai/v1/chat/completions",
            "-H",
            "Content-Type: application/json",
            "-d",
            REFERENCE_BODY,
        )
        code, stderr = server.stop()
    assert raw.returncode == 0, raw.stderr
    head, _, chunked = raw.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"content-type: text/event-stream" in head.lower()
    assert b"transfer-encoding: chunked" in head.lower()
    # --raw keeps the chunked framing: one chunk per recorded SSE event, in order, byte for byte.
    chunks = []
    rest = chunked
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        chunks.append(rest[:size])
        rest = rest[size + 2 :]
    assert b"".join(chunks) == expected
    assert [len(parse_events(chunk)) for chunk in chunks] == [1] * 6
    assert code == 0
    assert "Replaying 1 interactions" in stderr


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_groq_sdk_streams_through_serve_with_the_network_blocked() -> None:
    with groq_vcr("serve", str(REFERENCE)) as server:
        client = groq.Groq(base_url=server.base_url, api_key=make_fake_api_key(), max_retries=0)
        stream = client.chat.completions.create(
            messages=REFERENCE_MESSAGES,  # type: ignore[arg-type]
            model=REFERENCE_MODEL,
            max_tokens=4000,
            stream=True,
            extra_body={"stream_options": {"include_usage": True}},  # the groq SDK has no such parameter
        )
        chunks = list(stream)
        client.close()
        probe = socket.socket()  # the block really is on: only 127.0.0.1 may be reached
        try:
            with pytest.raises(RuntimeError, match="Network is disabled"):
                probe.connect(("192.0.2.1", 80))
        finally:
            probe.close()
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Oi!"
    assert chunks[0].x_groq is not None
    assert chunks[0].x_groq.id == "req_01k603zbfcf8dsp979qsgatzpy"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 23


def test_a_miss_raises_not_found_with_the_pytest_explanation() -> None:
    with groq_vcr("serve", str(REFERENCE)) as server:
        client = groq.Groq(base_url=server.base_url, api_key=make_fake_api_key(), max_retries=0)
        with pytest.raises(groq.NotFoundError) as caught:
            client.chat.completions.create(
                messages=[{"role": "user", "content": "Say hi in French"}],
                model=REFERENCE_MODEL,
                stream=True,
            )
        client.close()
        by_curl = curl(f"{server.base_url}/openai/v1/models", "-w", "\n%{http_code}")
    message = str(caught.value)
    assert "No recorded interaction matches POST https://api.groq.com/openai/v1/chat/completions" in message
    assert f"cassette: {REFERENCE}" in message
    assert "closest: #0 POST https://api.groq.com/openai/v1/chat/completions" in message
    assert "differs at body['messages']" in message
    assert f're-record: groq-vcr proxy --upstream https://api.groq.com --cassette {REFERENCE}"' in message
    assert "--record-mode" not in message
    body, _, status = by_curl.stdout.decode().rpartition("\n")
    assert status == "404"
    error = json.loads(body)["error"]
    assert (error["type"], error["code"]) == ("groq_vcr_no_match", "no_recorded_interaction")
    assert error["message"].startswith("No recorded interaction matches GET https://api.groq.com/openai/v1/models")


def test_identical_requests_are_answered_once_each_unless_repeats_are_allowed() -> None:
    url_args = ["-H", "Content-Type: application/json", "-d", REFERENCE_BODY, "-w", "\n%{http_code}"]
    with groq_vcr("serve", str(REFERENCE)) as server:
        url = f"{server.base_url}/openai/v1/chat/completions"
        codes = [curl(url, *url_args).stdout.decode().rpartition("\n")[2] for _ in range(2)]
        second = curl(url, *url_args).stdout.decode()
    assert codes == ["200", "404"]
    assert "made more times than it was recorded (allow repeats with groq-vcr serve --allow-repeats)" in second
    assert "--record-mode" not in second
    assert "vcr_config" not in second
    with groq_vcr("serve", str(REFERENCE), "--allow-repeats") as server:
        url = f"{server.base_url}/openai/v1/chat/completions"
        codes = [curl(url, *url_args).stdout.decode().rpartition("\n")[2] for _ in range(3)]
    assert codes == ["200", "200", "200"]


def test_pace_answers_what_was_recorded(tmp_path: Path) -> None:
    # How long --pace waits is the replay server's business (tests/unit/test_replay_pace.py): here, the flag is
    # taken and the answer is the recorded one.
    slow = tmp_path / "slow.yaml"
    slow.write_text(REFERENCE.read_text().replace("duration: 94.900458ms", "duration: 20ms"))
    with groq_vcr("serve", str(slow), "--pace") as server:
        result = curl(
            f"{server.base_url}/openai/v1/chat/completions",
            "-H",
            "Content-Type: application/json",
            "-d",
            REFERENCE_BODY,
        )
    assert result.stdout == _reference_stream()


def test_a_directory_merges_its_cassettes_or_serves_the_one_a_header_names(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(REFERENCE, tmp_path / "a" / "first.yaml")
    shutil.copy(REFERENCE, tmp_path / "b" / "second.yaml")
    args = ["-H", "Content-Type: application/json", "-d", REFERENCE_BODY, "-w", "\n%{http_code}"]

    def status(url: str, *extra: str) -> str:
        return curl(url, *args, *extra).stdout.decode().rpartition("\n")[2]

    with groq_vcr("serve", str(tmp_path)) as server:
        url = f"{server.base_url}/openai/v1/chat/completions"
        merged = [status(url) for _ in range(3)]
        picked = [status(url, "-H", "X-Groq-Vcr-Cassette: b/second.yaml") for _ in range(2)]
        unknown = curl(url, *args, "-H", "X-Groq-Vcr-Cassette: c/none.yaml").stdout.decode()
        code, stderr = server.stop()
    assert merged == ["200", "200", "404"]
    assert picked == ["200", "404"]
    body, _, unknown_status = unknown.rpartition("\n")
    assert unknown_status == "404"
    assert json.loads(body)["error"]["type"] == "groq_vcr_no_cassette"
    assert "a/first.yaml, b/second.yaml" in json.loads(body)["error"]["message"]
    assert code == 0
    assert "(2 cassettes)" in stderr


def test_a_directory_serves_no_lock_file_nor_hidden_file(tmp_path: Path) -> None:
    shutil.copy(REFERENCE, tmp_path / "chat.yaml")
    (tmp_path / "chat.yaml.lock").write_text("")
    # A half-written copy (another tool's temporary file) and a hidden folder of old cassettes.
    (tmp_path / ".chat.yaml").write_text(REFERENCE.read_text()[:200])
    (tmp_path / ".old").mkdir()
    shutil.copy(REFERENCE, tmp_path / ".old" / "chat.yaml")
    args = ["-H", "Content-Type: application/json", "-d", REFERENCE_BODY, "-w", "\n%{http_code}"]

    with groq_vcr("serve", str(tmp_path)) as server:
        url = f"{server.base_url}/openai/v1/chat/completions"
        merged = [curl(url, *args).stdout.decode().rpartition("\n")[2] for _ in range(2)]
        hidden = curl(url, *args, "-H", "X-Groq-Vcr-Cassette: .old/chat.yaml").stdout.decode()
        code, stderr = server.stop()
    assert merged == ["200", "404"]  # one copy of the recording is served, not two
    body, _, status = hidden.rpartition("\n")
    assert status == "404"
    assert json.loads(body)["error"]["type"] == "groq_vcr_no_cassette"
    assert json.loads(body)["error"]["message"].endswith("served cassettes: chat.yaml.")
    assert code == 0
    assert f"Replaying 1 interactions from {tmp_path}." in stderr


# --------------------------------------------------------------------------------------------------- proxy

INNER_REPLAY = """
import random
import string

import groq
import httpx
import pytest

BASE = {base!r}


def fresh_key():
    return "gsk_" + "".join(random.choices(string.ascii_letters + string.digits, k=52))


@pytest.fixture
def vcr_cassette_dir():
    return {cassette_dir!r}


@pytest.fixture
def default_cassette_name():
    return {cassette_name!r}


@pytest.mark.vcr
def test_replays_what_curl_and_the_sdk_recorded():
    response = httpx.post(
        BASE + "/openai/v1/chat/completions",
        headers={{"Authorization": "Bearer " + fresh_key()}},
        json={{"model": "llama-3.3-70b-versatile", "messages": [{{"role": "user", "content": "from curl"}}]}},
    )
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == {curl_answer!r}

    client = groq.Groq(base_url=BASE, api_key=fresh_key(), max_retries=0)
    stream = client.chat.completions.create(
        model="llama-3.3-70b-versatile",
        messages=[{{"role": "user", "content": "from the sdk"}}],
        stream=True,
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == {sdk_answer!r}
"""


def test_proxy_records_curl_and_a_streaming_sdk_call_then_pytest_replays_them(
    fake_groq: FakeGroqServer, tmp_path: Path, pytester: pytest.Pytester
) -> None:
    cassette = tmp_path / "recorded" / "through_proxy.yaml"
    with groq_vcr("proxy", "--upstream", fake_groq.base_url, "--cassette", str(cassette), cwd=tmp_path) as proxy:
        by_curl = curl(
            f"{proxy.base_url}/openai/v1/chat/completions",
            "-H",
            f"Authorization: Bearer {fake_groq.api_key}",
            "-H",
            "Content-Type: application/json",
            "-d",
            json.dumps({"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": "from curl"}]}),
        )
        assert by_curl.returncode == 0, by_curl.stderr
        curl_answer = json.loads(by_curl.stdout)["choices"][0]["message"]["content"]
        assert cassette.is_file()  # saved once the response was complete, before the proxy stops

        client = groq.Groq(base_url=proxy.base_url, api_key=fake_groq.api_key, max_retries=0)
        stream = client.chat.completions.create(
            model="llama-3.3-70b-versatile", messages=[{"role": "user", "content": "from the sdk"}], stream=True
        )
        sdk_answer = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        client.close()
        code, stderr = proxy.stop()

    assert code == 0, stderr
    assert "Recorded 2 interactions" in stderr
    assert fake_groq.config.count("/chat/completions") == 2
    text = cassette.read_text()
    assert "gsk_" not in text.replace("gsk_REDACTED", "")
    assert not KEY_PATTERN.search(text)
    assert fake_groq.api_key not in text
    recorded = load_cassette(cassette).interactions
    assert [i.request.url for i in recorded] == [f"{fake_groq.base_url}/openai/v1/chat/completions"] * 2
    assert recorded[1].response.is_event_stream
    assert recorded[1].response.body_bytes.endswith(b"data: [DONE]\n\n")

    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n")
    pytester.makepyfile(
        test_inner=INNER_REPLAY.format(
            base=fake_groq.base_url,
            cassette_dir=str(cassette.parent),
            cassette_name=cassette.stem,
            curl_answer=curl_answer,
            sdk_answer=sdk_answer,
        )
    )
    before = fake_groq.config.count()
    result = pytester.runpytest("--record-mode=none", "--block-network", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    assert fake_groq.config.count() == before  # replayed, not sent
    assert cassette.read_text() == text


def test_proxy_passes_each_event_on_before_the_upstream_sends_the_next(
    fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    gate = threading.Event()
    fake_groq.config.enqueue("/chat/completions", FakeReply(gate=gate, gate_after_events=1))
    cassette = tmp_path / "gated.yaml"
    path = "/openai/v1/chat/completions"
    with groq_vcr("proxy", "--upstream", fake_groq.base_url, "--cassette", str(cassette)) as proxy:
        body = {"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        headers = {"Authorization": f"Bearer {fake_groq.api_key}"}
        with (
            httpx.Client(timeout=20) as client,
            client.stream("POST", proxy.base_url + path, json=body, headers=headers) as response,
        ):
            lines = response.iter_lines()
            first = next(lines)
            # The upstream is holding its second event until the gate opens: the first got through alone.
            assert first.startswith("data: {")
            assert fake_groq.config.events_sent[path] == 1
            assert not cassette.exists()
            gate.set()
            rest = list(lines)
        assert fake_groq.config.events_sent[path] > 2
        code, _ = proxy.stop()
    assert code == 0
    assert "data: [DONE]" in rest
    recorded = load_cassette(cassette).interactions
    assert len(recorded) == 1
    assert recorded[0].response.body_bytes.startswith((first + "\n\n").encode())


def test_proxy_new_episodes_answers_known_requests_from_the_cassette(fake_groq: FakeGroqServer, tmp_path: Path) -> None:
    cassette = tmp_path / "episodes.yaml"
    request = ["-H", "Content-Type: application/json", "-H", f"Authorization: Bearer {fake_groq.api_key}"]
    body = json.dumps({"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": "again"}]})
    with groq_vcr("proxy", "--upstream", fake_groq.base_url, "--cassette", str(cassette)) as proxy:
        first = curl(f"{proxy.base_url}/openai/v1/chat/completions", *request, "-d", body)
    args = ("proxy", "--upstream", fake_groq.base_url, "--cassette", str(cassette), "--record-mode", "new_episodes")
    with groq_vcr(*args) as proxy:
        again = curl(f"{proxy.base_url}/openai/v1/chat/completions", *request, "-d", body)
        models = curl(f"{proxy.base_url}/openai/v1/models", *request)
        code, _ = proxy.stop()
    assert code == 0
    assert again.stdout == first.stdout
    assert json.loads(models.stdout)["object"] == "list"
    assert fake_groq.config.count("/chat/completions") == 1
    assert fake_groq.config.count("/models") == 1
    assert [i.request.url.rsplit("/", 1)[1] for i in load_cassette(cassette).interactions] == [
        "completions",
        "models",
    ]


def test_proxy_answers_502_with_an_explanation_when_the_upstream_is_down(tmp_path: Path) -> None:
    with serve_fake_groq() as gone:
        dead_upstream = gone.base_url
    cassette = tmp_path / "nothing.yaml"
    with groq_vcr("proxy", "--upstream", dead_upstream, "--cassette", str(cassette)) as proxy:
        result = curl(f"{proxy.base_url}/openai/v1/models", "-w", "\n%{http_code}")
        code, _ = proxy.stop()
    body, _, status = result.stdout.decode().rpartition("\n")
    assert status == "502"
    error = json.loads(body)["error"]
    assert error["code"] == "upstream_unreachable"
    assert f"could not reach the upstream {dead_upstream}" in error["message"]
    assert code == 0
    assert not cassette.exists()


def test_proxy_passes_gzip_through_stores_it_decompressed_and_stops_on_sigterm(
    fake_groq: FakeGroqServer, tmp_path: Path
) -> None:
    cassette = tmp_path / "gzip.yaml"
    with groq_vcr("proxy", "--upstream", fake_groq.base_url, "--cassette", str(cassette)) as proxy:
        client = groq.Groq(base_url=proxy.base_url, api_key=fake_groq.api_key, max_retries=0)
        raw = client.chat.completions.with_raw_response.create(
            model="llama-3.3-70b-versatile", messages=[{"role": "user", "content": "zipped"}]
        )
        client.close()
        proxy.process.send_signal(signal.SIGTERM)
        proxy.process.wait(timeout=15)  # SIGTERM alone stops it
        code, stderr = proxy.stop()
    assert raw.headers["content-encoding"] == "gzip"  # the client got the upstream's bytes, undecoded
    live_cookie = raw.headers["set-cookie"].split(";")[0]
    assert raw.parse().choices[0].message.content
    assert code == 0, stderr
    recorded = load_cassette(cassette).interactions[0]
    assert recorded.response.uncompressed
    assert "Content-Encoding" not in recorded.response.headers
    assert json.loads(recorded.response.body_bytes)["choices"][0]["message"]["content"] == (
        raw.parse().choices[0].message.content
    )
    text = cassette.read_text()
    assert live_cookie not in text
    assert not KEY_PATTERN.search(text)


def test_serve_rebases_each_path_onto_its_recorded_origin_and_sends_binary_bodies_as_bytes(tmp_path: Path) -> None:
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\xbb\x00\x00\xff\xfe"
    models = '{"object":"list","data":[]}'
    cassette = tmp_path / "two_origins.yaml"
    save_cassette(
        cassette,
        Cassette(
            [
                Interaction(
                    Request(url="https://api.groq.com/openai/v1/models", method="GET"),
                    Response(body=models, headers={"Content-Type": ["application/json"]}),
                ),
                Interaction(
                    Request(url="https://speech.example/v1/audio/speech?voice=Fritz-PlayAI", method="POST"),
                    Response(body=wav, headers={"Content-Type": ["audio/wav"], "Content-Length": ["999"]}, code=201),
                ),
            ]
        ),
    )
    with groq_vcr("serve", str(cassette)) as server:
        listed = curl(f"{server.base_url}/openai/v1/models")
        audio = curl("-X", "POST", "-D", "-", f"{server.base_url}/v1/audio/speech?voice=Fritz-PlayAI")
    assert listed.stdout.decode() == models
    head, _, body = audio.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201")
    assert (
        f"content-length: {len(wav)}".encode() in head.lower()
    )  # reframed to the body actually sent, not the recorded 999
    assert body == wav
