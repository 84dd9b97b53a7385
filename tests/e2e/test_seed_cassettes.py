"""The committed cassettes under ``cassettes/`` replay through the real ``groq`` SDK, with no network and no key.

Each test is a user's test as the README shows it: ``@pytest.mark.vcr`` on a test that calls Groq with the
SDK's own base URL (``https://api.groq.com``) and a fake key built at run time. The requests are the ones the
seeds sent (read from the cassette, since the seeds' prompts and images are long); the assertions are on the
real responses the seeds pasted. ``tools/import-seeds.py`` must reproduce ``cassettes/seeds/`` byte for byte.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import groq
import pytest

import groq_vcr
from groq_vcr.cli.record import MISSING_FILE_PLACEHOLDER
from groq_vcr.testing import make_fake_api_key

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / "cassettes"
SEED_NAMES = ("audio_translation", "chat_gpt_oss_reasoning", "vision_ocr_000", "vision_ocr_001")
AUDIO_NAME = "WhatsApp Ptt 2025-10-15 at 10.26.08 PM.ogg"
AUDIO_PATH = f"/C:/Users/Goran Vestermajer/Downloads/{AUDIO_NAME}"


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """Replay only: these cassettes are imported from the seeds, never re-recorded by this module."""
    return {"record_mode": "none"}


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    """The repository's committed cassettes."""
    return str(CASSETTES)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """``seeds/<name>`` for ``test_<name>``; the streaming reference sits at the top of ``cassettes/``."""
    name = request.node.name.removeprefix("test_")
    return name if name == "groq_chat_stream" else f"seeds/{name}"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[groq.Groq]:
    """A ``groq.Groq`` client for the real API URL with a key made now (replay needs none)."""
    monkeypatch.delenv("GROQ_BASE_URL", raising=False)
    with groq.Groq(api_key=make_fake_api_key(), max_retries=0) as sdk:
        yield sdk


def recorded_request(cassette: str) -> dict[str, Any]:
    """The JSON body the seed sent, as keyword arguments for ``chat.completions.create``."""
    body = groq_vcr.load_cassette(CASSETTES / f"{cassette}.yaml").interactions[0].request.body
    assert isinstance(body, str)
    payload: dict[str, Any] = json.loads(body)
    return payload


@pytest.mark.vcr
def test_chat_gpt_oss_reasoning(client: groq.Groq) -> None:
    response = client.chat.completions.create(**recorded_request("seeds/chat_gpt_oss_reasoning"))
    message = response.choices[0].message
    assert response.model == "openai/gpt-oss-120b"
    assert (message.content or "").startswith("**Non‑Functional Test Cases – Cloud Storage Application**")
    assert (message.reasoning or "").startswith("We need to produce a non-functional test case sheet")
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens, response.usage.total_tokens) == (
        181,
        1955,
        2136,
    )
    assert response.x_groq is not None
    assert response.x_groq.id == "req_01k7mm7e13eaka52z3wx5c51d1"


@pytest.mark.vcr
def test_audio_translation(client: groq.Groq) -> None:
    # The seed's audio file was not available to the import, so the cassette holds a placeholder for its bytes;
    # sending the same placeholder (same field, file name and bytes) is what matches that recording.
    placeholder = MISSING_FILE_PLACEHOLDER.format(path=AUDIO_PATH).encode()
    translation = client.audio.translations.create(
        file=(AUDIO_NAME, placeholder, "audio/ogg"), model="whisper-large-v3"
    )
    assert translation.text == " OpenAI is very interesting one."


@pytest.mark.vcr
def test_vision_ocr_000(client: groq.Groq) -> None:
    response = client.chat.completions.create(**recorded_request("seeds/vision_ocr_000"))
    assert response.choices[0].message.content == "chPrCy"
    assert response.model == "meta-llama/llama-4-scout-17b-16e-instruct"
    assert response.usage is not None
    assert response.usage.total_tokens == 185


@pytest.mark.vcr
def test_vision_ocr_001(client: groq.Groq) -> None:
    request = recorded_request("seeds/vision_ocr_001")
    assert "stream" not in request, 'the seed\'s //"stream": true line is a comment and must not be imported'
    response = client.chat.completions.create(**request)
    assert response.choices[0].message.content == "ZGUVU"
    assert response.system_fingerprint == "fp_5d3e4e58e1"


@pytest.mark.vcr
def test_groq_chat_stream(client: groq.Groq) -> None:
    request = recorded_request("groq_chat_stream")  # sent by openai-go; groq's SDK has no stream_options argument
    extra = {"stream_options": request.pop("stream_options")}
    chunks = list(client.chat.completions.create(**request, extra_body=extra))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == "Oi!"
    assert chunks[0].model == "moonshotai/kimi-k2-instruct-0905"
    usage = [chunk.x_groq.usage for chunk in chunks if chunk.x_groq is not None and chunk.x_groq.usage is not None]
    assert len(usage) == 1, "the last content chunk carries x_groq.usage"


def test_seed_cassettes_are_what_the_import_script_writes(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "import-seeds.py"), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("*.yaml")) == [f"{name}.yaml" for name in SEED_NAMES]
    for name in SEED_NAMES:
        written = (tmp_path / f"{name}.yaml").read_bytes()
        assert written == (CASSETTES / "seeds" / f"{name}.yaml").read_bytes(), f"cassettes/seeds/{name}.yaml is stale"


def test_committed_cassettes_hold_no_live_key() -> None:
    for path in CASSETTES.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "gsk_REDACTED" in text or "gsk_" not in text, path
        assert "__cf_bm=REDACTED" in text or "__cf_bm" not in text, path
