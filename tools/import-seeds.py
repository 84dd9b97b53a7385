#!/usr/bin/env python3
"""Import the seeds' calls and their pasted responses into ``cassettes/seeds/`` with ``groq-vcr record``.

Reproducible: running it again writes the same bytes (a test checks the committed cassettes against it).

    python tools/import-seeds.py [OUT_DIR]        # default: cassettes/seeds

Inputs (redacted copies; the original seed 000 holds a live key and is never read here):

* ``tests/data/seeds/000_f3df5dee32a3ef46.redacted.txt``: a QA document with three curl calls, each followed by
  the response pasted by hand. It is cut into one piece per curl command (from one ``curl`` line to the next)
  so that each call gets its own cassette, and each piece is imported with
  ``groq-vcr record --curl-file PIECE --response PIECE``. The audio file named by its ``--form file=@...`` is
  not available: the import records a placeholder text for its bytes (see ``MISSING_FILE_PLACEHOLDER``).
* ``tests/data/seeds/001_08ee6aacc6ac15fd.txt``: a bare JSON request body, then ``Response`` and the pasted
  response. The body has a ``//"stream": true`` line, a JavaScript comment that is not JSON (the call it
  describes was sent without it: the pasted response is not a stream), so lines starting with ``//`` are
  dropped. The body becomes a request spec file (POST to Groq's chat completions URL) imported with
  ``groq-vcr record --request SPEC --response RESPONSE``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "data" / "seeds"
QA_SEED = SEEDS / "000_f3df5dee32a3ef46.redacted.txt"
VISION_SEED = SEEDS / "001_08ee6aacc6ac15fd.txt"
CHAT_URL = "https://api.groq.com/openai/v1/chat/completions"

QA_CALLS = ("chat_gpt_oss_reasoning", "audio_translation", "vision_ocr_000")
"""Cassette names for seed 000's curl calls, in the document's order."""


def groq_vcr(*args: str) -> None:
    """Run the ``groq-vcr`` command line in this process (as the shell would, from the repository root)."""
    from groq_vcr.cli import cli

    try:
        cli.main(args=list(args), prog_name="groq-vcr", standalone_mode=False)
    except SystemExit as exc:
        if exc.code:
            raise SystemExit(f"import-seeds: groq-vcr {args[0]} failed with exit code {exc.code}") from None


def qa_pieces(text: str) -> list[str]:
    """Seed 000 cut before each line that starts a curl command (the prose before the first one is dropped)."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("curl ")]
    if len(starts) != len(QA_CALLS):
        raise SystemExit(f"import-seeds: expected {len(QA_CALLS)} curl commands in {QA_SEED}, found {len(starts)}")
    return ["".join(lines[a:b]) for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]


def vision_parts(text: str) -> tuple[dict[str, object], str]:
    """Seed 001 as (the request body without its ``//`` comment lines, the pasted response text)."""
    request, marker, response = text.partition("\nResponse\n")
    if not marker:
        raise SystemExit(f"import-seeds: no 'Response' line in {VISION_SEED}")
    body = "".join(line for line in request.splitlines(keepends=True) if not line.lstrip().startswith("//"))
    return json.loads(body), response


def main(out: Path) -> None:
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)  # redaction rules come from the repository's pyproject.toml
    os.environ.pop("GROQ_API_KEY", None)  # an import sends nothing and needs no key
    with tempfile.TemporaryDirectory(prefix="import-seeds-") as tmp_name:
        tmp = Path(tmp_name)
        for name, piece in zip(QA_CALLS, qa_pieces(QA_SEED.read_text(encoding="utf-8")), strict=True):
            source = tmp / f"{name}.txt"
            source.write_text(piece, encoding="utf-8")
            staged = tmp / f"{name}.yaml"  # record appends to an existing cassette: start from nothing
            groq_vcr("record", "--curl-file", str(source), "--response", str(source), "-o", str(staged))
            shutil.copyfile(staged, out / f"{name}.yaml")

        body, response = vision_parts(VISION_SEED.read_text(encoding="utf-8"))
        spec = tmp / "vision_ocr_001.request.json"
        spec.write_text(
            json.dumps([{"url": CHAT_URL, "headers": {"Content-Type": "application/json"}, "json": body}]),
            encoding="utf-8",
        )
        pasted = tmp / "vision_ocr_001.response.json"
        pasted.write_text(response, encoding="utf-8")
        staged = tmp / "vision_ocr_001.yaml"
        groq_vcr("record", "--request", str(spec), "--response", str(pasted), "-o", str(staged))
        shutil.copyfile(staged, out / "vision_ocr_001.yaml")
    print(f"import-seeds: wrote {len(QA_CALLS) + 1} cassettes to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "cassettes" / "seeds")
