"""3 machines recording at once against one organisation's limits: with their shares (1/3 each, one machine
with 2 pytest-xdist workers drawing on one budget) no request gets a 429; each pacing alone with the whole
limits, they get some.

The local Groq-compatible server answers 7 requests per 2-second window over every caller (Groq's 429 beyond),
and says so in its ``x-ratelimit-*-requests`` headers. The shard processes wait for each other before their
first test (a barrier of files), so they record at the same time, as CI machines of one matrix do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from groq_vcr.testing import FakeGroqConfig, FakeGroqServer, serve_fake_groq

TESTS = 15
SUITE = "import os\n\nimport httpx\nimport pytest\n\n\n" + "".join(
    f"@pytest.mark.vcr\ndef test_call_{n:02d}():\n    assert chat('call {n}')\n\n\n" for n in range(TESTS)
)
SUITE += r"""def chat(text):
    base = os.environ["FAKE_GROQ_BASE"] + "/openai/v1"
    with httpx.Client(base_url=base, headers={"Authorization": "Bearer " + os.environ["FAKE_GROQ_KEY"]}) as client:
        response = client.post(
            "/chat/completions",
            json={"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": text}]},
        )
        response.raise_for_status()
        return response.json()["choices"][0]["message"]["content"]
"""

CONFTEST = r"""
import os
import time
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _every_machine_starts_together():
    folder = Path(os.environ["BARRIER_DIR"])
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + 120
    while len(list(folder.iterdir())) < int(os.environ["BARRIER_SIZE"]):
        if time.monotonic() > deadline:
            pytest.exit("the other shards never started")
        time.sleep(0.005)
"""

INI = "[pytest]\nfilterwarnings =\n    default\n"
UNUSED_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:asyncio")
UNUSED_PLUGINS += ("-p", "no:httpbin", "-p", "no:pytest_mock")


@pytest.fixture
def limited() -> Iterator[FakeGroqServer]:
    with serve_fake_groq(FakeGroqConfig(request_limit=7, limit_window=2.0)) as server:
        yield server


def _record_in_three_shards(root: Path, server: FakeGroqServer, *share: str) -> list[str]:
    """Record the suite as 3 pytest-split shards started together (shard 2 with 2 xdist workers); their outputs."""
    barrier = root / "barrier"
    barrier.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GROQ_"))}
    env |= {"FAKE_GROQ_BASE": server.base_url, "FAKE_GROQ_KEY": server.api_key}
    env |= {"BARRIER_DIR": str(barrier), "BARRIER_SIZE": "4"}  # shard 1, shard 2's two workers, shard 3
    processes = []
    for group in (1, 2, 3):
        machine = root / f"shard-{group}"
        machine.mkdir()
        (machine / "test_suite.py").write_text(SUITE, encoding="utf-8")
        (machine / "conftest.py").write_text(CONFTEST, encoding="utf-8")
        (machine / "pytest.ini").write_text(INI, encoding="utf-8")
        xdist = ("-n", "2") if group == 2 else ()
        command = [sys.executable, "-m", "pytest", *UNUSED_PLUGINS, "--record-mode=once", *share, *xdist]
        command += ["--splits", "3", "--group", str(group)]
        processes.append(
            subprocess.Popen(command, cwd=machine, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        )
    return [process.communicate(timeout=300)[0] for process in processes]


def _recorded(root: Path) -> int:
    return sum(1 for _ in root.glob("shard-*/cassettes/test_suite/*.yaml"))


def test_sharing_shards_record_without_a_429(tmp_path: Path, limited: FakeGroqServer) -> None:
    # Shard 1 is given its share; shards 2 and 3 take 1/3 from pytest-split's --splits 3.
    outputs = _record_in_three_shards(tmp_path, limited, "--groq-vcr-rate-share=1/3")
    assert limited.config.rate_limited == 0, "\n".join(outputs)
    assert limited.config.count("/chat/completions") == TESTS
    assert _recorded(tmp_path) == TESTS
    assert all(" failed" not in output.splitlines()[-1] for output in outputs), outputs
    assert not list(Path(tmp_path).glob("shard-*/cassettes/**/*.lock"))


def test_shards_pacing_alone_hit_the_limit(tmp_path: Path, limited: FakeGroqServer) -> None:
    outputs = _record_in_three_shards(tmp_path, limited, "--groq-vcr-rate-share=1")
    assert limited.config.rate_limited > 0, "\n".join(outputs)
    assert _recorded(tmp_path) < TESTS, "a test that got a 429 failed and recorded nothing"
