"""pytest-recording's own test suite, run with groq-vcr installed: the drop-in proof of issue 14.

The suite is pytest-recording 0.14.1's ``tests/`` as its PyPI sdist ships it, kept in
``tests/data/upstream/pytest-recording/`` (``SOURCE.md`` there names its origin and every local change). It runs
twice, in subprocesses started together, each with its own ``pytest.ini`` as rootdir and ``-n 2``:

- **baseline**, with ``-p no:groq_vcr`` (the harness ``conftest.py`` there hands that to the suite's inner
  ``pytester`` runs too): pytest-recording as if groq-vcr were not installed;
- **groq-vcr**, as installed: every ``@pytest.mark.vcr`` test, the suite's own and those of its inner runs, uses
  groq-vcr cassettes.

Per-test outcomes come from each run's JUnit XML. The rules:

1. The baseline passes entirely: no upstream test fails or errors, and both runs collect the same, non-empty set
   of tests. A baseline failure means the environment is broken (a missing test dependency, no loopback, an
   installed pytest-recording other than the vendored suite's version), not groq-vcr, and the message says so.
2. With groq-vcr every upstream test has the baseline's outcome (passed, or skipped by pytest-recording's own
   platform/version conditions), except the tests listed in :data:`EXCEPTIONS`.
3. The list cannot go stale silently: each listed test must exist in both runs, pass in the baseline and fail
   or error with groq-vcr, its reason must be one of the two kinds below, and its failure's decisive error line
   must contain the test's :data:`EVIDENCE` (the exception and the request that show the listed cause). A listed
   test that passes, or fails for another reason (say, before it reaches the listed cause), fails this module
   with "update EXCEPTIONS".
4. No upstream test reached beyond loopback: the harness's audit hook refuses (and logs) any name resolution or
   connection to another address, and both logs must be empty. That the hook does refuse is checked here too.

Each failing test is named with its decisive error line: the first failure report of the test's inner pytest
run when it ran one that failed (its first ``E`` line, or the report's first line: groq-vcr prints a miss as
plain text), else the first line of the test's own failure.

Both runs are started together and each uses ``-n 2`` (the suite runs most tests in an inner ``pytester`` run
of the same process; it tolerates xdist). Under xdist in this project's run, the first worker that needs the
results runs the suite; the others wait for them and read them.

Only two kinds of upstream test may be listed: one that reads vcrpy's own YAML layout from disk (groq-vcr writes
go-vcr v2 cassettes: the same requests, another layout), and one that expects vcrpy's
``CannotOverwriteExistingCassetteException`` on a miss (groq-vcr raises its own ``NoMatchError``, a
``BaseException`` on purpose: the SDKs retry an ``Exception``). Every other failure is a compatibility bug to
fix in groq-vcr, not to list here.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "tests" / "data" / "upstream" / "pytest-recording"
VENDORED_VERSION = "0.14.1"
WORKERS = 2
TIMEOUT = 1800.0

# The two kinds of reason an upstream test may be listed for; every reason starts with one of them.
VCRPY_LAYOUT = "reads vcrpy's YAML layout from disk"
VCRPY_EXCEPTION = "expects vcrpy's CannotOverwriteExistingCassetteException"
REASON_KINDS = (VCRPY_LAYOUT, VCRPY_EXCEPTION)

# {upstream test id: why it cannot pass with groq-vcr}. A test's id is its node id in the upstream folder.
EXCEPTIONS: dict[str, str] = {
    # vcrpy keeps a response body at interactions[i]["response"]["body"]["string"]; a go-vcr v2 cassette keeps it as
    # a string at interactions[i]["response"]["body"], so indexing it with "string" raises TypeError. The rest of
    # these tests (rewrite replaces the cassette, with a new body and the same size) holds with groq-vcr.
    "tests/test_recording.py::test_rewrite_record_mode_in_config": (
        f"{VCRPY_LAYOUT}: assert_cassette_is_rewritten() reads interactions[0].response.body.string of the recorded "
        "cassette with yaml.load"
    ),
    "tests/test_recording.py::test_rewrite_record_mode_in_mark": (
        f"{VCRPY_LAYOUT}: assert_cassette_is_rewritten() reads interactions[0].response.body.string of the recorded "
        "cassette with yaml.load"
    ),
    "tests/test_recording.py::test_cassette_recording_rewrite": (
        f"{VCRPY_LAYOUT}: reads interactions[0].response.body.string of both recorded cassettes with yaml.load"
    ),
    "tests/test_recording.py::test_custom_cassette_name_rewrite": (
        f"{VCRPY_LAYOUT}: reads interactions[0].response.body.string of the recorded cassette with yaml.load"
    ),
    # A request no cassette has raises groq-vcr's NoMatchError, a BaseException on purpose (the Groq and OpenAI
    # SDKs retry an Exception): pytest.raises(CannotOverwriteExistingCassetteException) does not catch it.
    "tests/test_replaying.py::test_no_cassete_vcr_used": (
        f"{VCRPY_EXCEPTION}: pytest.raises(vcr.errors.CannotOverwriteExistingCassetteException) around a request "
        "to http://localhost/get with no cassette"
    ),
    "tests/test_blocking_network.py::test_with_vcr_mark": (
        f"{VCRPY_EXCEPTION}: pytest.raises(vcr.errors.CannotOverwriteExistingCassetteException) around a request "
        "to pytest-httpbin with no cassette"
    ),
    "tests/test_blocking_network.py::test_block_network_via_cmd": (
        f"{VCRPY_EXCEPTION}: its inner test_with_vcr_mark wraps a request to pytest-httpbin with no cassette in "
        "pytest.raises(vcr.errors.CannotOverwriteExistingCassetteException)"
    ),
}

# {upstream test id: a text the decisive error line of its failure with groq-vcr contains}: the proof that it
# fails for its listed reason and not for another one.
EVIDENCE: dict[str, str] = {
    "tests/test_recording.py::test_rewrite_record_mode_in_config": "TypeError: string indices must be integers",
    "tests/test_recording.py::test_rewrite_record_mode_in_mark": "TypeError: string indices must be integers",
    "tests/test_recording.py::test_cassette_recording_rewrite": "TypeError: string indices must be integers",
    "tests/test_recording.py::test_custom_cassette_name_rewrite": "TypeError: string indices must be integers",
    "tests/test_replaying.py::test_no_cassete_vcr_used": (
        "groq_vcr.errors.NoMatchError: No recorded interaction matches GET http://localhost/get"
    ),
    "tests/test_blocking_network.py::test_with_vcr_mark": (
        "groq_vcr.errors.NoMatchError: No recorded interaction matches GET http://127.0.0.1:"
    ),
    "tests/test_blocking_network.py::test_block_network_via_cmd": (
        "No recorded interaction matches GET http://127.0.0.1:"
    ),
}


@dataclasses.dataclass(frozen=True)
class Outcome:
    outcome: str  # passed, failed, error or skipped
    line: str  # the decisive error line of a failure or error, the reason of a skip, "" for a pass


@dataclasses.dataclass(frozen=True)
class SuiteRun:
    name: str
    command: list[str]
    returncode: int
    seconds: float
    outcomes: dict[str, Outcome]
    refused: list[str]
    has_groq_vcr_summary: bool
    output_tail: str

    def ids(self, *outcomes: str) -> set[str]:
        return {test for test, result in self.outcomes.items() if result.outcome in outcomes}

    def describe(self, tests: set[str] | list[str]) -> str:
        return "\n".join(
            f"  {test}: {self.outcomes[test].outcome}: {self.outcomes[test].line}" for test in sorted(tests)
        )


def _test_id(case: ET.Element) -> str:
    """``tests.test_recording`` + ``test_x[a]`` -> ``tests/test_recording.py::test_x[a]``; a class joins with ::."""
    parts = (case.get("classname") or "").split(".")
    module = []
    for index, part in enumerate(parts):
        module.append(part)
        if (UPSTREAM / Path(*module)).with_suffix(".py").is_file():
            return "::".join(["/".join(module) + ".py", *parts[index + 1 :], case.get("name") or ""])
    raise AssertionError(f"no upstream module for JUnit classname {case.get('classname')!r}")


# "____ test_name ____" starts a failure report; "_ _ _ _" (between the frames of one traceback) does not.
_HEADER = re.compile(r"^_+ (?!_ |_$).+ _+$")


def _first_inner_failure(captured: str) -> str | None:
    """The decisive line of the first failure an inner pytest run printed: its first ``E`` line, or, for a report
    without one (groq-vcr prints a miss as plain text), the report's first line."""
    block: list[str] | None = None
    for line in [*captured.splitlines(), "=" * 8]:
        if _HEADER.match(line) or line.startswith(("-" * 8, "=" * 8)):
            if block:
                errors = [text for text in block if text.startswith("E ")]
                return errors[0][1:].strip() if errors else next(text.strip() for text in block if text.strip())
            block = [] if _HEADER.match(line) else None
        elif block is not None and line.strip():
            block.append(line)
    return None


