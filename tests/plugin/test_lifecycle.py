"""Cassette lifecycle through the plugin: expiry, verify mode, the match log and the end-of-run record.

Each test records an inner test module against one local fake Groq server (``pytester``, in process), then
changes the cassette, the server or the module and runs it again.
"""

from __future__ import annotations

import email.utils
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import groq_vcr
from groq_vcr.cassette import recorded_at
from groq_vcr.cli import cli
from groq_vcr.testing import FakeGroqServer, ResponseChange, make_fake_api_key

INNER = r"""
import os
import httpx
import pytest

BASE = os.environ["FAKE_GROQ_BASE"] + "/openai/v1"
KEY = os.environ["FAKE_GROQ_KEY"]


def chat(text):
    with httpx.Client(base_url=BASE, headers={"Authorization": "Bearer " + KEY}) as c:
        r = c.post("/chat/completions", json={"model": "llama-3.3-70b-versatile",
                                             "messages": [{"role": "user", "content": text}]})
        r.raise_for_status()
        return r.json()["choices"][0]["message"]["content"]


@pytest.mark.vcr
def test_one():
    assert chat("one")


@pytest.mark.vcr
def test_two_calls():
    assert chat("two") and chat("three")


@pytest.mark.vcr(groq_vcr_max_age="3650d")
def test_long_lived():
    assert chat("long")
"""

# The outer run turns warnings into errors; the inner project shows them, as a default pytest project does.
INI = (
    "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
    "filterwarnings =\n    default::groq_vcr.CassetteExpiredWarning\n"
)
OLD_DATE = "Mon, 01 Jan 2024 10:00:00 GMT"
LAST_RUN = Path(".pytest_cache") / "d" / "groq-vcr" / "last-run.json"
"""The end-of-run record: in pytest's cache folder."""


# Plugins the inner runs do not use: pytester re-imports (and assertion-rewrites) them on every in-process run.
UNUSED_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:anyio")


@pytest.fixture
def inner(pytester: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    server.config.response_change = None
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini(INI)
    monkeypatch.setenv("FAKE_GROQ_BASE", server.base_url)
    monkeypatch.setenv("FAKE_GROQ_KEY", server.api_key)
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    return pytester


def _cassette(pytester: pytest.Pytester, name: str) -> Path:
    return pytester.path / "cassettes" / "test_inner" / f"{name}.yaml"


def _age(path: Path, date: str = OLD_DATE) -> None:
    """Make a cassette look recorded at ``date`` (its Date headers are its recording time)."""
    text = path.read_text()
    aged, count = re.subn(r"(            Date:\n                - ).*\n", rf"\g<1>{date}\n", text)
    assert count >= 1
    path.write_text(aged)


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*UNUSED_PLUGINS, *args)


def _record(pytester: pytest.Pytester, *select: str) -> None:
    _run(pytester, "--record-mode=once", "-k", " or ".join(select)).assert_outcomes(passed=len(select))


def _replay_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_GROQ_KEY", make_fake_api_key())


# --- expiry ------------------------------------------------------------------------------------------------


