#!/usr/bin/env python3
"""Re-send every request recorded in a folder of cassettes and record the answers into a new folder.

    python tools/rerecord.py COMMITTED_DIR NEW_DIR [--base-url URL]

The drift job (``tools/drift.sh``) runs this, then ``groq-vcr diff COMMITTED_DIR NEW_DIR``. Each cassette
``COMMITTED_DIR/x/y.yaml`` becomes ``NEW_DIR/x/y.yaml``, recorded with ``groq-vcr record --request``: the
recorded method, URL and exact body bytes are sent again with the recorded ``Content-Type`` (multipart
boundary included) and ``Accept``; every other header is left to the recorder, and the key comes from
``GROQ_API_KEY``. ``--base-url`` (or ``GROQ_VCR_BASE_URL``) sends the calls to another Groq-compatible
server while the cassettes keep naming api.groq.com, which is how the tests run this against a local server.

An interaction imported without its upload (``groq-vcr record --response`` when the file was missing holds a
placeholder instead of the bytes) cannot be sent again faithfully: it is copied unchanged and listed as not
re-checked, on stderr and in the Markdown file named by ``--notes``. A cassette whose recording fails is left
out of NEW_DIR, so the diff reports it as breaking ("missing from NEW").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from groq_vcr import Cassette, Interaction, find_cassette_files, load_cassette, save_cassette
from groq_vcr.cli.record import MISSING_FILE_PLACEHOLDER

RESENT_HEADERS = ("content-type", "accept")
PLACEHOLDER_MARK = MISSING_FILE_PLACEHOLDER.split("{path}")[0].encode()


def spec_of(interaction: Interaction) -> dict[str, Any]:
    """A ``groq-vcr record --request`` spec that sends ``interaction``'s request again, byte for byte."""
    request = interaction.request
    headers = {name: values[0] for name, values in request.headers.items() if name.lower() in RESENT_HEADERS and values}
    spec: dict[str, Any] = {"method": request.method, "url": request.url, "headers": headers}
    if request.body_bytes:
        spec["body"] = request.body
    return spec


def has_unknown_upload(interaction: Interaction) -> bool:
    """Whether the request holds the import placeholder instead of an uploaded file's bytes."""
    return PLACEHOLDER_MARK in interaction.request.body_bytes


def record(spec_file: Path, output: Path, base_url: str | None) -> bool:
    """``groq-vcr record --request spec_file -o output [--base-url ...]`` in this process; True when it worked."""
    from groq_vcr.cli import cli

    args = ["record", "--request", str(spec_file), "-o", str(output)]
    if base_url:
        args += ["--base-url", base_url]
    try:
        cli.main(args=args, prog_name="groq-vcr", standalone_mode=False)
    except SystemExit as exc:
        return not exc.code
    return True


def rerecord(committed: Path, new: Path, base_url: str | None) -> list[str]:
    """Re-record every cassette under ``committed`` into ``new``; returns notes on what was not re-checked."""
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rerecord-") as tmp_name:
        for index, path in enumerate(find_cassette_files([committed])):
            name = path.relative_to(committed).as_posix()
            cassette = load_cassette(path)
            kept = [i for i in cassette.interactions if has_unknown_upload(i)]
            resent = [i for i in cassette.interactions if not has_unknown_upload(i)]
            notes.extend(f"`{name}` #{i.id} {i.request.method} {i.request.url}: upload bytes unknown" for i in kept)
            target = new / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if resent:
                spec_file = Path(tmp_name) / f"{index}.yaml"
                spec_file.write_text(yaml.safe_dump([spec_of(i) for i in resent], sort_keys=False), encoding="utf-8")
                staged = Path(tmp_name) / f"{index}.cassette.yaml"
                if not record(spec_file, staged, base_url):
                    print(f"rerecord: recording {name} failed; it is left out of {new}", file=sys.stderr)
                    continue
                recorded = load_cassette(staged).interactions
            else:
                recorded = []
            save_cassette(target, Cassette(interactions=[*recorded, *kept], extra=dict(cassette.extra)))
    for note in notes:
        print(f"rerecord: not re-checked: {note}", file=sys.stderr)
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("committed", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--base-url", default=os.environ.get("GROQ_VCR_BASE_URL") or None)
    parser.add_argument("--notes", type=Path, help="Write the interactions that were not re-checked here (Markdown).")
    args = parser.parse_args(argv)
    notes = rerecord(args.committed, args.new, args.base_url)
    if args.notes is not None:
        lines = ["", "### Not re-checked (imported without their upload; re-import them with the file to check them)"]
        args.notes.write_text("\n".join([*lines, *(f"- {n}" for n in notes)]) + "\n" if notes else "", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
