"""One shard of a suite: detected from pytest-split's options or --groq-vcr-sharded, unused interactions left to
the merge, the shard named in the report; the rate share and the budget folder the xdist workers share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groq_vcr import Cassette, Interaction, Request, Response, save_cassette

MODELS = "https://api.groq.com/openai/v1/models"

INNER = f"""
import json
import os
from pathlib import Path

import httpx
import pytest


@pytest.mark.vcr
def test_models():
    assert httpx.get("{MODELS}?page=1").status_code == 200


def test_budget_folder(request):
    folder = Path(request.config.workerinput["groq_vcr_budget_dir"])
    folder.mkdir(parents=True, exist_ok=True)  # as the first live request would
    Path(os.environ["SEEN"], request.config.workerinput["workerid"]).write_text(str(folder))


def test_other(request):
    test_budget_folder(request)


def test_plain():
    pass
"""

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    default\n"


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini(INI)
    interactions = [
        Interaction(
            Request(url=f"{MODELS}?page={page}", method="GET"),
            Response(body='{"object": "list", "data": []}', content_length=30),
        )
        for page in (1, 2)
    ]
    save_cassette(pytester.path / "cassettes" / "test_inner" / "test_models.yaml", Cassette(interactions=interactions))
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    replay = ("--record-mode=none", "--block-network", "--groq-vcr-report=report.json", "-k", "models")
    return pytester.runpytest("-p", "no:cacheprovider", *replay, *args)


def test_pytest_split_makes_the_run_a_shard_that_leaves_unused_to_the_merge(inner: pytest.Pytester) -> None:
    whole = _run(inner, "--groq-vcr-fail-unused")
    whole.assert_outcomes(passed=1, errors=1)  # an unsharded run fails the test at teardown
    result = _run(inner, "--groq-vcr-fail-unused", "--splits", "1", "--group", "1")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "groq-vcr: sharded run (pytest-split group 1/1): unused interactions are judged by "
            "'groq-vcr report merge'; report: *report.json"
        ]
    )
    report = json.loads((inner.path / "report.json").read_text())
    assert report["runs"] == [
        {"finished": report["finished"], "shard": "1/1", "sharding": "pytest-split", "workers": 0, "sharded": True}
    ]
    assert report["cassettes"][0]["path"] == "cassettes/test_inner/test_models.yaml"
    assert report["cassettes"][0]["unused"] == [1]


def test_the_flag_makes_any_run_a_shard(inner: pytest.Pytester) -> None:
    result = _run(inner, "--groq-vcr-fail-unused", "--groq-vcr-sharded")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["groq-vcr: sharded run (--groq-vcr-sharded): *"])
    assert json.loads((inner.path / "report.json").read_text())["runs"][0]["sharding"] == "--groq-vcr-sharded"


def test_a_shard_that_used_no_cassette_still_leaves_its_report(inner: pytest.Pytester) -> None:
    plain = ("-p", "no:cacheprovider", "--groq-vcr-report=report.json", "-k", "plain")
    inner.runpytest(*plain, "--groq-vcr-sharded").assert_outcomes(passed=1)
    report = json.loads((inner.path / "report.json").read_text())
    assert (report["cassettes"], report["runs"][0]["sharded"]) == ([], True)
    # An unsharded run with no cassette writes nothing, as before.
    (inner.path / "report.json").unlink()
    inner.runpytest(*plain).assert_outcomes(passed=1)
    assert not (inner.path / "report.json").exists()


def test_a_bad_rate_share_is_a_usage_error(inner: pytest.Pytester) -> None:
    result = _run(inner, "--groq-vcr-rate-share=4")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--groq-vcr-rate-share '4' is not a share of the rate limits*"])


def test_xdist_workers_share_one_budget_folder_removed_after_the_run(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = inner.path / "seen"
    seen.mkdir()
    monkeypatch.setenv("SEEN", str(seen))
    monkeypatch.delenv("GROQ_VCR_RATE_BUDGET_DIR", raising=False)
    result = inner.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--dist", "each", "-k", "budget")
    result.assert_outcomes(passed=2)
    folders = {path.read_text() for path in seen.iterdir()}
    assert len(list(seen.iterdir())) == 2
    (folder,) = folders
    assert Path(folder).name.startswith("groq-vcr-budget-")
    assert not Path(folder).exists(), "the controller removes the budget folder at the end of the run"
