"""Coverage-guided fuzzing (atheris) of every loader groq-vcr exposes to untrusted input.

    python tools/fuzz.py TARGET [libFuzzer options, e.g. -runs=20000 or -max_total_time=60]

TARGET is one of: cassette, vcrpy, curl, spec-yaml, spec-json, sse, or all (the first byte picks one). A
loader may raise only its documented exception (CassetteFormatError for cassettes, InputError for curl text and
request specs, nothing for SSE); anything else is a finding: atheris prints the input and exits non-zero. CI runs
``all`` for a bounded number of runs through ``tests/reliability/test_fuzz.py``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from groq_vcr import load_cassette
    from groq_vcr.cassette import load_v1, parse_stream, reassemble, split_events
    from groq_vcr.cli.record import load_request_specs, parse_curl_text
    from groq_vcr.errors import CassetteFormatError, InputError

_DIR = Path(tempfile.mkdtemp(prefix="groq-vcr-fuzz-"))


def _file(name: str, data: bytes) -> Path:
    path = _DIR / name
    path.write_bytes(data)
    return path


def _cassette(data: bytes) -> None:
    with contextlib.suppress(CassetteFormatError):
        load_cassette(_file("c.yaml", data))


def _vcrpy(data: bytes) -> None:
    with contextlib.suppress(CassetteFormatError):
        load_v1(_file("v1.yaml", data))


def _curl(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    with contextlib.suppress(InputError):
        parse_curl_text(text if text.startswith("curl ") else "curl " + text, origin="fuzz.txt", base_dir=_DIR)


def _spec(suffix: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        with contextlib.suppress(InputError):
            load_request_specs(_file("spec" + suffix, data))

    return run


def _sse(data: bytes) -> None:
    assert b"".join(split_events(data)) == data
    parse_stream(data)
    reassemble(data)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "cassette": _cassette,
    "vcrpy": _vcrpy,
    "curl": _curl,
    "spec-yaml": _spec(".yaml"),
    "spec-json": _spec(".json"),
    "sse": _sse,
}


def _all(data: bytes) -> None:
    """Every target in one process: the first byte picks the loader (one atheris start-up for all of them)."""
    if data:
        loaders = list(TARGETS.values())
        loaders[data[0] % len(loaders)](data[1:])


TARGETS["all"] = _all


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv[1]]
    os.chdir(_DIR)  # curl's @file references resolve inside the scratch folder
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
