"""Replacing a cassette this process wrote does not parse it again; any other file is still read to prove it one."""

from __future__ import annotations

from pathlib import Path

import pytest

from groq_vcr import Cassette, CassetteFormatError, Interaction, Request, Response
from groq_vcr.cassette import _storage
from groq_vcr.cassette._storage import load_cassette, save_cassette, update_cassette


def _cassette(body: str) -> Cassette:
    return Cassette(interactions=[Interaction(Request(url="https://x.test/", method="GET"), Response(body=body))])


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the save path parsed, in order."""
    seen: list[Path] = []

    def counting(path: str | Path) -> Cassette:
        seen.append(Path(path))
        return load_cassette(path)

    monkeypatch.setattr(_storage, "load_cassette", counting)
    return seen


def test_replacing_our_own_save_parses_nothing(tmp_path: Path, parses: list[Path]) -> None:
    path = tmp_path / "c.yaml"
    save_cassette(path, _cassette("one"))
    save_cassette(path, _cassette("two"))
    save_cassette(path, _cassette("three"))
    assert parses == []
    assert load_cassette(path).interactions[0].response.body == "three"


def test_a_file_written_by_someone_else_is_parsed_before_it_is_replaced(tmp_path: Path, parses: list[Path]) -> None:
    path = tmp_path / "c.yaml"
    save_cassette(path, _cassette("one"))
    path.write_text(path.read_text(encoding="utf-8").replace("one", "uno"), encoding="utf-8")  # same size
    save_cassette(path, _cassette("two"))
    assert parses == [path]


def test_a_file_broken_after_our_save_is_still_refused(tmp_path: Path, parses: list[Path]) -> None:
    path = tmp_path / "c.yaml"
    save_cassette(path, _cassette("one"))
    path.write_text("version: 2\ninteractions: [\n", encoding="utf-8")
    with pytest.raises(CassetteFormatError, match="refusing to overwrite"):
        save_cassette(path, _cassette("two"))
    assert path.read_text(encoding="utf-8") == "version: 2\ninteractions: [\n"


def test_an_update_always_reads_what_the_file_holds(tmp_path: Path, parses: list[Path]) -> None:
    path = tmp_path / "c.yaml"
    save_cassette(path, _cassette("one"))
    written = update_cassette(path, lambda current: Cassette(interactions=[*(current or _cassette("")).interactions]))
    assert parses == [path]
    assert written.interactions[0].response.body == "one"
