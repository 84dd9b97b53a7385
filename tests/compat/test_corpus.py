"""Cassettes other projects committed, replayed through groq-vcr: every interaction of every file.

The files are in ``tests/data/corpus/``, each whole and byte-exact but for the secret-looking values listed in
its ``SOURCES`` line (repository, path, commit, licence). Each file is replayed as it is, through
:func:`groq_vcr.use_cassette` (which reads go-vcr format 1 and 2 and vcrpy's layouts, converting in memory), with
a real ``httpx`` client and ``record_mode="none"``: nothing is sent anywhere. Every recorded request is sent,
and the answer's status and raw body (undecoded: a gzip body stays gzip) must be what the file says as plain
PyYAML reads it. ``parsed_body`` (a custom vcrpy serializer's JSON kept as YAML data) is compared as JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from groq_vcr import use_cassette
from groq_vcr.cassette import VCRPY, cassette_kind, dump_cassette, load_any, parse_cassette
from groq_vcr.cassette._vcrpy import dump_v1
from groq_vcr.cli import cli

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
SOURCES = CORPUS / "SOURCES"
FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCES")
PERMISSIVE = {"MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause"}

EXCEPTIONS: dict[str, str] = {}
"""Corpus files that do not replay yet (relative path -> why); each must still fail, or the test says so."""


def _sources() -> dict[str, dict[str, str]]:
    lines = [line for line in SOURCES.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    header = lines[0].split("\t")
    return {row[0]: dict(zip(header, row, strict=True)) for row in (line.split("\t") for line in lines[1:])}


def _plain_yaml(text: bytes | str) -> Any:
    """The document as plain PyYAML reads it (its safe loader; libyaml's, which is faster, when there)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _rel(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def test_sources_name_every_file_with_its_origin_and_a_permissive_licence() -> None:
    sources = _sources()
    assert set(sources) == {_rel(p) for p in FILES}
    for row in sources.values():
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", row["repository"]), row
        assert re.fullmatch(r"[0-9a-f]{40}", row["commit"]), row
        assert row["licence"] in PERMISSIVE, row
        assert row["changes"], row
    assert len(FILES) >= 40
    assert len({row["repository"] for row in sources.values()}) >= 8


def test_groq_vcr_scan_of_the_corpus_is_clean() -> None:
    result = CliRunner().invoke(cli, ["scan", str(CORPUS)])
    assert result.exit_code == 0, result.output
    assert f"No secrets found in {len(FILES)} files" in result.output


def _bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _expected(path: Path) -> list[dict[str, Any]]:
    """Each interaction as plain PyYAML reads the file: what to send, and the status and body to get back."""
    data = _plain_yaml(path.read_bytes())
    vcrpy = cassette_kind(path) == VCRPY
    out = []
    for item in data["interactions"]:
        rq, rs = item["request"], item["response"]
        if vcrpy:
            body = rs.get("body")
            out.append(
                {
                    "method": rq["method"],
                    "url": rq["uri"],
                    "send": None if "parsed_body" in rq else _bytes(rq.get("body")),
                    "code": rs["status"]["code"],
                    "body": _bytes(body["string"] if isinstance(body, dict) else body),
                    "json": rs.get("parsed_body"),
                    "headers": rs.get("headers") or {},
                }
            )
        else:
            out.append(
                {
                    "method": rq["method"],
                    "url": rq["url"],
                    "send": _bytes(rq.get("body")),
                    "code": rs["code"],
                    "body": _bytes(rs.get("body")) or b"",
                    "json": None,
                    "headers": rs.get("headers") or {},
                }
            )
    return out


def _decoded(want: dict[str, Any]) -> bytes:
    """The recorded body with its content-coding undone by httpx (a converted cassette stores it decoded)."""
    encodings = [
        str(v)
        for k, vs in want["headers"].items()
        if k.lower() == "content-encoding"
        for v in (vs if isinstance(vs, list) else [vs])
    ]
    if not encodings:
        return want["body"] or b""
    return httpx.Response(want["code"], headers={"content-encoding": ", ".join(encodings)}, content=want["body"]).read()


def _replay(path: Path, played: Path | None = None) -> None:
    """Send every request of ``path`` through groq-vcr replaying ``played`` (``path`` itself by default).

    A converted cassette holds compressed bodies decoded (converting redacts, and redaction reads decoded
    bodies), so its answers are compared with the recorded bodies decoded."""
    played = played or path
    expected = _expected(path)
    converted = load_any(played)  # what groq-vcr plays; its request bodies are what a parsed_body was sent as
    before = played.read_bytes()
    with use_cassette(played, record_mode="none"), httpx.Client() as client:
        for i, (want, recorded) in enumerate(zip(expected, converted.interactions, strict=True)):
            send = want["send"] if want["send"] is not None else recorded.request.body_bytes
            with client.stream(want["method"], want["url"], content=send) as answer:
                raw = b"".join(answer.iter_raw())
            assert answer.status_code == want["code"], f"interaction {i}"
            if want["json"] is not None:
                assert json.loads(raw) == want["json"], f"interaction {i}"
            elif played is path:
                assert raw == want["body"], f"interaction {i}"
            else:
                assert raw == _decoded(want), f"interaction {i}"
    assert played.read_bytes() == before  # replay never rewrites a file


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_every_interaction_replays_with_the_recorded_status_and_body(path: Path) -> None:
    reason = EXCEPTIONS.get(_rel(path))
    if reason is None:
        _replay(path)
        return
    with pytest.raises(AssertionError):  # listed: it must still fail, else take it off the list
        _replay(path)


def _not_v2(path: Path) -> bool:
    return cassette_kind(path) == VCRPY or path.read_bytes().lstrip(b"-\n").startswith(b"version: 1")


@pytest.mark.parametrize("path", [p for p in FILES if _not_v2(p)], ids=_rel)
def test_convert_to_v2_then_replay_gives_the_same_answers(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "converted.yaml"
    result = CliRunner().invoke(cli, ["convert", "--to", "v2", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("---\nversion: 2\n")
    _replay(path, out)


@pytest.mark.parametrize("path", [p for p in FILES if cassette_kind(p) == VCRPY], ids=_rel)
def test_vcrpy_files_convert_to_v2_and_back_field_for_field(path: Path) -> None:
    original = _plain_yaml(path.read_bytes())
    v2_text = dump_cassette(load_any(path))
    back = _plain_yaml(dump_v1(parse_cassette(v2_text)))
    original.setdefault("version", 1)  # vcrpy always writes it
    for item in original["interactions"]:
        for part, key in (("request", "body"), ("response", "body")):
            parsed = item[part].pop("parsed_body", None)
            if parsed is not None:  # written back as the body vcrpy itself would hold
                body = back["interactions"][original["interactions"].index(item)][part]["body"]
                text = body["string"] if part == "response" else body
                assert json.loads(text) == parsed
                item[part][key] = body
    assert back == original