def test_expired_cassette_warns_and_replays_by_default(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(inner, "test_one", "long_lived")
    _age(_cassette(inner, "test_one"))
    _age(_cassette(inner, "test_long_lived"))
    _replay_env(monkeypatch)
    result = _run(inner, "--record-mode=none", "--block-network", "--groq-vcr-max-age=30d", "-k", "one or long")
    result.assert_outcomes(passed=2, warnings=2)  # the command line's 30d wins over test_long_lived's marker
    result.stdout.fnmatch_lines(
        [
            "*CassetteExpiredWarning: groq-vcr: cassette *test_one.yaml is expired: recorded 2024-01-01 10:00 UTC "
            "(*d ago), older than the maximum age of 30d; replayed anyway. "
            "Re-record it: pytest --record-mode=rewrite test_inner.py::test_one",
            "expired: cassette *test_one.yaml is expired: *",
        ]
    )
    # Without the option the marker's own maximum age applies: 2024 is within 3650 days.
    result = _run(inner, "--record-mode=none", "--block-network", "--groq-vcr-on-expired=fail", "-k", "long")
    result.assert_outcomes(passed=1)


def test_max_age_from_pyproject_and_marker(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(inner, "test_one", "long_lived")
    _age(_cassette(inner, "test_one"))
    _age(_cassette(inner, "test_long_lived"))
    inner.makepyprojecttoml('[tool.groq-vcr]\nmax-age = "30d"\non-expired = "fail"\n')
    _replay_env(monkeypatch)
    result = _run(inner, "--record-mode=none", "--block-network", "-k", "one or long")
    # test_long_lived's marker allows 3650 days; test_one gets the project's 30 days and fails.
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at setup of test_one*", "*test_one.yaml is expired: recorded 2024-01-01*"])


def test_expired_cassette_fails_with_the_fix(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(inner, "test_one")
    _age(_cassette(inner, "test_one"))
    before = _cassette(inner, "test_one").read_bytes()
    _replay_env(monkeypatch)
    result = _run(inner, "--record-mode=none", "--groq-vcr-max-age=30d", "--groq-vcr-on-expired=fail", "-k", "test_one")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*cassette *test_one.yaml is expired: recorded 2024-01-01 10:00 UTC (*d ago), older than the maximum "
            "age of 30d",
            "*re-record: pytest --record-mode=rewrite test_inner.py::test_one",
            "*or allow it: a larger groq_vcr_max_age / --groq-vcr-max-age, or --groq-vcr-on-expired=warn",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert _cassette(inner, "test_one").read_bytes() == before


def test_expired_cassette_is_rerecorded_when_a_key_is_set(
    inner: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(inner, "test_two_calls")
    path = _cassette(inner, "test_two_calls")
    _age(path)
    # The test now makes one of its two calls: a re-recorded cassette holds only what the test sends now.
    inner.makepyfile(test_inner=INNER.replace('chat("two") and chat("three")', 'chat("three")'))
    sent = server.config.count("/chat/completions")
    monkeypatch.setenv("GROQ_API_KEY", server.api_key)
    result = _run(
        inner, "--record-mode=none", "--groq-vcr-max-age=30d", "--groq-vcr-on-expired=rerecord", "-k", "two_calls"
    )
    result.assert_outcomes(passed=1)
    assert server.config.count("/chat/completions") == sent + 1
    cassette = groq_vcr.load_cassette(path)
    assert [json.loads(i.request.body)["messages"][0]["content"] for i in cassette.interactions] == ["three"]
    when = recorded_at(cassette)
    assert when is not None
    assert datetime.now(UTC) - when < timedelta(minutes=5)
    result.stdout.fnmatch_lines(["expired: cassette *test_two_calls.yaml is expired: *; re-recording it"])


def test_rerecord_without_a_key_warns_and_replays(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(inner, "test_one")
    _age(_cassette(inner, "test_one"))
    before = _cassette(inner, "test_one").read_bytes()
    _replay_env(monkeypatch)
    result = _run(
        inner,
        "--record-mode=none",
        "--block-network",
        "--groq-vcr-max-age=30d",
        "--groq-vcr-on-expired=rerecord",
        "-k",
        "test_one",
    )
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*replayed anyway (not re-recorded: no GROQ_API_KEY is set)*"])
    assert _cassette(inner, "test_one").read_bytes() == before


def test_fresh_and_undated_cassettes_are_not_expired(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(inner, "test_one", "two_calls")
    path = _cassette(inner, "test_two_calls")
    path.write_text(re.sub(r"            Date:\n                - .*\n", "", path.read_text()))
    assert recorded_at(groq_vcr.load_cassette(path)) is None
    _replay_env(monkeypatch)
    result = _run(
        inner,
        "--record-mode=none",
        "--block-network",
        "--groq-vcr-max-age=1d",
        "--groq-vcr-on-expired=fail",
        "-k",
        "one or two",
    )
    result.assert_outcomes(passed=2)


def test_bad_max_age_is_a_usage_error(inner: pytest.Pytester) -> None:
    result = _run(inner, "--groq-vcr-max-age=30 days")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--groq-vcr-max-age '30 days' is not an age; write a number with a unit*"])


# --- verify mode -------------------------------------------------------------------------------------------


def test_verify_reports_schema_drift_and_never_rewrites(
    inner: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(inner, "test_one", "two_calls")
    files = {name: _cassette(inner, name).read_bytes() for name in ("test_one", "test_two_calls")}
    sent = server.config.count("/chat/completions")

    result = _run(inner, "--groq-vcr-verify", "-k", "one or two")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "2 cassettes used: 0 interactions replayed, 0 recorded (0 cassettes saved), 0 unused",
            "verify: 3 live responses compared with their recording, 0 drifted",
            "*test_one.yaml #0 POST /openai/v1/chat/completions: no schema changes",
        ]
    )
    assert server.config.count("/chat/completions") == sent + 3  # nothing was replayed

    server.config.response_change = ResponseChange(remove=["usage.total_tokens"], add={"usage.cached_tokens": 0})
    result = _run(inner, "--groq-vcr-verify", "-k", "one or two")
    result.assert_outcomes(passed=2, errors=2)  # drift is reported when each test's cassette closes
    result.stdout.fnmatch_lines(
        [
            "*groq-vcr verify: live responses drifted from the cassette:",
            "*test_two_calls.yaml #0 POST /openai/v1/chat/completions:",
            "*1 breaking, 1 additive, 0 info",
            "*breaking:",
            "*usage.total_tokens: removed (int)*",
            "*additive:",
            "*usage.cached_tokens: added (int)*",
            "*test_two_calls.yaml #1 POST /openai/v1/chat/completions:*",
        ]
    )
    result.stdout.fnmatch_lines(["verify: 3 live responses compared with their recording, 3 drifted"])
    assert {name: _cassette(inner, name).read_bytes() for name in files} == files


def test_verify_strict_fails_on_added_fields(inner: pytest.Pytester, server: FakeGroqServer) -> None:
    _record(inner, "test_one")
    server.config.response_change = ResponseChange(add={"usage.cached_tokens": 0})
    _run(inner, "--groq-vcr-verify", "-k", "test_one").assert_outcomes(passed=1)
    inner.makeini(INI + "groq_schema_strict = true\n")
    result = _run(inner, "--groq-vcr-verify", "-k", "test_one")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*usage.cached_tokens: added (int)*"])


def test_verify_drift_in_a_test_that_fails_is_one_failure_not_failed_and_error(
    inner: pytest.Pytester, server: FakeGroqServer
) -> None:
    _record(inner, "test_one")
    inner.makepyfile(test_inner=INNER.replace('assert chat("one")', 'assert chat("one") == "not the answer"'))
    server.config.response_change = ResponseChange(remove=["usage.total_tokens"])
    result = _run(inner, "--groq-vcr-verify", "-k", "test_one")
    result.assert_outcomes(failed=1, errors=0)
    result.stdout.fnmatch_lines(
        [
            "*Captured groq-vcr findings teardown*",
            "groq-vcr verify: live responses drifted from the cassette:",
            "*usage.total_tokens: removed (int)*",
            "verify: 1 live response compared with its recording, 1 drifted",
        ]
    )
    assert "ERROR" not in result.stdout.str()


def test_summary_counts_a_discarded_recording_apart_with_plurals(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner.makepyfile(test_inner=INNER.replace('assert chat("one")', 'assert chat("one") == "not the answer"'))
    result = _run(inner, "--record-mode=once", "-k", "test_one")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "1 cassette used: 0 interactions replayed, 0 recorded (0 cassettes saved), 0 unused, "
            "1 discarded (recorded by failed tests, not saved)"
        ]
    )
    assert not _cassette(inner, "test_one").exists()
    inner.makepyfile(test_inner=INNER)
    _record(inner, "test_one")
    _replay_env(monkeypatch)
    result = _run(inner, "--record-mode=none", "--block-network", "--groq-vcr-summary=cassettes", "-k", "test_one")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "1 cassette used: 1 interaction replayed, 0 recorded (0 cassettes saved), 0 unused",
            "  *test_one.yaml: 1 replayed, 0 recorded, 0 unused",
        ]
    )


# --- match log ---------------------------------------------------------------------------------------------


def test_miss_log_names_every_rejected_candidate(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(inner, "two_calls")
    inner.makepyfile(test_inner=INNER.replace('chat("two") and chat("three")', 'chat("two") and chat("four")'))
    _replay_env(monkeypatch)
    result = _run(inner, "--record-mode=none", "--block-network", "--groq-vcr-log", "-k", "two_calls")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Captured groq-vcr match log teardown*",
            "POST http://127.0.0.1:*/openai/v1/chat/completions: replaying #0 from *test_two_calls.yaml "
            "(chosen among 2 recorded with this method and URL)",
            "POST http://127.0.0.1:*/openai/v1/chat/completions: no match in *test_two_calls.yaml "
            "(2 candidates with this method and URL)",
            "  #0 POST http://127.0.0.1:*/openai/v1/chat/completions rejected:",
            "    body['messages'][0]['content']: 'four' != 'two' (recorded)",
            "  #1 POST http://127.0.0.1:*/openai/v1/chat/completions rejected:",
            "    body['messages'][0]['content']: 'four' != 'three' (recorded)",
        ]
    )
    output = result.stdout.str()
    assert output.count("(2 candidates with this method and URL)") == 1, "the match log is printed once"
    assert "Captured log" not in output


def test_log_marker_prints_one_tests_log_even_when_it_passes(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(inner, "test_one", "two_calls")
    source = INNER.replace(
        "@pytest.mark.vcr\ndef test_one():", "@pytest.mark.vcr\n@pytest.mark.groq_vcr_log\ndef test_one():"
    ).replace('chat("two") and chat("three")', 'chat("two") and chat("two")')
    inner.makepyfile(test_inner=source)
    _replay_env(monkeypatch)
    result = _run(inner, "--record-mode=none", "--block-network", "-k", "one or two")
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str()
    # test_one passed: its log is printed at the end; test_two_calls has no marker: no log.
    result.stdout.fnmatch_lines(
        ["*groq-vcr match log: test_inner.py::test_one*", "POST *: replaying #0 from *test_one.yaml (chosen among 1*"]
    )
    assert "match log: test_inner.py::test_two_calls" not in output
    assert "Captured groq-vcr match log" not in output

    result = _run(inner, "--record-mode=none", "--block-network", "--groq-vcr-log", "-k", "two_calls")
    result.stdout.fnmatch_lines(
        [
            "*no match in *test_two_calls.yaml (2 candidates with this method and URL)",
            "  #0 POST * rejected:",
            "    same request, already played 1 time (each replays once)",
            "  #1 POST * rejected:",
            "    body['messages'][0]['content']: 'two' != 'three' (recorded)",
        ]
    )


# --- end-of-run record and check --unused ------------------------------------------------------------------


def test_last_run_record_lists_unused_interactions_and_cassettes(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(inner, "test_one", "two_calls", "long_lived")
    inner.makepyfile(
        test_inner=INNER.replace('chat("two") and chat("three")', 'chat("two")').replace("def test_long", "def _gone")
    )
    _replay_env(monkeypatch)
    _run(inner, "--record-mode=none", "--block-network").assert_outcomes(passed=2)
    record = json.loads((inner.path / LAST_RUN).read_text())
    assert [(Path(c["path"]).name, c["unused"], c["opened"]) for c in record["cassettes"]] == [
        ("test_one.yaml", [], 1),
        ("test_two_calls.yaml", [1], 1),
    ]
    monkeypatch.chdir(inner.path)
    outcome = CliRunner().invoke(cli, ["check", "--unused", "cassettes"])
    assert outcome.exit_code == 1, outcome.output
    lines = outcome.stdout.splitlines()
    assert lines[0].endswith(
        "test_long_lived.yaml: unused: no test opened this cassette in the last run (" + record["finished"] + ")"
    )
    assert lines[1].endswith(
        "test_two_calls.yaml: unused: #1 POST /openai/v1/chat/completions never played in the last run ("
        + record["finished"]
        + ")"
    )
    assert len(lines) == 2


def test_last_run_is_written_by_the_xdist_controller(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(inner, "test_one", "two_calls")
    inner.makepyfile(test_inner=INNER.replace('chat("two") and chat("three")', 'chat("three")'))
    _replay_env(monkeypatch)
    last_run = inner.path / LAST_RUN
    last_run.unlink()
    result = inner.runpytest_subprocess(
        *UNUSED_PLUGINS, "--record-mode=none", "--block-network", "-n", "2", "-k", "one or two"
    )
    result.assert_outcomes(passed=2)
    record = json.loads(last_run.read_text())
    assert [(Path(c["path"]).name, c["unused"]) for c in record["cassettes"]] == [
        ("test_one.yaml", []),
        ("test_two_calls.yaml", [0]),
    ]


def test_date_header_is_what_the_fake_server_sends(inner: pytest.Pytester) -> None:
    _record(inner, "test_one")
    when = recorded_at(groq_vcr.load_cassette(_cassette(inner, "test_one")))
    assert when is not None
    assert abs((datetime.now(UTC) - when).total_seconds()) < 300
    assert email.utils.format_datetime(when, usegmt=True).endswith("GMT")


# --- failed tests ------------------------------------------------------------------------------------------


def test_failing_test_leaves_its_existing_cassette_untouched(
    inner: pytest.Pytester, server: FakeGroqServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(inner, "test_one")
    path = _cassette(inner, "test_one")
    before = path.read_bytes()
    inner.makepyfile(test_inner=INNER.replace('assert chat("one")', 'assert chat("one") and chat("extra") == ""'))
    _run(inner, "--record-mode=new_episodes", "-k", "test_one").assert_outcomes(failed=1)
    assert path.read_bytes() == before
    # An expired cassette being re-recorded by a test that fails is not replaced either.
    _age(path)
    aged = path.read_bytes()
    monkeypatch.setenv("GROQ_API_KEY", server.api_key)
    result = _run(inner, "--groq-vcr-max-age=30d", "--groq-vcr-on-expired=rerecord", "-k", "test_one")
    result.assert_outcomes(failed=1)
    assert path.read_bytes() == aged
    result = _run(inner, "--record-mode=new_episodes", "--groq-vcr-keep-failed", "-k", "test_one")
    result.assert_outcomes(failed=1)
    assert [
        json.loads(i.request.body)["messages"][0]["content"] for i in groq_vcr.load_cassette(path).interactions
    ] == [
        "one",
        "extra",
    ]


# --- schema assertions registered by the plugin ------------------------------------------------------------


def test_schema_assertions_fixture_and_ini_come_with_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_schemas="""
from groq_vcr import schema_of

def test_compare():
    assert schema_of({"usage": {"total_tokens": 1}}) == schema_of({"usage": {"total_tokens": "1"}})

def test_fixture_reads_the_ini(groq_schema):
    assert groq_schema.strict is True
"""
    )
    pytester.makeini(INI + "groq_schema_strict = true\n")
    result = _run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["E*response schemas differ (left -> right):", "E*1 breaking*", "E*usage.total_tokens*"]
    )
    fixtures = _run(pytester, "--fixtures")
    fixtures.stdout.fnmatch_lines(["groq_schema -- *", "*Compare responses with the schemas recorded*"])