def _decisive_line(problem: ET.Element, captured: str) -> str:
    """The inner pytest run's first failure if the test ran one that failed, else the test's own first line."""
    inner = _first_inner_failure(captured)
    if inner is not None:
        return inner
    for line in (problem.get("message") or problem.text or "").splitlines():
        if line.strip():
            return line.strip()
    return "(no message)"


def parse_junit(path: Path) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        captured = "\n".join(node.text or "" for node in case.findall("system-out"))
        result = Outcome("passed", "")
        for kind in ("failure", "error"):
            problem = case.find(kind)
            if problem is not None:
                result = Outcome("failed" if kind == "failure" else "error", _decisive_line(problem, captured))
                break
        else:
            skipped = case.find("skipped")
            if skipped is not None:
                result = Outcome("skipped", (skipped.get("message") or "").strip())
        test = _test_id(case)
        # A test that fails and then errors at teardown has two entries: keep the worse outcome.
        if test not in outcomes or outcomes[test].outcome in ("passed", "skipped"):
            outcomes[test] = result
    return outcomes


def _environment(netlog: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GROQ_"))}
    # This machine sets PYTHONDONTWRITEBYTECODE=1: every inner pytest run would then compile and assertion-rewrite
    # each plugin module again (3-4 times slower). The caches go to the virtual environment, not the source tree.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(sys.prefix) / "pycache")
    env["GROQ_VCR_UPSTREAM_NETLOG"] = str(netlog)
    return env


def _start(name: str, folder: Path) -> tuple[list[str], subprocess.Popen[bytes], Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    junit, netlog, output = folder / "junit.xml", folder / "refused.log", folder / "output.txt"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(UPSTREAM / "pytest.ini"),
        "--rootdir",
        str(UPSTREAM),
        str(UPSTREAM / "tests"),
        "-p",
        "no:cacheprovider",
        "-q",
        "-rfEs",
        "--tb=short",
        "-n",
        str(WORKERS),
        f"--junitxml={junit}",
        "-o",
        "junit_family=xunit2",
        "-o",
        "junit_logging=system-out",
    ]
    if name == "baseline":
        command += ["-p", "no:groq_vcr"]
    else:
        command += [f"--groq-vcr-last-run={folder / 'last-run.json'}"]
    with output.open("wb") as sink:
        process = subprocess.Popen(command, cwd=folder, env=_environment(netlog), stdout=sink, stderr=subprocess.STDOUT)
    return command, process, junit, netlog, output


def run_both(folder: Path) -> dict[str, SuiteRun]:
    """Start both runs together; each one's seconds are from the common start to its own end."""
    started = time.monotonic()
    launched = {name: _start(name, folder / name) for name in ("baseline", "groq-vcr")}
    ended: dict[str, float] = {}
    try:
        while len(ended) < len(launched):
            for name, (_, process, *_) in launched.items():
                if name not in ended and process.poll() is not None:
                    ended[name] = time.monotonic() - started
            if time.monotonic() - started > TIMEOUT:
                raise TimeoutError(f"pytest-recording's suite took more than {TIMEOUT} s: {folder}")
            time.sleep(0.5)
    finally:
        for _, process, *_ in launched.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    runs: dict[str, SuiteRun] = {}
    for name, (command, process, junit, netlog, output) in launched.items():
        text = output.read_text(encoding="utf-8", errors="replace")
        runs[name] = SuiteRun(
            name=name,
            command=command,
            returncode=process.returncode,
            seconds=round(ended[name], 1),
            outcomes=parse_junit(junit) if junit.exists() else {},
            refused=netlog.read_text(encoding="utf-8").splitlines() if netlog.exists() else [],
            has_groq_vcr_summary=any(
                line.startswith("-") and line.strip("- ") == "groq-vcr" for line in text.splitlines()
            ),
            output_tail="\n".join(text.splitlines()[-40:]),
        )
    return runs


def _to_json(runs: dict[str, SuiteRun]) -> str:
    return json.dumps({name: dataclasses.asdict(run) for name, run in runs.items()})


def _from_json(text: str) -> dict[str, SuiteRun]:
    runs = {}
    for name, data in json.loads(text).items():
        data["outcomes"] = {test: Outcome(**outcome) for test, outcome in data["outcomes"].items()}
        runs[name] = SuiteRun(**data)
    return runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    """Both runs, once per test session: under xdist the first worker to get here runs them, the others read."""
    basetemp = tmp_path_factory.getbasetemp()
    # Under xdist each worker's basetemp is a folder of the session's: their parent is the session's own.
    session_temp = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
    shared = session_temp / "pytest-recording-suite"
    shared.mkdir(exist_ok=True)
    results = shared / "runs.json"
    with FileLock(str(shared / "runs.lock")):
        if not results.exists():
            results.write_text(_to_json(run_both(shared)), encoding="utf-8")
    return _from_json(results.read_text(encoding="utf-8"))


def _broken_environment(run: SuiteRun) -> str:
    installed = version("pytest-recording")
    note = (
        ""
        if installed == VENDORED_VERSION
        else f"; pytest-recording {installed} is installed, the vendored suite is {VENDORED_VERSION}'s"
    )
    return (
        f"the environment is broken, not groq-vcr: pytest-recording's own suite fails without groq-vcr{note}\n"
        f"command: {' '.join(run.command)}\nexit {run.returncode}\n{run.output_tail}"
    )


def test_the_baseline_passes_entirely(runs: dict[str, SuiteRun]) -> None:
    baseline = runs["baseline"]
    assert baseline.outcomes, _broken_environment(baseline)
    broken = baseline.ids("failed", "error")
    assert not broken, _broken_environment(baseline) + "\n" + baseline.describe(broken)
    assert baseline.returncode == 0, _broken_environment(baseline)


def test_both_runs_collect_the_same_tests(runs: dict[str, SuiteRun]) -> None:
    baseline, groq = runs["baseline"], runs["groq-vcr"]
    assert groq.outcomes, f"the groq-vcr run reported no test\n{groq.output_tail}"
    only_baseline = set(baseline.outcomes) - set(groq.outcomes)
    only_groq = set(groq.outcomes) - set(baseline.outcomes)
    assert not only_baseline, f"collected only in the baseline: {sorted(only_baseline)}"
    assert not only_groq, f"collected only with groq-vcr: {sorted(only_groq)}"


def test_the_groq_vcr_run_has_groq_vcr_and_the_baseline_not(runs: dict[str, SuiteRun]) -> None:
    # groq-vcr's end-of-run summary is a terminal section of its own: proof that the plugin was loaded or blocked.
    assert runs["groq-vcr"].has_groq_vcr_summary, runs["groq-vcr"].output_tail
    assert not runs["baseline"].has_groq_vcr_summary, runs["baseline"].output_tail


def test_every_upstream_test_passes_with_groq_vcr_except_the_listed_ones(runs: dict[str, SuiteRun]) -> None:
    baseline, groq = runs["baseline"], runs["groq-vcr"]
    different = {
        test
        for test, result in groq.outcomes.items()
        if test not in EXCEPTIONS and result.outcome != baseline.outcomes.get(test, Outcome("missing", "")).outcome
    }
    assert not different, (
        f"{len(different)} upstream tests of pytest-recording {VENDORED_VERSION} do not pass with groq-vcr "
        f"(decisive error line of each):\n{groq.describe(different)}"
    )


def test_each_listed_exception_still_fails_for_its_reason(runs: dict[str, SuiteRun]) -> None:
    baseline, groq = runs["baseline"], runs["groq-vcr"]
    stale = [f"{test}: no EVIDENCE entry" for test in sorted(set(EXCEPTIONS) - set(EVIDENCE))]
    stale += [f"{test}: EVIDENCE for a test not in EXCEPTIONS" for test in sorted(set(EVIDENCE) - set(EXCEPTIONS))]
    for test, reason in sorted(EXCEPTIONS.items()):
        evidence = EVIDENCE.get(test, "")
        if not reason.startswith(REASON_KINDS):
            stale.append(f"{test}: a reason starts with one of {REASON_KINDS}")
        elif test not in baseline.outcomes or test not in groq.outcomes:
            stale.append(f"{test}: no such upstream test")
        elif baseline.outcomes[test].outcome != "passed":
            stale.append(f"{test}: {baseline.outcomes[test].outcome} in the baseline")
        elif groq.outcomes[test].outcome not in ("failed", "error"):
            stale.append(f"{test}: {groq.outcomes[test].outcome} with groq-vcr (remove it from EXCEPTIONS)")
        elif evidence not in groq.outcomes[test].line:
            stale.append(f"{test}: fails with {groq.outcomes[test].line!r}, not with {evidence!r}")
    assert not stale, "update EXCEPTIONS:\n" + "\n".join(stale)


def test_no_upstream_test_reached_beyond_loopback(runs: dict[str, SuiteRun]) -> None:
    for run in runs.values():
        assert run.refused == [], f"{run.name}: connections beyond loopback were tried and refused:\n" + "\n".join(
            run.refused
        )


HARNESS_PROBE = """
import importlib.util, json, socket, sys

spec = importlib.util.spec_from_file_location("harness", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))


def tripwire(event, args):
    # Audit hooks run in the order they were added and stop at the first that raises: this one runs only if the
    # harness let the call through, and stops it before it leaves the machine.
    if (event, args[0]) == ("socket.getaddrinfo", "example.com") or (
        event == "socket.connect" and args[1] == ("192.0.2.1", 9)
    ):
        raise OSError("the harness let it through")


sys.addaudithook(tripwire)
outcomes = []
for attempt in (
    lambda: socket.getaddrinfo("example.com", 80),
    lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("192.0.2.1", 9)),
):
    try:
        attempt()
        outcomes.append("reached")
    except OSError as exc:
        outcomes.append(str(exc))
server = socket.create_server(("127.0.0.1", 0))
socket.create_connection(server.getsockname()).close()
outcomes.append("loopback connected")
print(json.dumps(outcomes))
"""


def test_the_harness_refuses_anything_beyond_loopback(tmp_path: Path) -> None:
    netlog = tmp_path / "refused.log"
    env = {**os.environ, "GROQ_VCR_UPSTREAM_NETLOG": str(netlog)}
    probe = subprocess.run(
        [sys.executable, "-c", HARNESS_PROBE, str(UPSTREAM / "conftest.py")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    resolve, connect, loopback = json.loads(probe.stdout)
    assert "socket.getaddrinfo to 'example.com' refused" in resolve
    assert "socket.connect to '192.0.2.1' refused" in connect
    assert loopback == "loopback connected"
    assert len(netlog.read_text(encoding="utf-8").splitlines()) == 2
