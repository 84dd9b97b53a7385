"""Clients served by vcrpy's stubs (requests/urllib3, aiohttp) get what the httpx path gives: a fast retry-after
on replay, and bodies recorded whatever way the client passed them."""

from __future__ import annotations

from pathlib import Path

import pytest

from groq_vcr import Cassette, Interaction, Request, Response, save_cassette

URL = "http://127.0.0.1:9/openai/v1/models"  # never reached: the run replays with the network blocked

RETRYING = """
import time

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

SLEPT = []


@pytest.fixture(autouse=True)
def count_sleeps(monkeypatch):
    monkeypatch.setattr(time, "sleep", SLEPT.append)  # urllib3's Retry sleeps through time.sleep


@pytest.mark.vcr{marker}
def test_retry():
    session = requests.Session()
    retry = Retry(total=2, status_forcelist=[429], respect_retry_after_header=True, backoff_factor=0)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    assert session.get("{url}").status_code == 200
    print("SLEPT", SLEPT)
    assert {compare}
"""


def _answer(code: int, headers: dict[str, list[str]]) -> Interaction:
    return Interaction(
        request=Request(url=URL, method="GET"),
        response=Response(body="{}", status=f"{code}", code=code, headers=headers),
    )


@pytest.mark.parametrize(
    ("marker", "compare"),
    [("", "sum(SLEPT) < 1"), ('(groq_vcr_retry_after="recorded")', "SLEPT == [30]")],
    ids=["fast", "recorded"],
)
def test_urllib3_retry_does_not_wait_on_a_replayed_retry_after(
    pytester: pytest.Pytester, marker: str, compare: str
) -> None:
    pytester.makepyfile(test_inner=RETRYING.format(marker=marker, url=URL, compare=compare))
    cassette = Path(pytester.path) / "cassettes" / "test_inner" / "test_retry.yaml"
    save_cassette(
        cassette,
        Cassette(
            interactions=[
                _answer(429, {"Retry-After": ["30"], "Content-Type": ["application/json"]}),
                _answer(200, {"Content-Type": ["application/json"]}),
            ]
        ),
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--record-mode=none", "-s")
    result.assert_outcomes(passed=1)


AIOHTTP = """
import asyncio
import json
import os

import aiohttp
import pytest


@pytest.mark.vcr
def test_post_json():
    async def call():
        async with aiohttp.ClientSession() as session:
            async with session.post(
                os.environ["FAKE_GROQ_BASE"] + "/openai/v1/chat/completions",
                json={"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": "hi"}]},
                headers={"Authorization": "Bearer " + os.environ["FAKE_GROQ_KEY"]},
            ) as response:
                assert response.status == 200
                return await response.json()

    assert json.dumps(asyncio.run(call()))
"""


def test_aiohttp_post_json_records_and_replays(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    from groq_vcr import load_cassette
    from groq_vcr.testing import serve_fake_groq

    pytester.makepyfile(test_inner=AIOHTTP)
    with serve_fake_groq() as server:
        monkeypatch.setenv("FAKE_GROQ_BASE", server.base_url)
        monkeypatch.setenv("FAKE_GROQ_KEY", server.api_key)
        recorded = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--record-mode=once")
        recorded.assert_outcomes(passed=1)
        assert server.config.count() == 1
    cassette = load_cassette(Path(pytester.path) / "cassettes" / "test_inner" / "test_post_json.yaml")
    [interaction] = cassette.interactions
    assert interaction.request.method == "POST"
    sent = __import__("json").loads(interaction.request.body_bytes)
    assert sent["messages"] == [{"role": "user", "content": "hi"}]
    assert server.api_key not in Path(pytester.path, "cassettes", "test_inner", "test_post_json.yaml").read_text()
    replayed = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--record-mode=none", "--block-network")
    replayed.assert_outcomes(passed=1)
