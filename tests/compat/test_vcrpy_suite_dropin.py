"""An existing vcrpy + pytest-recording suite, recorded without groq-vcr, replays with groq-vcr installed.

The project built here is written the way such suites are (issue 14, "drop-in for existing suites"), with no
groq-vcr configuration at all:

- module-level clients: an ``httpx.Client`` and a ``requests.Session`` in ``client.py``, pointed at a local
  Groq-compatible server on 127.0.0.1 (``groq_vcr.testing``);
- ``vcr_config`` with ``filter_headers`` (the ``Authorization`` header), ``filter_query_parameters`` (an
  ``api_key`` query parameter) and ``match_on`` (vcrpy's default plus the body);
- ``vcr_cassette_dir`` overridden (``recordings/<module>``), ``default_cassette_name`` overridden (one module),
  the ``default_cassette`` marker, an extra shared cassette (``@pytest.mark.vcr("shared.yaml")``);
- a per-test ``match_on`` without the query, and a custom matcher registered through pytest-recording's
  ``pytest_recording_configure`` hook, each with a request that differs between recording and replay where
  that matching ignores it.

It is recorded with groq-vcr switched off (``-p no:groq_vcr --record-mode=once``: vcrpy's own cassettes), the
server is stopped and the key changed, and it is replayed with groq-vcr active
(``--record-mode=none --block-network``): every test must pass, and no file in the cassette folder may change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from groq_vcr.testing import make_fake_api_key, serve_fake_groq

CONFTEST = r"""
import json
import os

import pytest


@pytest.fixture(scope="session")
def vcr_config():
    return {
        "filter_headers": ["authorization"],
        "filter_query_parameters": ["api_key"],
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return os.path.join(str(request.config.rootpath), "recordings", request.module.__name__)


def same_model(r1, r2):
    assert json.loads(r1.body)["model"] == json.loads(r2.body)["model"]


def pytest_recording_configure(config, vcr):
    vcr.register_matcher("same_model", same_model)
"""

CLIENT = r"""
import os

import httpx
import requests

BASE = os.environ["DROPIN_BASE_URL"]
KEY = os.environ["DROPIN_API_KEY"]
PHASE = os.environ["DROPIN_PHASE"]

http = httpx.Client(base_url=BASE, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
session = requests.Session()
session.headers["Authorization"] = f"Bearer {KEY}"


def chat(text, model="llama-3.1-8b-instant"):
    response = http.post("/chat/completions", json={"model": model, "messages": [{"role": "user", "content": text}]})
    response.raise_for_status()
    return response.json()["choices"][0]["message"]["content"]


def models(**params):
    response = session.get(BASE + "/models", params={"api_key": KEY, **params}, timeout=30)
    response.raise_for_status()
    return [model["id"] for model in response.json()["data"]]
"""

TEST_CHAT = r"""
import pytest

from client import PHASE, chat


@pytest.mark.vcr
def test_chat():
    assert chat("hello")


@pytest.mark.vcr
def test_two_chats_in_one_cassette():
    assert chat("one") and chat("two")


@pytest.mark.vcr(match_on=["method", "path", "same_model"])
def test_custom_matcher_ignores_the_text():
    assert chat(f"asked while {PHASE}")
"""

TEST_MODELS = r"""
import pytest

from client import PHASE, models


@pytest.mark.default_cassette("shared.yaml")
@pytest.mark.vcr
def test_records_the_shared_cassette():
    assert "llama-3.1-8b-instant" in models()


@pytest.mark.vcr("shared.yaml")
def test_reads_the_shared_cassette():
    assert "llama-3.1-8b-instant" in models()


@pytest.mark.vcr(match_on=["method", "scheme", "host", "port", "path"])
def test_match_on_without_the_query():
    assert models(request_id=PHASE)
"""

TEST_NAMES = r"""
import pytest

from client import chat


@pytest.fixture
def default_cassette_name(request):
    return "renamed-" + request.node.name


@pytest.mark.vcr
def test_cassette_named_by_the_fixture():
    assert chat("named")
"""

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\naddopts = -p no:hypothesispytest -p no:anyio\n"

TESTS = 7
RECORDED = {
    "test_chat/test_chat.yaml",
    "test_chat/test_two_chats_in_one_cassette.yaml",
    "test_chat/test_custom_matcher_ignores_the_text.yaml",
    "test_models/shared.yaml",
    "test_models/test_match_on_without_the_query.yaml",
    "test_names/renamed-test_cassette_named_by_the_fixture.yaml",
}


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_a_vcrpy_suite_recorded_without_groq_vcr_replays_with_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(client=CLIENT, test_chat=TEST_CHAT, test_models=TEST_MODELS, test_names=TEST_NAMES)
    pytester.makeini(INI)
    recordings = pytester.path / "recordings"

    with serve_fake_groq() as server:
        monkeypatch.setenv("DROPIN_BASE_URL", server.openai_base_url)
        monkeypatch.setenv("DROPIN_API_KEY", server.api_key)
        monkeypatch.setenv("DROPIN_PHASE", "recording")
        recorded = pytester.runpytest_subprocess("-p", "no:groq_vcr", "--record-mode=once")
        recorded.assert_outcomes(passed=TESTS)
    before = _files(recordings)
    # What vcrpy and pytest-recording wrote on their own: the project is the suite it claims to be.
    assert set(before) == RECORDED
    assert all(content.startswith(b"interactions:") for content in before.values()), "not vcrpy's cassettes"
    assert not [name for name, content in before.items() if server.api_key.encode() in content]

    # Offline, with another key and another phase: what the cassettes' filters and matching must absorb.
    monkeypatch.setenv("DROPIN_API_KEY", make_fake_api_key())
    monkeypatch.setenv("DROPIN_PHASE", "replaying")
    monkeypatch.setenv("COLUMNS", "1000")  # the short summary's lines whole
    replayed = pytester.runpytest_subprocess("--record-mode=none", "--block-network", "-rfE")
    assert "groq-vcr" in replayed.stdout.str(), "groq-vcr was not active in the replay"
    problems = [line for line in replayed.outlines if line.startswith(("FAILED ", "ERROR "))]
    assert replayed.parseoutcomes().get("passed") == TESTS, "the replay with groq-vcr:\n" + "\n".join(problems)
    assert not problems
    after = _files(recordings)
    changed = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    assert not changed, f"the replay changed the cassette folder: {changed}"
