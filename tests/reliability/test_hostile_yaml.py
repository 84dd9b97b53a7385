"""Hostile YAML (billion laughs, deep nesting, duplicate keys) is refused by every reader with file:line.

Each reader runs in a child process whose address space is capped (``RLIMIT_AS``) and under a generous timeout:
the cap is a guard that the process does not explode (the 2 KB billion-laughs file expands to gigabytes when
walked), not a speed or memory assertion. The reader must end by itself, with a clear refusal naming the file
and the line, and leave the file as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from groq_vcr.testing import FakeGroqServer, serve_fake_groq

ADDRESS_SPACE = 1536 * 1024 * 1024  # far below what any expansion needs, far above an interpreter with the CLI
TIMEOUT = 180

GO_VCR_HEAD = "---\nversion: 2\n"
ONE_INTERACTION = (
    "interactions:\n    - id: 0\n      request:\n        url: https://api.groq.com/openai/v1/models\n"
    "        method: GET\n      response:\n        body: '{}'\n        status: 200 OK\n        code: 200\n"
    "        duration: 1ms\n"
)


def laughs(levels: int = 9, width: int = 10) -> str:
    """Anchors each holding ``width`` aliases of the previous one: ``width ** levels`` values once expanded."""
    lines = ["lol0: &lol0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


LAUGHS_LINE = 3  # the first anchor, after "---" and "version: 2"
GO_VCR_LAUGHS = GO_VCR_HEAD + laughs() + ONE_INTERACTION
BOUNDED_LINE = 7  # the alias at which the expansion passes the bound
DEEP_LINE = 3
GO_VCR_DEEP = GO_VCR_HEAD + "extra: " + "[" * 900 + "]" * 900 + "\n" + ONE_INTERACTION
DUP_LINE = 13
GO_VCR_DUP = GO_VCR_HEAD + ONE_INTERACTION + "interactions: []\n"
VCRPY_HEAD = (
    "interactions:\n- request:\n    body: null\n    headers: {}\n    method: GET\n"
    "    uri: https://api.groq.com/openai/v1/models\n  response:\n    body: {string: '{}'}\n"
    "    headers: {}\n    status: {code: 200, message: OK}\n"
)
VCRPY_LAUGHS = VCRPY_HEAD + laughs() + "version: 1\n"
VCRPY_LAUGHS_LINE = 15  # the alias at which the expansion passes the bound

CASES = {
    "laughs": (GO_VCR_LAUGHS, LAUGHS_LINE, "YAML anchor `&lol0`"),
    "deep": (GO_VCR_DEEP, DEEP_LINE, "nested more than 100 levels"),
    "duplicate": (GO_VCR_DUP, DUP_LINE, "mapping key 'interactions' is already defined at line 3"),
}

CAPPED = textwrap.dedent(
    """
    import resource, runpy, sys
    resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
    how, what, *rest = sys.argv[1:]
    if how == "-c":
        sys.argv = rest or ["-c"]
        exec(what, {{"__name__": "__main__"}})
    else:
        sys.argv = [what, *rest]
        runpy.run_module(what, run_name="__main__", alter_sys=True)
    """
)


def run_capped(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` with its address space capped at :data:`ADDRESS_SPACE`, stdout and stderr together."""
    code = CAPPED.format(cap=ADDRESS_SPACE)
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=TIMEOUT,
        check=False,
    )
    assert "MemoryError" not in done.stdout + done.stderr, done.stderr[-3000:]
    assert done.returncode >= 0, f"killed by signal {-done.returncode}"
    return done


def cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_capped("-c", "from groq_vcr.cli import main; main()", "groq-vcr", *map(str, args), cwd=cwd)


