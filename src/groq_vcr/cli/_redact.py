"""``groq-vcr redact [--check] PATH...``: remove secrets from existing cassettes and text files, in place.

A go-vcr v2 cassette is loaded, redacted as a model and saved the way every cassette is (locked, atomic, and
refused when the final scan still finds a secret); any other file (vcrpy cassettes, pasted curl calls) is
redacted as text. Only files that hold a secret are rewritten, so a second run changes nothing.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from groq_vcr.cassette import (
    VCRPY,
    Cassette,
    cassette_kind,
    dump_cassette,
    file_stamp,
    load_cassette,
    update_cassette,
    write_atomic,
)
from groq_vcr.cassette._patch import patch_text
from groq_vcr.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from groq_vcr.cli._residue import residue_findings
from groq_vcr.cli._scan import build_redactor, iter_files, read_text, rule_options
from groq_vcr.errors import GroqVcrError
from groq_vcr.redaction import Finding, Redactor

_V2_CASSETTE_RE = re.compile(r"(?m)^version:[ \t]*2[ \t]*(?:#.*)?$")


@dataclass(frozen=True)
class Outcome:
    """What redacting one file did (or would do, with --check)."""

    path: Path
    findings: tuple[Finding, ...]
    """The secrets in the file as it was."""
    changed: bool
    relaid: bool = False
    """Whether the file had to be written whole in go-vcr's layout (the secrets could not be edited in place)."""


def is_v2_cassette(path: Path, text: str) -> bool:
    """Whether ``path`` looks like a go-vcr v2 cassette (loaded as a model rather than redacted as text)."""
    return path.suffix.lower() in (".yaml", ".yml") and "interactions" in text and bool(_V2_CASSETTE_RE.search(text))


def redact_file(redactor: Redactor, path: Path, *, check: bool) -> Outcome:
    """Redact ``path`` in place (unless ``check``); raise GroqVcrError when that cannot be done safely."""
    stamp = file_stamp(path)  # before reading, so a write in between is noticed under the lock
    text, is_utf8 = read_text(path)
    findings = tuple(redactor.scan_text(text, source=str(path)))
    if is_v2_cassette(path, text):
        cassette = load_cassette(path)
        redacted = redactor.redact_cassette(cassette)
        changed = redacted != cassette
        if changed and not check:

            def redact_current(current: Cassette | None) -> Cassette:
                # Under the lock: the copy read above, unless another writer saved since.
                return redacted if current is cassette else redactor.redact_cassette(current or Cassette())

            def render(written: Cassette) -> str:
                # Only the secrets' characters change: comments and another writer's layout stay as they were.
                patched = patch_text(text, cassette, written) if written is redacted else None
                if patched is None:
                    relaid.append(path)
                    return dump_cassette(written)
                return patched

            relaid: list[Path] = []
            update_cassette(
                path,
                redact_current,
                known=(stamp, cassette),
                check=lambda written, text: redactor.assert_clean_cassette(written, text, path),
                render=render,
            )
            return Outcome(path, findings, changed, relaid=bool(relaid))
        elif not changed and findings:
            raise GroqVcrError(_not_removable(path, findings))
        return Outcome(path, findings, changed)
    if not findings and "interactions" in text and cassette_kind(path) == VCRPY:
        # A vcrpy cassette is redacted as text; what hides from the text (a gzip body) needs converting first.
        hidden = residue_findings(redactor, path, text)
        if hidden:
            raise GroqVcrError(_not_removable(path, hidden))
    if path.suffix.lower() == ".json":
        new_text = redactor.redact_body(text, "application/json")
        assert isinstance(new_text, str)
    else:
        new_text = redactor.redact_text(text)
    remaining = redactor.scan_text(new_text, source=str(path))
    if remaining:
        raise GroqVcrError(_not_removable(path, remaining))
    changed = new_text != text
    if changed and not check:
        write_atomic(path, new_text.encode("utf-8" if is_utf8 else "latin-1"))
    return Outcome(path, findings, changed)


def _not_removable(path: Path, findings: tuple[Finding, ...] | list[Finding]) -> str:
    first = findings[0]
    where = f" ({first.where})" if first.where else ""
    return (
        f"{path}:{first.line}: {first.rule}{where}: cannot be redacted automatically in this file, so it was left "
        "unchanged. Convert it to a go-vcr v2 cassette first (groq-vcr convert) or edit the value by hand."
    )


@click.command("redact")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Only report what would be redacted; write nothing (exit 1 if anything).")
@rule_options
def redact(paths: tuple[Path, ...], check: bool, patterns: tuple[str, ...], config: Path | None) -> None:
    """Remove secrets from cassettes and text files in place (atomic; a second run changes nothing).

    Keys, bearer tokens, cookie values and your patterns become fixed placeholders (gsk_REDACTED,
    Bearer REDACTED, __cf_bm=REDACTED), so replay still works and re-redacting gives the same bytes.

    \b
    Exit codes: 0 done (or nothing to do), 1 --check found something, 2 a file could not be redacted.
    Example:
      groq-vcr redact --check cassettes/
      groq-vcr redact cassettes/
    """
    failed = False
    outcomes: list[Outcome] = []
    try:
        redactor = build_redactor(config, patterns)
        files = list(iter_files(paths))
    except GroqVcrError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    for path in files:
        try:
            outcome = redact_file(redactor, path, check=check)
        except GroqVcrError as exc:
            click.echo(f"error: {exc}", err=True)
            failed = True
            continue
        outcomes.append(outcome)
        if not outcome.changed:
            continue
        count = len(outcome.findings)
        label = f"{count} secret{'s' if count != 1 else ''}" if count else "secrets"
        verb = "would redact" if check else "redacted"
        click.echo(f"{path}: {verb} {label}")
        if outcome.relaid:
            click.echo(
                f"  note: the secrets could not be replaced in place, so {path.name} was rewritten in go-vcr's "
                "layout (its comments, if any, are gone)",
                err=True,
            )
        if check:
            for finding in outcome.findings:
                click.echo(f"  {finding}")
    changed = [o for o in outcomes if o.changed]
    summary = f"{len(changed)} of {len(files)} file{'s' if len(files) != 1 else ''}"
    if check:
        click.echo(f"{summary} would be redacted" + ("; run without --check to do it." if changed else "."), err=True)
    else:
        click.echo(f"{summary} redacted.", err=True)
    if failed:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if check and changed else EXIT_OK)
