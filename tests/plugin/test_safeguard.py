"""A test that does not pass never costs its committed cassette; a run leaves nothing behind; clear errors.

Each test records an inner project against a local fake Groq server (``pytester``), commits to the recorded
bytes, then runs the project again in a way that goes wrong: a failing assertion, the server down, no API key,
an interrupted or killed run, a read-only cassette folder, a deleted cassette.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import groq_vcr
from groq_vcr.testing import FakeGroqServer

INNER = r"""
import os
import signal

import httpx
import pytest


def post(text):
    base = os.environ["FAKE_GROQ_BASE"] + "/openai/v1"
    key = os.environ.get("FAKE_GROQ_KEY", "")
    with httpx.Client(base_url=base, headers={"Authorization": "Bearer " + key} if key else {}) as client:
        return client.post("/chat/completions", json={"model": "llama-3.3-70b-versatile",
                                                      "messages": [{"role": "user", "content": text}]})


def then():
    # What the test does after its call (THEN): pass, fail, or be interrupted (Ctrl-C) or killed.
    action = os.environ.get("THEN", "pass")
    if action == "interrupt":
        raise KeyboardInterrupt
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    assert action == "pass", "the test fails after its call"


@pytest.mark.vcr
def test_chat():
    post(os.environ.get("TEXT", "hello")).raise_for_status()
    then()


@pytest.mark.vcr
def test_status():
    assert post("status").status_code == int(os.environ.get("EXPECT_STATUS", "200"))


@pytest.mark.vcr(record_mode="rewrite")
def test_marked_rewrite():
    post("marked").raise_for_status()
    then()


@pytest.mark.vcr
@pytest.mark.parametrize("text", ["long"], ids=["a-very-long-parameter-" * 14])
def test_long(text):
    post(text).raise_for_status()
    then()


@pytest.mark.vcr
def test_sees_the_original(request):
    from groq_vcr.pytest_plugin._safeguard import rewrite_backup

    backup = rewrite_backup(request.node)
    committed = os.environ.get("COMMITTED")
    if committed:  # run under rewrite: pytest-recording has deleted the cassette, its original is kept aside
        assert not os.path.exists(committed)
        assert backup is not None and backup.read_bytes() == bytes.fromhex(os.environ["COMMITTED_BYTES"])
    else:
        assert backup is None
    post("sees").raise_for_status()
"""

# The outer run turns warnings into errors; the inner project shows them, as a default pytest project does.
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
# Plugins the inner runs do not use: pytester re-imports (and assertion-rewrites) them on every in-process run.
UNUSED_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:anyio")
OLD_DATE = "Mon, 01 Jan 2024 10:00:00 GMT"
LAST_RUN = Path(".pytest_cache") / "d" / "groq-vcr" / "last-run.json"


@pytest.fixture
def inner(pytester: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini(INI)
    monkeypatch.setenv("FAKE_GROQ_BASE", server.base_url)
    monkeypatch.setenv("FAKE_GROQ_KEY", server.api_key)
    for name in ("GROQ_API_KEY", "THEN", "TEXT", "EXPECT_STATUS", "COMMITTED", "COMMITTED_BYTES"):
        monkeypatch.delenv(name, raising=False)
    return pytester


@pytest.fixture
def dead_base_url() -> Iterator[str]:
    """A loopback address where nothing listens: the socket is bound but never listens, so connecting is refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}"


def _folder(pytester: pytest.Pytester) -> Path:
    return pytester.path / "cassettes" / "test_inner"


def _cassette(pytester: pytest.Pytester, name: str) -> Path:
    return _folder(pytester) / f"{name}.yaml"


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> pytest.RunResult:
    """Run the inner project in this process with ``env`` set for the run (an inner Ctrl-C stays inside)."""
    with monkeypatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return pytester.runpytest(*UNUSED_PLUGINS, *args, no_reraise_ctrlc=True)


def _record(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *names: str) -> dict[str, bytes]:
    """Record ``names`` (test names) and return the committed bytes of their cassettes."""
    _run(pytester, monkeypatch, "--record-mode=once", "-k", " or ".join(names)).assert_outcomes(passed=len(names))
    return {name: _cassette(pytester, name).read_bytes() for name in names}


def _texts(path: Path) -> list[str]:
    return [json.loads(i.request.body)["messages"][0]["content"] for i in groq_vcr.load_cassette(path).interactions]


def _age(path: Path) -> bytes:
    """Make a cassette look recorded on OLD_DATE (its Date headers are its recording time); its new bytes."""
    aged, count = re.subn(r"(            Date:\n                - ).*\n", rf"\g<1>{OLD_DATE}\n", path.read_text())
    assert count >= 1
    path.write_text(aged)
    return path.read_bytes()


# --- rewrite ---------------------------------------------------------------------------------------------------


