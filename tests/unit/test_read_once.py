"""Opening a cassette as the pytest plugin does reads its file once: the format sniff's bytes feed the load."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from groq_vcr import Cassette, Interaction, Request, Response, dump_cassette
from groq_vcr.cassette import GO_VCR, cassette_kind, load_any, load_cassette
from groq_vcr.cassette import _cache as cache
from groq_vcr.cassette._read_once import SMALL_FILE_BYTES
from groq_vcr.engine import CassetteSession, SessionOptions

_watched: list[str] = []
_opened: list[str] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    path = args[0] if event == "open" and _watched else None
    if isinstance(path, str | bytes | os.PathLike) and os.fsdecode(path) in _watched:
        _opened.append(os.fsdecode(path))


sys.addaudithook(_audit)  # audit hooks cannot be removed: this one only counts while a test watches a path


@pytest.fixture
def opens() -> Iterator[list[str]]:
    """The opens of the watched paths (append a path to ``_watched`` to watch it)."""
    _opened.clear()
    yield _opened
    _watched.clear()
    _opened.clear()


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "cache-home"
    monkeypatch.setenv("GROQ_VCR_CACHE_DIR", str(home))
    monkeypatch.delenv("GROQ_VCR_CACHE", raising=False)
    cache.clear_cache(disk=False)
    yield home
    cache.clear_cache(disk=False)


def _cassette(path: Path, answer: str, padding: int = 0) -> Path:
    request = Request(url="https://api.groq.com/openai/v1/models", method="GET")
    response = Response(body=answer + " " * padding)
    path.write_text(dump_cassette(Cassette(interactions=[Interaction(request, response)])), encoding="utf-8")
    return path


def _open_as_the_plugin_does(path: Path) -> CassetteSession:
    assert cassette_kind(path) == GO_VCR
    return CassetteSession(path, SessionOptions())


def _parse_opens(path: Path, opens: list[str]) -> int:
    """How many times the session's loader opens ``path`` to parse it (its own business, not counted here)."""
    _watched.append(str(path))
    load_any(path)
    count = len(opens)
    opens.clear()
    return count


def _answer(session: CassetteSession) -> str:
    body = session.player.interactions[0].response.body
    assert isinstance(body, str)
    return body.strip()


def test_a_cached_cassette_is_opened_once(cache_home: Path, tmp_path: Path, opens: list[str]) -> None:
    path = _cassette(tmp_path / "small.yaml", "hello")
    _open_as_the_plugin_does(path).close()  # parses it and fills the cache
    cache.clear_cache(disk=False)  # a new process: only the disk cache knows it
    _watched.append(str(path))
    session = _open_as_the_plugin_does(path)
    assert _answer(session) == "hello"
    assert len(opens) == 1
    session.close()


def test_a_file_changed_after_the_sniff_is_read_again(cache_home: Path, tmp_path: Path, opens: list[str]) -> None:
    path = _cassette(tmp_path / "small.yaml", "before")
    parse = _parse_opens(path, opens)
    assert cassette_kind(path) == GO_VCR
    _cassette(path, "after, longer")  # rewritten between the sniff and the load
    opens.clear()
    session = CassetteSession(path, SessionOptions())
    assert _answer(session) == "after, longer"
    assert len(opens) == 1 + parse  # the cache's read for its digest, then the parse
    session.close()


def test_kept_bytes_serve_one_load_only(cache_home: Path, tmp_path: Path, opens: list[str]) -> None:
    path = _cassette(tmp_path / "small.yaml", "hello")
    _open_as_the_plugin_does(path).close()
    _watched.append(str(path))
    cache.cached_load(path, load_cassette)
    cache.cached_load(path, load_cassette)
    assert len(opens) == 2  # nothing was sniffed: each load reads the file


def test_a_large_file_is_sniffed_by_its_ends(cache_home: Path, tmp_path: Path, opens: list[str]) -> None:
    path = _cassette(tmp_path / "large.yaml", "big", padding=SMALL_FILE_BYTES)
    parse = _parse_opens(path, opens)
    session = _open_as_the_plugin_does(path)
    assert _answer(session) == "big"
    assert len(opens) == 2 + parse  # the sniff (head and tail), the cache's digest, the parse
    session.close()
