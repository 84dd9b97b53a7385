"""groq-vcr as a drop-in for a vcrpy + pytest-recording suite: its cassettes, its configuration, its fixtures.

Each test builds a small project through ``pytester``, talks to a stdlib HTTP server on 127.0.0.1 that echoes
what it received (so a replay can be told from a live answer: every live answer has a new serial number), and
records with plain vcrpy (``-p no:groq_vcr``) or with groq-vcr, then replays with the server stopped.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

import groq_vcr
from groq_vcr.testing import make_fake_api_key

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:hypothesispytest -p no:anyio\n"

CLIENT = r"""
import json
import os
import uuid

import httpx
import pytest
import requests

BASE = os.environ["ECHO_BASE"]
KEY = os.environ["ECHO_KEY"]
AUTH = {"Authorization": "Bearer " + KEY}


def post(path, **fields):
    payload = {"nonce": uuid.uuid4().hex if os.environ.get("VARY") else "fixed", **fields}
    r = httpx.post(BASE + path, json=payload, headers=AUTH)
    r.raise_for_status()
    return r.json()
"""


class _Echo(BaseHTTPRequestHandler):
    serial = 0
    lock = threading.Lock()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        with _Echo.lock:
            _Echo.serial += 1
            serial = _Echo.serial
        data = json.dumps({"serial": serial, "method": self.command, "path": self.path, "body": body}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class EchoServer:
    """A loopback HTTP server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        _Echo.serial = 0

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _Echo)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def project(pytester: pytest.Pytester, echo: EchoServer, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makeini(INI)
    monkeypatch.setenv("ECHO_BASE", echo.base_url)
    monkeypatch.setenv("ECHO_KEY", make_fake_api_key())
    return pytester


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


VCRPY_SUITE = (
    CLIENT
    + r"""

@pytest.mark.vcr
def test_httpx_call():
    assert post("/chat", text="hi")["path"] == "/chat"


@pytest.mark.vcr
def test_requests_call():
    r = requests.post(BASE + "/chat", json={"text": "hi", "nonce": str(uuid.uuid4())}, headers=AUTH)
    assert r.json()["method"] == "POST"


@pytest.mark.vcr
def test_two_calls(vcr):
    first, second = post("/a"), post("/b")
    assert second["serial"] == first["serial"] + 1
    assert [r.path for r in vcr.requests] == ["/a", "/b"]
"""
)


def test_a_vcrpy_suite_replays_unchanged_with_groq_vcr_installed(
    project: pytest.Pytester, echo: EchoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_suite=VCRPY_SUITE)
    monkeypatch.setenv("VARY", "1")  # bodies differ on every run: vcrpy's default matching ignores them
    project.runpytest("-p", "no:groq_vcr", "--record-mode=once").assert_outcomes(passed=3)
    cassettes = project.path / "cassettes" / "test_suite"
    for name in ("test_httpx_call", "test_requests_call", "test_two_calls"):
        assert groq_vcr.cassette.cassette_kind(cassettes / f"{name}.yaml") == "vcrpy"
    before = _files(project.path / "cassettes")
    echo.stop()

    result = project.runpytest("--record-mode=none", "--block-network")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*3 cassettes used: 4 interactions replayed, 0 recorded*"])
    assert _files(project.path / "cassettes") == before


def test_a_vcrpy_cassette_stays_vcrpy_when_re_recorded_and_loses_its_key(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_suite=VCRPY_SUITE)
    project.runpytest("-p", "no:groq_vcr", "--record-mode=once", "-k", "httpx").assert_outcomes(passed=1)
    path = project.path / "cassettes" / "test_suite" / "test_httpx_call.yaml"
    key = make_fake_api_key()
    monkeypatch.setenv("ECHO_KEY", key)

    project.runpytest("--record-mode=all", "-k", "httpx").assert_outcomes(passed=1)
    data = yaml.safe_load(path.read_text())
    assert data["version"] == 1  # re-recorded in place, in vcrpy's layout (vcrpy 9 replaces, 8 appends)
    assert key not in path.read_text()
    headers = {k.lower(): v for k, v in data["interactions"][-1]["request"]["headers"].items()}
    assert headers["authorization"] == ["Bearer gsk_REDACTED"] or "REDACTED" in str(headers["authorization"])
    # plain vcrpy still reads what groq-vcr wrote
    project.runpytest("-p", "no:groq_vcr", "--record-mode=none", "-k", "httpx").assert_outcomes(passed=1)


def test_convert_setting_writes_v2_on_re_record(project: pytest.Pytester) -> None:
    project.makepyfile(test_suite=VCRPY_SUITE)
    project.runpytest("-p", "no:groq_vcr", "--record-mode=once", "-k", "httpx").assert_outcomes(passed=1)
    path = project.path / "cassettes" / "test_suite" / "test_httpx_call.yaml"
    project.makepyprojecttoml('[tool.groq-vcr]\nvcrpy-cassettes = "convert"\n')
    # replayed by groq-vcr from the vcrpy file (its body is the same on every run here)
    project.runpytest("--record-mode=none", "-k", "httpx").assert_outcomes(passed=1)
    assert groq_vcr.cassette.cassette_kind(path) == "vcrpy"
    project.runpytest("--record-mode=all", "-k", "httpx").assert_outcomes(passed=1)
    assert path.read_text().startswith("---\nversion: 2\n")
    project.runpytest("--record-mode=none", "--block-network", "-k", "httpx").assert_outcomes(passed=1)


def test_a_mixed_folder_replays(project: pytest.Pytester, echo: EchoServer) -> None:
    project.makepyfile(test_suite=VCRPY_SUITE)
    project.runpytest("-p", "no:groq_vcr", "--record-mode=once", "-k", "httpx").assert_outcomes(passed=1)
    project.runpytest("--record-mode=once", "-k", "two_calls").assert_outcomes(passed=1)
    folder = project.path / "cassettes" / "test_suite"
    assert groq_vcr.cassette.cassette_kind(folder / "test_httpx_call.yaml") == "vcrpy"
    assert (folder / "test_two_calls.yaml").read_text().startswith("---\nversion: 2\n")
    echo.stop()
    project.runpytest("--record-mode=none", "--block-network", "-k", "httpx or two_calls").assert_outcomes(passed=2)


EXTRAS = (
    CLIENT
    + r"""
SHARED_ABS = os.environ["SHARED_ABS"]


@pytest.mark.vcr
def test_source_shared():
    post("/shared")


@pytest.mark.vcr
def test_source_abs():
    post("/abs")


@pytest.mark.vcr("shared.yaml", SHARED_ABS)
def test_uses_extras(vcr):
    serials = [post("/shared")["serial"], post("/abs")["serial"], post("/own")["serial"]]
    assert os.environ.get("EXPECT") != "replayed-extras" or serials[:2] == [1, 2]
    assert len(vcr.data) >= 2
"""
)


def test_extra_cassettes_are_replayed_and_only_the_own_cassette_is_written(
    project: pytest.Pytester,
    echo: EchoServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    shared_abs = tmp_path_factory.mktemp("elsewhere") / "other.yaml"
    monkeypatch.setenv("SHARED_ABS", str(shared_abs))
    project.makepyfile(test_extras=EXTRAS)
    project.runpytest("--record-mode=once", "-k", "source").assert_outcomes(passed=2)
    folder = project.path / "cassettes" / "test_extras"
    (folder / "test_source_shared.yaml").rename(folder / "shared.yaml")
    (folder / "test_source_abs.yaml").rename(shared_abs)
    shared_before, abs_before = (folder / "shared.yaml").read_bytes(), shared_abs.read_bytes()

    monkeypatch.setenv("EXPECT", "replayed-extras")  # the server has answered serials 1 and 2 only
    result = project.runpytest("--record-mode=new_episodes", "-k", "uses_extras")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*2 interactions replayed, 1 recorded*"])
    own = groq_vcr.load_cassette(folder / "test_uses_extras.yaml")
    assert [i.request.url.rsplit("/", 1)[1] for i in own.interactions] == ["own"]
    assert (folder / "shared.yaml").read_bytes() == shared_before
    assert shared_abs.read_bytes() == abs_before

    echo.stop()
    project.runpytest("--record-mode=none", "--block-network", "-k", "uses_extras").assert_outcomes(passed=1)


FILTERS = (
    CLIENT
    + r"""

@pytest.fixture(scope="module")
def vcr_config():
    return {
        "filter_query_parameters": ["api_key"],
        "filter_post_data_parameters": ["token"],
        "filter_headers": ["authorization"],
    }


@pytest.mark.vcr
def test_query_parameter_filtered():
    r = httpx.get(BASE + "/models", params={"api_key": uuid.uuid4().hex, "page": "1"})
    assert r.json()["path"].startswith("/models?")


@pytest.mark.vcr
def test_form_field_filtered():
    r = requests.post(BASE + "/login", data={"user": "ann", "token": uuid.uuid4().hex})
    assert r.json()["method"] == "POST"


@pytest.mark.vcr
def test_form_field_filtered_httpx():
    r = httpx.post(BASE + "/login", data={"user": "ann", "token": uuid.uuid4().hex})
    assert r.json()["method"] == "POST"
"""
)


def test_request_filters_run_before_matching_on_replay(project: pytest.Pytester, echo: EchoServer) -> None:
    project.makepyfile(test_filters=FILTERS)
    project.runpytest("--record-mode=once").assert_outcomes(passed=3)
    folder = project.path / "cassettes" / "test_filters"
    (query,) = groq_vcr.load_cassette(folder / "test_query_parameter_filtered.yaml").interactions
    assert query.request.url.endswith("/models?page=1")
    (form,) = groq_vcr.load_cassette(folder / "test_form_field_filtered_httpx.yaml").interactions
    assert form.request.body == "user=ann"
    echo.stop()
    # new random values in the filtered parts: they are filtered away before matching too
    project.runpytest("--record-mode=none", "--block-network").assert_outcomes(passed=3)


IGNORED = (
    CLIENT
    + r"""

@pytest.fixture(scope="module")
def vcr_config():
    return {"ignore_localhost": os.environ.get("IGNORE") == "1"}


@pytest.mark.vcr
def test_local_call():
    assert httpx.get(BASE + "/ping").json()["serial"] >= 1
"""
)


def test_ignored_hosts_go_live_and_are_not_recorded(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    project.makepyfile(test_ignored=IGNORED)
    result = project.runpytest("--record-mode=none")
    result.assert_outcomes(failed=1)  # not ignored: no cassette, replay only
    monkeypatch.setenv("IGNORE", "1")
    project.runpytest("--record-mode=none").assert_outcomes(passed=1)
    project.runpytest("--record-mode=once").assert_outcomes(passed=1)
    assert not (project.path / "cassettes" / "test_ignored" / "test_local_call.yaml").exists()


MATCHERS = (
    CLIENT
    + r"""

@pytest.fixture(scope="module")
def vcr_config():
    return {"match_on": os.environ["MATCH_ON"].split(",")}


@pytest.mark.vcr
def test_numbered():
    assert post("/n", n=int(os.environ["N"]))["path"] == "/n"
"""
)

MATCHER_CONFTEST = r"""
import json


def same_parity(r1, r2):
    assert json.loads(r1.body)["n"] % 2 == json.loads(r2.body)["n"] % 2, "different parity"


def pytest_recording_configure(config, vcr):
    vcr.register_matcher("same_parity", same_parity)
"""


@pytest.mark.parametrize(
    ("match_on", "replayed_n", "passes"),
    [
        ("method,path", 2, True),  # the body is not part of the user's match_on
        ("method,path,same_parity", 3, True),
        ("method,path,same_parity", 2, False),
    ],
)
def test_explicit_match_on_and_registered_matchers_decide(
    project: pytest.Pytester,
    echo: EchoServer,
    monkeypatch: pytest.MonkeyPatch,
    match_on: str,
    replayed_n: int,
    passes: bool,
) -> None:
    project.makepyfile(test_matchers=MATCHERS)
    project.makeconftest(MATCHER_CONFTEST)
    monkeypatch.setenv("MATCH_ON", match_on)
    monkeypatch.setenv("N", "1")
    project.runpytest("--record-mode=once").assert_outcomes(passed=1)
    echo.stop()
    monkeypatch.setenv("N", str(replayed_n))
    result = project.runpytest("--record-mode=none", "--block-network")
    result.assert_outcomes(**({"passed": 1} if passes else {"failed": 1}))


def test_canonical_body_matching_stays_the_default(
    project: pytest.Pytester, echo: EchoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    test = '\n\n@pytest.mark.vcr\ndef test_numbered():\n    post("/n", n=int(os.environ["N"]))\n'
    project.makepyfile(test_default=CLIENT + test)
    monkeypatch.setenv("N", "1")
    project.runpytest("--record-mode=once").assert_outcomes(passed=1)
    echo.stop()
    monkeypatch.setenv("N", "2")
    result = project.runpytest("--record-mode=none", "--block-network")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["No recorded interaction matches POST */n", "*differs at body*"])


JSON_SERIALIZER = (
    CLIENT
    + r"""

@pytest.fixture(scope="module")
def vcr_config():
    return {"serializer": "json"}


@pytest.mark.vcr
def test_json(vcr):
    assert post("/j")["path"] == "/j"
    assert len(vcr.requests) == 1
"""
)


def test_json_serializer_writes_vcrpy_json(project: pytest.Pytester, echo: EchoServer) -> None:
    project.makepyfile(test_json=JSON_SERIALIZER)
    project.runpytest("--record-mode=once").assert_outcomes(passed=1)
    folder = project.path / "cassettes" / "test_json"
    assert [p.name for p in folder.iterdir()] == ["test_json.json"]
    data = json.loads((folder / "test_json.json").read_text())
    assert data["version"] == 1
    assert data["interactions"][0]["request"]["uri"].endswith("/j")
    assert os.environ["ECHO_KEY"] not in (folder / "test_json.json").read_text()
    echo.stop()
    project.runpytest("--record-mode=none", "--block-network").assert_outcomes(passed=1)


CASSETTE_OBJECT = (
    CLIENT
    + r"""

@pytest.mark.vcr
def test_cassette_object(vcr):
    post("/x")
    assert [r.path for r in vcr.requests] == ["/x"]
    assert json.loads(vcr.responses[0]["body"]["string"])["path"] == "/x"
    assert len(vcr.data) == 1
    assert vcr.play_count == (1 if os.environ.get("REPLAY") else 0)
"""
)


def test_the_vcr_fixture_cassette_shows_its_interactions(
    project: pytest.Pytester, echo: EchoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_object=CASSETTE_OBJECT)
    project.runpytest("--record-mode=once").assert_outcomes(passed=1)
    echo.stop()
    monkeypatch.setenv("REPLAY", "1")
    project.runpytest("--record-mode=none", "--block-network").assert_outcomes(passed=1)


def test_one_line_in_pyproject_switches_the_plugin_off(project: pytest.Pytester) -> None:
    project.makepyfile(test_suite=VCRPY_SUITE)
    project.makepyprojecttoml(
        '[tool.pytest.ini_options]\naddopts = "-p no:groq_vcr -p no:hypothesispytest -p no:anyio"\n'
        'asyncio_default_fixture_loop_scope = "function"\n'
    )
    project.path.joinpath("tox.ini").unlink()  # the pyproject's settings are the ones in force
    result = project.runpytest("--record-mode=once", "-k", "httpx")
    result.assert_outcomes(passed=1)
    assert "groq-vcr" not in result.stdout.str()
    path = project.path / "cassettes" / "test_suite" / "test_httpx_call.yaml"
    assert groq_vcr.cassette.cassette_kind(path) == "vcrpy"


def test_rewrite_keeps_a_vcrpy_cassette_vcrpy(project: pytest.Pytester) -> None:
    project.makepyfile(test_suite=VCRPY_SUITE)
    project.runpytest("-p", "no:groq_vcr", "--record-mode=once", "-k", "httpx").assert_outcomes(passed=1)
    path = project.path / "cassettes" / "test_suite" / "test_httpx_call.yaml"
    project.runpytest("--record-mode=rewrite", "-k", "httpx").assert_outcomes(passed=1)
    assert groq_vcr.cassette.cassette_kind(path) == "vcrpy"  # told by the original pytest-recording removed
    assert len(yaml.safe_load(path.read_text())["interactions"]) == 1
    assert not list(path.parent.glob(".*"))  # the kept-aside original is gone once the new one is saved


FAULTED = (
    CLIENT
    + r"""

@pytest.mark.vcr
@pytest.mark.groq_fault("server_error", times=1)
def test_httpx_call():
    first = httpx.post(BASE + "/chat", json={"nonce": "fixed", "text": "hi"}, headers=AUTH)
    assert first.status_code == 500  # the fault, before the recording is used
    assert post("/chat", text="hi")["path"] == "/chat"
"""
)


def test_faults_and_verify_mode_play_a_vcrpy_cassette_through_the_engine(
    project: pytest.Pytester, echo: EchoServer
) -> None:
    project.makepyfile(test_suite=VCRPY_SUITE)
    project.runpytest("-p", "no:groq_vcr", "--record-mode=once", "-k", "httpx").assert_outcomes(passed=1)
    path = project.path / "cassettes" / "test_suite" / "test_httpx_call.yaml"
    before = path.read_bytes()
    verified = project.runpytest("--groq-vcr-verify", "-k", "httpx")
    verified.assert_outcomes(passed=1)
    verified.stdout.fnmatch_lines(["verify: 1 live response compared with its recording, 0 drifted"])
    assert path.read_bytes() == before
    echo.stop()
    project.makepyfile(test_suite=FAULTED)
    project.runpytest("--record-mode=none", "--block-network").assert_outcomes(passed=1)
    assert path.read_bytes() == before