def test_rewrite_keeps_the_committed_cassette_of_a_test_that_fails(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, dead_base_url: str
) -> None:
    committed = _record(inner, monkeypatch, "test_chat")["test_chat"]
    failures = {
        "assertion error": {"THEN": "fail"},
        "server down": {"FAKE_GROQ_BASE": dead_base_url},
        "no key (401 recorded)": {"FAKE_GROQ_KEY": ""},
    }
    for failure, env in failures.items():
        result = _run(inner, monkeypatch, "--record-mode=rewrite", "-k", "test_chat", **env)
        result.assert_outcomes(failed=1)
        assert _cassette(inner, "test_chat").read_bytes() == committed, failure
        assert sorted(p.name for p in _folder(inner).iterdir()) == ["test_chat.yaml"], failure  # no backup left
        result.stdout.fnmatch_lines(
            [
                "*- groq-vcr: committed cassettes kept -*",
                f"test_inner.py::test_chat failed: {_cassette(inner, 'test_chat')} is back as committed (*)",
            ]
        )


def test_a_failing_test_keeps_its_cassette_in_every_recording_mode(
    inner: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = _record(inner, monkeypatch, "test_chat", "test_marked_rewrite")
    path = _cassette(inner, "test_chat")
    runs = {
        "all": ("--record-mode=all",),
        "new_episodes": ("--record-mode=new_episodes",),  # with a new request: it is recorded, then not saved
        "verify": ("--groq-vcr-verify",),
        # The marker's record_mode="rewrite" wins over the command line (pytest-recording's precedence).
        "marker rewrite": ("--record-mode=none",),
    }
    for mode, args in runs.items():
        test = "test_marked_rewrite" if mode == "marker rewrite" else "test_chat"
        result = _run(inner, monkeypatch, *args, "-k", test, THEN="fail", TEXT="new request")
        result.assert_outcomes(failed=1)
        assert _cassette(inner, test).read_bytes() == committed[test], mode
    sent = server.config.count("/chat/completions")
    aged = _age(path)
    result = _run(
        inner,
        monkeypatch,
        "--groq-vcr-max-age=30d",
        "--groq-vcr-on-expired=rerecord",
        "-k",
        "test_chat",
        THEN="fail",
        GROQ_API_KEY=server.api_key,
    )
    result.assert_outcomes(failed=1)
    assert server.config.count("/chat/completions") == sent + 1  # it was re-recorded live, then not saved
    assert path.read_bytes() == aged
    assert sorted(p.name for p in _folder(inner).iterdir()) == ["test_chat.yaml", "test_marked_rewrite.yaml"]


def test_an_interrupted_test_keeps_its_cassette(
    inner: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = _record(inner, monkeypatch, "test_chat")["test_chat"]
    path = _cassette(inner, "test_chat")
    result = _run(inner, monkeypatch, "--record-mode=rewrite", "-k", "test_chat", THEN="interrupt")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert path.read_bytes() == committed
    result.stdout.fnmatch_lines([f"test_inner.py::test_chat did not run to the end: {path} is back as committed (*)"])
    # An expired cassette re-recorded by a test interrupted half-way is not replaced by the half it sent.
    aged = _age(path)
    args = ("--groq-vcr-max-age=30d", "--groq-vcr-on-expired=rerecord", "-k", "test_chat")
    result = _run(inner, monkeypatch, *args, THEN="interrupt", GROQ_API_KEY=server.api_key)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert path.read_bytes() == aged


def test_a_killed_rewrite_leaves_the_original_and_the_next_run_puts_it_back(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = _record(inner, monkeypatch, "test_chat")["test_chat"]
    path = _cassette(inner, "test_chat")
    monkeypatch.setenv("THEN", "kill")
    result = inner.runpytest_subprocess(*UNUSED_PLUGINS, "--record-mode=rewrite", "-k", "test_chat")
    monkeypatch.delenv("THEN")
    assert result.ret == -9  # SIGKILL: no teardown ran
    assert not path.exists()  # pytest-recording deleted it before the test ran
    (backup,) = (p for p in _folder(inner).iterdir() if p.name != "test_chat.yaml")
    assert backup.name.startswith(".")  # hidden
    assert backup.read_bytes() == committed
    result = _run(inner, monkeypatch, "--record-mode=none", "--block-network", "-k", "test_chat")
    result.assert_outcomes(passed=1)
    assert path.read_bytes() == committed
    assert sorted(p.name for p in _folder(inner).iterdir()) == ["test_chat.yaml"]
    result.stdout.fnmatch_lines(
        [f"{path}: put back from {backup.name}, left by an interrupted --record-mode=rewrite run"]
    )


def test_a_passing_rewrite_replaces_the_cassette(
    inner: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = _record(inner, monkeypatch, "test_chat", "test_status", "test_sees_the_original")
    _run(inner, monkeypatch, "--record-mode=rewrite", "-k", "test_chat", TEXT="rewritten").assert_outcomes(passed=1)
    assert _texts(_cassette(inner, "test_chat")) == ["rewritten"]
    # --groq-vcr-keep-failed is the explicit way to keep what a failing test recorded.
    result = _run(
        inner,
        monkeypatch,
        "--record-mode=rewrite",
        "--groq-vcr-keep-failed",
        "-k",
        "test_chat",
        TEXT="kept",
        THEN="fail",
    )
    result.assert_outcomes(failed=1)
    assert _texts(_cassette(inner, "test_chat")) == ["kept"]
    # A test that passes with a 401 answer counts: what the test asserts is what the cassette is for.
    result = _run(
        inner, monkeypatch, "--record-mode=rewrite", "-k", "test_status", FAKE_GROQ_KEY="", EXPECT_STATUS="401"
    )
    result.assert_outcomes(passed=1)
    (interaction,) = groq_vcr.load_cassette(_cassette(inner, "test_status")).interactions
    assert interaction.response.code == 401
    assert _cassette(inner, "test_status").read_bytes() != committed["test_status"]
    # While a rewrite runs, rewrite_backup(item) is the original pytest-recording deleted.
    path = _cassette(inner, "test_sees_the_original")
    result = _run(
        inner,
        monkeypatch,
        "--record-mode=rewrite",
        "-k",
        "sees_the_original",
        COMMITTED=str(path),
        COMMITTED_BYTES=committed["test_sees_the_original"].hex(),
    )
    result.assert_outcomes(passed=1)
    assert path.read_bytes() != committed["test_sees_the_original"]
    assert sorted(p.name for p in _folder(inner).iterdir()) == [
        "test_chat.yaml",
        "test_sees_the_original.yaml",
        "test_status.yaml",
    ]
    assert "committed cassettes kept" not in result.stdout.str()


def test_a_name_trimmed_to_the_file_name_limit_saves_and_is_kept(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(inner, monkeypatch, "--record-mode=once", "-k", "test_long").assert_outcomes(passed=1)
    (path,) = _folder(inner).iterdir()
    assert len(path.name) == os.pathconf(path.parent, "PC_NAME_MAX")  # pytest-recording trimmed it to the limit
    assert path.name.startswith("test_long[a-very-long-parameter-")
    committed = path.read_bytes()
    result = _run(inner, monkeypatch, "--record-mode=rewrite", "-k", "test_long", THEN="fail")
    result.assert_outcomes(failed=1)
    assert path.read_bytes() == committed
    assert list(_folder(inner).iterdir()) == [path]
    _run(inner, monkeypatch, "--record-mode=rewrite", "-k", "test_long", THEN="pass").assert_outcomes(passed=1)
    assert path.read_bytes() != committed
    assert list(_folder(inner).iterdir()) == [path]


# --- read-only cassette folders ---------------------------------------------------------------------------------

# Run a command with the file permissions binding it. As root, chmod does not stop writes: drop the capabilities
# that bypass them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from the bounding set, so the exec'd command runs as a
# root that the permission bits bind like any user.
_UNPRIVILEGED = r"""
import ctypes, os, sys
if os.geteuid() == 0:
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop a capability, so root would ignore file permissions")
os.execv(sys.argv[1], sys.argv[1:])
"""


def _run_bound_by_permissions(pytester: pytest.Pytester, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _UNPRIVILEGED, *args], cwd=pytester.path, capture_output=True, text=True, check=False
    )


def _pytest_bound_by_permissions(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    done = _run_bound_by_permissions(pytester, sys.executable, "-m", "pytest", *UNUSED_PLUGINS, *args)
    return pytest.RunResult(done.returncode, done.stdout.splitlines(), done.stderr.splitlines(), 0.0)


@pytest.fixture
def read_only_folder(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, bytes]]:
    """test_chat and test_status recorded, then their folder made read-only; the committed bytes."""
    committed = _record(inner, monkeypatch, "test_chat", "test_status")
    folder = _folder(inner)
    folder.chmod(0o555)
    try:
        probe = _run_bound_by_permissions(inner, sys.executable, "-c", f"open({str(folder / 'probe')!r}, 'w')")
        assert "PermissionError" in probe.stderr, probe.stderr  # the folder really is read-only for the runs
        yield committed
    finally:
        folder.chmod(0o755)


def test_replay_from_a_read_only_folder_works(inner: pytest.Pytester, read_only_folder: dict[str, bytes]) -> None:
    result = _pytest_bound_by_permissions(inner, "--record-mode=none", "--block-network", "-k", "chat or status")
    result.assert_outcomes(passed=2)
    assert {p.name: p.read_bytes() for p in _folder(inner).iterdir()} == {
        f"{name}.yaml": data for name, data in read_only_folder.items()
    }


def test_a_save_into_a_read_only_folder_is_one_line_with_the_fix(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, read_only_folder: dict[str, bytes]
) -> None:
    folder = _folder(inner)
    monkeypatch.setenv("TEXT", "new request")
    result = _pytest_bound_by_permissions(inner, "--record-mode=new_episodes", "-k", "test_chat")
    result.assert_outcomes(passed=1, errors=1)
    message = (
        f"cannot save cassette test_chat.yaml: its folder {folder} is not writable (Permission denied); "
        "make it writable, or replay without recording (--record-mode=none)"
    )
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_chat*", message, "*short test summary info*"])
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "filelock" not in output
    # Under rewrite it fails before the test runs, without sending anything: pytest-recording cannot delete it.
    result = _pytest_bound_by_permissions(inner, "--record-mode=rewrite", "-k", "test_chat")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ERROR at setup of test_chat*", message.replace("cannot save", "cannot re-record")])
    assert "Traceback" not in result.stdout.str()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {
        f"{name}.yaml": data for name, data in read_only_folder.items()
    }


# --- deleted cassettes ------------------------------------------------------------------------------------------


def test_a_deleted_cassette_is_reported_missing_with_the_fix(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(inner, monkeypatch, "test_chat", "test_status")
    path = _cassette(inner, "test_chat")
    path.unlink()
    result = _run(inner, monkeypatch, "--record-mode=none", "--block-network", "-k", "test_chat")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*No recorded interaction matches POST http://127.0.0.1:*/openai/v1/chat/completions",
            f"*  cassette file is missing: {path} (record mode 'none')",
            "*  record it: pytest --record-mode=once test_inner.py::test_chat",
        ]
    )
    assert "the cassette is empty" not in result.stdout.str()
    # A cassette that is there but holds nothing is still called empty.
    _cassette(inner, "test_status").write_text("---\nversion: 2\ninteractions: []\n")
    result = _run(inner, monkeypatch, "--record-mode=none", "--block-network", "-k", "test_status")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*  closest: (the cassette is empty)", "*  re-record: pytest --record-mode=rewrite test_inner.py::test_status"]
    )


# --- no litter ---------------------------------------------------------------------------------------------------


def _git(pytester: pytest.Pytester, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=pytester.path, capture_output=True, text=True, check=True)
    return done.stdout


def test_a_replay_run_leaves_git_status_clean(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # pytester makes the project the home folder; a user's home (with groq-vcr's parse cache) is elsewhere.
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    _record(inner, monkeypatch, "test_chat", "test_status")
    # A real project ignores Python's own bytecode; groq-vcr's files must need no entry at all.
    (inner.path / ".gitignore").write_text("__pycache__/\n")
    _git(inner, "init", "-q")
    _git(inner, "add", "-A")
    _git(inner, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "cassettes")
    result = _run(inner, monkeypatch, "--record-mode=none", "--block-network", "-k", "chat or status")
    result.assert_outcomes(passed=2)
    assert _git(inner, "status", "--porcelain", "--untracked-files=all") == ""
    # The end-of-run record went to pytest's cache folder, which ignores itself.
    record = json.loads((inner.path / LAST_RUN).read_text())
    assert sorted(Path(c["path"]).name for c in record["cassettes"]) == ["test_chat.yaml", "test_status.yaml"]


def test_the_last_run_record_follows_the_cache_or_a_given_path(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(inner, monkeypatch, "test_chat")
    (inner.path / LAST_RUN).unlink()
    replay = ("--record-mode=none", "--block-network", "-k", "test_chat")
    # No cache, no path: nothing is written anywhere.
    _run(inner, monkeypatch, "-p", "no:cacheprovider", *replay).assert_outcomes(passed=1)
    assert not (inner.path / LAST_RUN).exists()
    assert not (inner.path / ".groq-vcr").exists()
    # A path from the ini key, overridden by the option.
    inner.makeini(INI + "groq_vcr_last_run = records/last.json\n")
    _run(inner, monkeypatch, "-p", "no:cacheprovider", *replay).assert_outcomes(passed=1)
    assert json.loads((inner.path / "records" / "last.json").read_text())["version"] == 2
    _run(inner, monkeypatch, "--groq-vcr-last-run=other.json", *replay).assert_outcomes(passed=1)
    assert (inner.path / "other.json").is_file()
    assert not (inner.path / LAST_RUN).exists()
    # A record that cannot be written costs a line in the summary, never the run.
    (inner.path / "blocked").write_text("a file where a folder should be")
    result = _run(inner, monkeypatch, "--groq-vcr-last-run=blocked/last.json", *replay)
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["groq-vcr: last-run record not written: *blocked*"])
