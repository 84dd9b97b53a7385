"""The parsed-cassette cache: content-keyed, never stale, safe to delete, off with GROQ_VCR_CACHE=0."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from groq_vcr import Cassette, CassetteFormatError, Interaction, Request, Response, dump_cassette, load_cassette
from groq_vcr.cassette import _cache as cache


class CountingLoader:
    """Parses a tiny JSON stand-in for a cassette file and counts how often it was asked to."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, path: Path) -> Cassette:
        self.calls += 1
        data = json.loads(path.read_text())
        if "broken" in data:
            raise CassetteFormatError("this cassette is broken", path=path, line=1)
        return Cassette(
            interactions=[
                Interaction(Request(url=url, method="POST", body="{}"), Response(body=body))
                for url, body in data["interactions"]
            ]
        )


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache directory and an empty in-process cache."""
    home = tmp_path / "cache-home"
    monkeypatch.setenv("GROQ_VCR_CACHE_DIR", str(home))
    monkeypatch.delenv("GROQ_VCR_CACHE", raising=False)
    cache.clear_cache(disk=False)
    yield home
    cache.clear_cache(disk=False)


def _write(path: Path, *pairs: tuple[str, str]) -> Path:
    path.write_text(json.dumps({"interactions": [list(p) for p in pairs]}))
    return path


def _bodies(cassette: Cassette) -> list[str | bytes]:
    return [i.response.body for i in cassette.interactions]


def test_same_content_is_parsed_once_per_process(cache_home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "c.json", ("https://a/x", "one"))
    loader = CountingLoader()
    first = cache.cached_load(path, loader)
    second = cache.cached_load(path, loader)
    assert loader.calls == 1
    assert (cache.stats.parses, cache.stats.memory_hits) == (1, 1)
    assert _bodies(second) == _bodies(first) == ["one"]
    assert second is not first
    assert second.interactions[0] is not first.interactions[0]


def test_next_run_reads_the_pickle_not_the_yaml(cache_home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "c.json", ("https://a/x", "one"))
    cache.cached_load(path, CountingLoader())
    assert len(list(cache_home.glob("*/*.pickle"))) == 1
    cache.clear_cache(disk=False)  # a new process: nothing in memory
    loader = CountingLoader()
    again = cache.cached_load(path, loader)
    assert loader.calls == 0
    assert cache.stats.disk_hits == 1
    assert _bodies(again) == ["one"]


def test_changed_file_with_same_size_and_mtime_is_reparsed(cache_home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "c.json", ("https://a/x", "one"))
    stat = path.stat()
    loader = CountingLoader()
    cache.cached_load(path, loader)
    _write(path, ("https://a/x", "two"))  # same length as before
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert _bodies(cache.cached_load(path, loader)) == ["two"]
    assert loader.calls == 2


def test_returned_cassettes_do_not_share_state(cache_home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "c.json", ("https://a/x", "one"))
    first = cache.cached_load(path, CountingLoader())
    first.interactions[0].response.body = "mutated by a test"
    first.interactions.clear()
    assert _bodies(cache.cached_load(path, CountingLoader())) == ["one"]


def test_disabled_by_environment(cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROQ_VCR_CACHE", "0")
    path = _write(tmp_path / "c.json", ("https://a/x", "one"))
    loader = CountingLoader()
    cache.cached_load(path, loader)
    cache.cached_load(path, loader)
    assert loader.calls == 2
    assert not cache_home.exists()


def test_corrupt_cache_file_is_ignored_and_replaced(cache_home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "c.json", ("https://a/x", "one"))
    cache.cached_load(path, CountingLoader())
    (pickled,) = cache_home.glob("*/*.pickle")
    pickled.write_bytes(b"not a pickle")
    cache.clear_cache(disk=False)
    loader = CountingLoader()
    assert _bodies(cache.cached_load(path, loader)) == ["one"]
    assert loader.calls == 1
    assert pickled.read_bytes() != b"not a pickle"


def test_deleting_the_cache_directory_is_safe(cache_home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "c.json", ("https://a/x", "one"))
    cache.cached_load(path, CountingLoader())
    for file in cache_home.glob("*/*"):
        file.unlink()
    for folder in cache_home.glob("*"):
        folder.rmdir()
    cache_home.rmdir()
    cache.clear_cache(disk=False)
    loader = CountingLoader()
    assert _bodies(cache.cached_load(path, loader)) == ["one"]
    assert loader.calls == 1


def test_loader_errors_propagate_and_are_not_cached(cache_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"broken": True}))
    loader = CountingLoader()
    for _ in range(2):
        with pytest.raises(CassetteFormatError, match="this cassette is broken"):
            cache.cached_load(path, loader)
    assert loader.calls == 2
    assert not list(cache_home.glob("*/*.pickle"))


def test_a_different_loader_does_not_share_entries(cache_home: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "c.json", ("https://a/x", "one"))
    cache.cached_load(path, CountingLoader())

    def other_loader(p: Path) -> Cassette:
        return Cassette(interactions=[])

    assert cache.cached_load(path, other_loader).interactions == []


def test_unwritable_cache_directory_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("GROQ_VCR_CACHE_DIR", str(blocker / "cache"))
    cache.clear_cache(disk=False)
    path = _write(tmp_path / "c.json", ("https://a/x", "one"))
    assert _bodies(cache.cached_load(path, CountingLoader())) == ["one"]
    assert cache.stats.errors == 1
    cache.clear_cache(disk=False)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GROQ_VCR_CACHE_DIR": "/x/explicit", "XDG_CACHE_HOME": "/x/xdg"}, Path("/x/explicit")),
        ({"XDG_CACHE_HOME": "/x/xdg"}, Path("/x/xdg/groq-vcr")),
        ({"HOME": "/x/home"}, Path("/x/home/.cache/groq-vcr")),
    ],
)
def test_cache_dir_resolution(env: dict[str, str], expected: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GROQ_VCR_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cache.cache_dir() == expected


def test_large_pickles_are_streamed_from_disk_not_kept_in_memory(
    cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "MEMORY_ENTRY_MAX_BYTES", 0)
    path = _write(tmp_path / "c.json", ("https://a/x", "one"))
    cache.cached_load(path, CountingLoader())
    loader = CountingLoader()
    assert _bodies(cache.cached_load(path, loader)) == ["one"]
    assert (loader.calls, cache.stats.disk_hits, cache.stats.memory_hits) == (0, 1, 0)


def test_strings_the_loader_shares_stay_shared_through_both_cache_layers(cache_home: Path, tmp_path: Path) -> None:
    def recorded(body: str) -> Interaction:
        return Interaction(
            Request(url="https://a/x", method="POST", headers={"Content-Type": ["application/json"]}),
            Response(body=body, headers={"Content-Type": ["application/json"]}),
        )

    path = tmp_path / "c.yaml"
    path.write_text(dump_cassette(Cassette(interactions=[recorded("one"), recorded("two")])), encoding="utf-8")
    parsed = cache.cached_load(path, load_cassette)
    from_memory = cache.cached_load(path, load_cassette)
    cache.clear_cache(disk=False)
    from_disk = cache.cached_load(path, load_cassette)
    assert (cache.stats.parses, cache.stats.disk_hits) == (0, 1)  # the counters were reset with the memory
    for cassette in (parsed, from_memory, from_disk):
        first, second = cassette.interactions
        (name_a, values_a), (name_b, values_b) = [next(iter(i.response.headers.items())) for i in (first, second)]
        assert name_a == name_b == "Content-Type"
        assert name_a is name_b
        assert values_a[0] is values_b[0]
        assert first.request.url is second.request.url
        assert values_a is not values_b  # the lists themselves are each interaction's own