COMMANDS: dict[str, tuple[str, ...]] = {
    "load": (),
    "scan": ("scan",),
    "redact --check": ("redact", "--check"),
    "redact": ("redact",),
    "check": ("check",),
    "fmt": ("fmt",),
    "fmt --check": ("fmt", "--check"),
    "show": ("show",),
    "convert": ("convert", "--to", "v1"),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_reader_refuses_with_file_and_line(tmp_path: Path, case: str, command: str) -> None:
    text, line, problem = CASES[case]
    if case == "laughs" and command.startswith(("scan", "redact")):
        # The text scanner reads vcrpy files too: aliases are bounded there, refused when the model loads.
        line, problem = BOUNDED_LINE, "billion laughs"
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    if command == "load":
        code = f"import groq_vcr; groq_vcr.load_cassette({str(path)!r})"
        done = run_capped("-c", code, cwd=tmp_path)
    else:
        done = cli(*COMMANDS[command], path, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert f"{path}:{line}" in output, output[-3000:]
    assert problem in output, output[-3000:]
    assert path.read_text() == text  # refused, never rewritten


@pytest.mark.parametrize("command", ["load_v1", "scan", "convert"])
def test_vcrpy_cassette_aliases_are_bounded(tmp_path: Path, command: str) -> None:
    """vcrpy files are read with aliases allowed (PyYAML's dumper writes one for a shared object), but never
    expanded past 20 times what is written."""
    path = tmp_path / "vcrpy.yaml"
    path.write_text(VCRPY_LAUGHS)
    if command == "load_v1":
        done = run_capped("-c", f"from groq_vcr.cassette import load_v1; load_v1({str(path)!r})", cwd=tmp_path)
    elif command == "scan":
        done = cli("scan", path, cwd=tmp_path)
    else:
        done = cli("convert", "--to", "v2", path, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert f"{path}:{VCRPY_LAUGHS_LINE}" in output, output[-3000:]
    assert "billion laughs" in output, output[-3000:]


def test_a_vcrpy_cassette_with_a_shared_mapping_still_loads(tmp_path: Path) -> None:
    """An alias that repeats a mapping once is what PyYAML's dumper writes for a shared object: accepted."""
    from groq_vcr.cassette import load_v1

    path = tmp_path / "shared.yaml"
    two = VCRPY_HEAD.replace("    headers: {}\n    method", "    headers: &id001 {Accept: ['*/*']}\n    method")
    second = VCRPY_HEAD.removeprefix("interactions:\n").replace(
        "    headers: {}\n    method", "    headers: *id001\n    method"
    )
    path.write_text(two + second + "version: 1\n")
    cassette = load_v1(path)
    assert [i.request.headers for i in cassette.interactions] == [{"Accept": ["*/*"]}] * 2


INNER = """
import os
import httpx
import pytest


@pytest.mark.vcr
def test_call():
    with httpx.Client(base_url=os.environ["FAKE_GROQ_BASE"] + "/openai/v1",
                      headers={"Authorization": "Bearer " + os.environ["FAKE_GROQ_KEY"]}) as c:
        c.get("/models").raise_for_status()
        c.get("/models/llama").status_code
"""


@pytest.mark.parametrize(
    ("case", "text", "line", "problem"),
    [
        *[(name, *spec) for name, spec in CASES.items()],
        ("vcrpy laughs", VCRPY_LAUGHS, VCRPY_LAUGHS_LINE, "billion laughs"),
    ],
    ids=[*CASES, "vcrpy laughs"],
)
@pytest.mark.parametrize("mode", ["new_episodes"])
def test_the_plugin_refuses_on_replay_and_on_save(
    tmp_path: Path, case: str, text: str, line: int, problem: str, mode: str
) -> None:
    (tmp_path / "test_inner.py").write_text(INNER)
    cassette = tmp_path / "cassettes" / "test_inner" / "test_call.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text(text)
    with serve_fake_groq() as server:
        done = run_capped(
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            f"--record-mode={mode}",
            cwd=tmp_path,
            env=_server_env(server),
        )
        sent = server.config.count()
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert f"test_call.yaml:{line}" in output, output[-3000:]
    assert problem in output, output[-3000:]
    assert "_load.py" not in output, output[-3000:]  # the message, no traceback through the loader
    assert "_guard.py" not in output, output[-3000:]
    assert cassette.read_text() == text
    assert sent == 0


def _server_env(server: FakeGroqServer) -> dict[str, str]:
    return {"FAKE_GROQ_BASE": server.base_url, "FAKE_GROQ_KEY": server.api_key}
