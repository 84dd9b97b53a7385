"""Concurrent identical requests (``asyncio.gather``, threads): answered in arrival order by default, and each by
its own recording when the user tags the calls with a header they match on (``groq_vcr_match_headers``).

Recorded against the local server (which gives identical requests different ids, like Groq), then replayed with it
stopped and the calls started in the reverse order.
"""

from __future__ import annotations

import json

import pytest

from groq_vcr.testing import make_fake_api_key, serve_fake_groq

INNER = r"""
import asyncio, json, os
from concurrent.futures import ThreadPoolExecutor

import groq
import pytest

BASE = os.environ["FAKE_GROQ_BASE"]
KEY = os.environ["FAKE_GROQ_KEY"]
ORDER = os.environ["CALL_ORDER"]  # "abc" when recording, "cba" when replaying
OUT = os.environ["RESULTS"]
MODEL = "llama-3.3-70b-versatile"
HELLO = [{"role": "user", "content": "hello"}]


def save(name, ids):
    results = json.load(open(OUT)) if os.path.exists(OUT) else {}
    results[name] = ids
    json.dump(results, open(OUT, "w"))


@pytest.mark.vcr
async def test_untagged_gather():
    async with groq.AsyncGroq(base_url=BASE, api_key=KEY) as c:
        replies = await asyncio.gather(*(c.chat.completions.create(model=MODEL, messages=HELLO) for _ in ORDER))
    save("untagged", [r.id for r in replies])


@pytest.mark.vcr(groq_vcr_match_headers="X-Call")
async def test_tagged_gather():
    async with groq.AsyncGroq(base_url=BASE, api_key=KEY) as c:
        calls = [c.chat.completions.create(model=MODEL, messages=HELLO, extra_headers={"X-Call": t}) for t in ORDER]
        replies = await asyncio.gather(*calls)
    save("tagged_gather", {t: r.id for t, r in zip(ORDER, replies)})


@pytest.mark.vcr(groq_vcr_match_headers=["X-Call"])
def test_tagged_threads():
    with groq.Groq(base_url=BASE, api_key=KEY) as c:
        def call(tag):
            return c.chat.completions.create(model=MODEL, messages=HELLO, extra_headers={"X-Call": tag}).id
        with ThreadPoolExecutor(3) as pool:
            ids = list(pool.map(call, ORDER))
    save("tagged_threads", dict(zip(ORDER, ids)))


@pytest.mark.vcr(groq_vcr_match_headers=["X-Call"])
def test_a_tag_that_was_not_recorded_is_a_miss_naming_the_header():
    import groq_vcr
    with groq.Groq(base_url=BASE, api_key=KEY, max_retries=0) as c:
        c.chat.completions.create(model=MODEL, messages=HELLO, extra_headers={"X-Call": "a"})
        if os.environ["CALL_ORDER"] == "cba":
            with pytest.raises(groq_vcr.NoMatchError, match="matched headers: 'x-call=z' != 'x-call=a'"):
                c.chat.completions.create(model=MODEL, messages=HELLO, extra_headers={"X-Call": "z"})
"""

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"


def _run(pytester: pytest.Pytester, base: str, key: str, order: str, *args: str) -> dict[str, object]:
    results = pytester.path / f"results-{order}.json"
    env = pytest.MonkeyPatch()
    for name, value in {"FAKE_GROQ_BASE": base, "FAKE_GROQ_KEY": key, "CALL_ORDER": order}.items():
        env.setenv(name, value)
    env.setenv("RESULTS", str(results))
    try:
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-q", *args)
    finally:
        env.undo()
    assert result.ret == 0, result.stdout.str()
    loaded: dict[str, object] = json.loads(results.read_text())
    return loaded


def test_identical_concurrent_requests_replay_by_the_header_the_user_tags_them_with(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini(INI)
    with serve_fake_groq() as server:
        recorded = _run(pytester, server.groq_base_url, server.api_key, "abc", "--record-mode=once")
        base = server.groq_base_url
    replayed = _run(pytester, base, make_fake_api_key(), "cba", "--record-mode=none", "--block-network")

    assert len(set(recorded["untagged"])) == 3  # type: ignore[arg-type]  # the server answered each differently
    # Untagged: every recorded answer is used once, but which call gets which is the order they arrive in.
    assert sorted(replayed["untagged"]) == sorted(recorded["untagged"])  # type: ignore[type-var]
    # Tagged: each call gets the answer recorded for its own tag, whatever the order.
    for name in ("tagged_gather", "tagged_threads"):
        assert replayed[name] == recorded[name]
        assert len(set(recorded[name].values())) == 3  # type: ignore[attr-defined]
