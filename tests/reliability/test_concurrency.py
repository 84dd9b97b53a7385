"""Never lose a cassette: concurrent writers are merged under the lock, a killed save leaves the old file.

Writers are real: child processes recording through the local Groq-compatible server, threads sharing one
cassette path, pytest-xdist workers, and a child killed with SIGKILL while it saves a multi-megabyte cassette.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import groq_vcr
from groq_vcr import Cassette, Interaction, Request, Response
from groq_vcr.engine import CassetteSession, SessionOptions
from groq_vcr.testing import FakeGroqServer, serve_fake_groq

RECORDER = textwrap.dedent(
    """
    import os, sys, time
    import httpx
    from groq_vcr.engine import CassetteSession, SessionOptions, activate

    path, base, key, name, barrier = sys.argv[1:6]
    session = CassetteSession(path, SessionOptions(record_mode="new_episodes"))
    open(os.path.join(barrier, name), "w").close()
    deadline = time.monotonic() + 30
    while len(os.listdir(barrier)) < 2:  # both have loaded the cassette before either records or saves
        if time.monotonic() > deadline:
            sys.exit("the other recorder never started")
        time.sleep(0.01)
    with activate(session):
        with httpx.Client(base_url=base + "/openai/v1", headers={"Authorization": "Bearer " + key}) as client:
            for n in range(3):
                body = {"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": f"{name} {n}"}]}
                client.post("/chat/completions", json=body).raise_for_status()
    session.close()
    """
)


@pytest.fixture
def fake_groq() -> Iterator[FakeGroqServer]:
    """A local Groq-compatible server on 127.0.0.1."""
    with serve_fake_groq() as server:
        yield server


def _contents(path: Path) -> list[str]:
    """The user message of every recorded chat request."""
    return sorted(
        json.loads(i.request.body)["messages"][0]["content"] for i in groq_vcr.load_cassette(path).interactions
    )


def test_two_processes_recording_into_one_cassette_keep_every_interaction(
    tmp_path: Path, fake_groq: FakeGroqServer
) -> None:
    cassette, barrier = tmp_path / "shared.yaml", tmp_path / "barrier"
    barrier.mkdir()
    # Both start from a cassette that already holds one interaction, which must survive too.
    _record_one(cassette)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", RECORDER, str(cassette), fake_groq.base_url, fake_groq.api_key, name, str(barrier)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("alpha", "beta")
    ]
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    assert _contents(cassette) == ["alpha 0", "alpha 1", "alpha 2", "beta 0", "beta 1", "beta 2", "seed"]
    ids = [i.id for i in groq_vcr.load_cassette(cassette).interactions]
    assert ids == list(range(7))  # renumbered, not interleaved duplicates of ids


def _chat_request(content: str) -> Request:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": content}]})
    return Request(
        body=body, content_length=len(body), url="https://api.groq.com/openai/v1/chat/completions", method="POST"
    )


def _record_one(path: Path, content: str = "seed") -> None:
    request = _chat_request(content)
    response = Response(body='{"ok":true}', headers={"Content-Type": ["application/json"]}, code=200)
    groq_vcr.save_cassette(path, Cassette(interactions=[Interaction(request, response)]))


def _fake_recording(session: CassetteSession, content: str) -> None:
    """Register a finished recording the way the transport does for a live response."""
    pending = session.begin_recording(
        _chat_request(content), Response(headers={"Content-Type": ["application/json"]}, code=200)
    )
    pending.feed(b'{"ok":true}')
    pending.finish()


def test_threads_saving_one_cassette_lose_nothing(tmp_path: Path) -> None:
    cassette = tmp_path / "threads.yaml"
    _record_one(cassette)
    sessions = [CassetteSession(cassette, SessionOptions(record_mode="new_episodes")) for _ in range(8)]
    start = threading.Barrier(len(sessions))
    errors: list[BaseException] = []

    def run(n: int, session: CassetteSession) -> None:
        try:
            _fake_recording(session, f"thread {n}")
            start.wait(timeout=10)
            assert session.save()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n, s)) for n, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert _contents(cassette) == sorted(["seed", *(f"thread {n}" for n in range(8))])


def test_rerecording_replaces_only_its_own_requests_when_another_writer_saved_meanwhile(tmp_path: Path) -> None:
    cassette = tmp_path / "all.yaml"
    _record_one(cassette, "kept")
    rerecorder = CassetteSession(cassette, SessionOptions(record_mode="all"))
    other = CassetteSession(cassette, SessionOptions(record_mode="new_episodes"))
    _fake_recording(other, "other")
    assert other.save()
    _fake_recording(rerecorder, "kept")  # the same request, recorded again: replaces the old one
    assert rerecorder.save()
    assert _contents(cassette) == ["kept", "other"]


SAVER = textwrap.dedent(
    """
    import sys
    from groq_vcr import Cassette, Interaction, Request, Response, save_cassette

    path = sys.argv[1]
    big = "x" * 200_000
    versions = []
    for n in (3, 7):
        interactions = [
            Interaction(Request(url=f"https://api.groq.com/openai/v1/models/{i}", method="GET"),
                        Response(body=f"{n}:{i}:" + big, code=200))
            for i in range(n)
        ]
        versions.append(Cassette(interactions=interactions))
    save_cassette(path, versions[1])
    print("ready", flush=True)  # a first save is done, however slow the machine: later kills land anywhere
    i = 0
    while True:
        save_cassette(path, versions[i % 2])
        i += 1
    """
)


def test_sigkill_during_saves_always_leaves_a_loadable_cassette(tmp_path: Path) -> None:
    cassette = tmp_path / "killed.yaml"
    rng = random.Random(8)
    kills = 0
    for _ in range(8):
        with subprocess.Popen([sys.executable, "-c", SAVER, str(cassette)], stdout=subprocess.PIPE, text=True) as child:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.01, 0.25))  # each save of ~1.4 MB takes a few ms: kills land mid-write
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
        kills += child.returncode == -signal.SIGKILL
        if cassette.exists():
            loaded = groq_vcr.load_cassette(cassette)
            counts = {len(loaded.interactions)}
            assert counts <= {3, 7}
            first = loaded.interactions[0].response.body
            assert isinstance(first, str)
            assert first.startswith(f"{len(loaded.interactions)}:0:")
    assert kills == 8
    assert cassette.exists()
    # Killed writers leave their temporary files behind: hidden, so no cassette walk picks them up.
    assert groq_vcr.find_cassette_files([tmp_path]) == [cassette]


XDIST_INNER = textwrap.dedent(
    """
    import os, time
    import httpx
    import pytest

    BASE = os.environ["FAKE_GROQ_BASE"] + "/openai/v1"
    KEY = os.environ["FAKE_GROQ_KEY"]
    BARRIER = os.environ["BARRIER_DIR"]


    @pytest.fixture
    def default_cassette_name():
        return "shared"


    def meet(name):
        open(os.path.join(BARRIER, name), "w").close()
        deadline = time.monotonic() + 30
        while len(os.listdir(BARRIER)) < 2:
            assert time.monotonic() < deadline, "the other worker never started"
            time.sleep(0.01)


    @pytest.mark.parametrize("who", ["left", "right"])
    @pytest.mark.vcr
    def test_record(who):
        meet(who)  # both workers have opened the cassette: neither saw the other's recording
        with httpx.Client(base_url=BASE, headers={"Authorization": "Bearer " + KEY}) as c:
            body = {"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": who}]}
            c.post("/chat/completions", json=body).raise_for_status()
    """
)


def test_xdist_workers_recording_into_one_cassette_keep_both(
    pytester: pytest.Pytester, fake_groq: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_inner=XDIST_INNER)
    barrier = pytester.path / "barrier"
    barrier.mkdir()
    monkeypatch.setenv("FAKE_GROQ_BASE", fake_groq.base_url)
    monkeypatch.setenv("FAKE_GROQ_KEY", fake_groq.api_key)
    monkeypatch.setenv("BARRIER_DIR", str(barrier))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--record-mode=new_episodes")
    assert result.ret == 0, result.stdout.str()
    assert _contents(pytester.path / "cassettes" / "test_inner" / "shared.yaml") == ["left", "right"]
