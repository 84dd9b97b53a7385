"""``groq-vcr scan PATH...``: find secrets in cassettes and text files (for CI and pre-commit).

Prints one ``file:line: rule: masked excerpt`` line per secret (never the secret itself); exit 1 when
anything is found, 0 when clean, 2 when a path or a setting is unusable.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import click

from groq_vcr._settings import load_settings, read_settings
from groq_vcr.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from groq_vcr.cli._cassette_folders import looked_up_folders, no_cassette_found
from groq_vcr.cli._residue import residue_findings
from groq_vcr.errors import GroqVcrError
from groq_vcr.redaction import Finding, RedactionRules, Redactor

SCANNED_SUFFIXES = (".yaml", ".yml", ".json", ".txt", ".md")
"""Files looked at inside a folder (a file named on the command line is always scanned)."""

_SKIPPED_FOLDERS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".tox"}


def iter_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The files named, and the cassette/text files inside the folders named (hidden and tool folders skipped)."""
    for path in paths:
        if not path.exists():
            raise GroqVcrError(f"{path} does not exist; give cassette files or folders that hold them.")
        if path.is_file():
            yield path
            continue
        for candidate in sorted(path.rglob("*")):
            relative = candidate.relative_to(path).parts
            if any(part in _SKIPPED_FOLDERS or part.startswith(".") for part in relative[:-1]):
                continue
            if candidate.is_file() and candidate.suffix.lower() in SCANNED_SUFFIXES:
                yield candidate


def read_text(path: Path) -> tuple[str, bool]:
    """The file's text and whether it was UTF-8 (other bytes are read byte-for-byte as latin-1)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GroqVcrError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("latin-1"), False


def build_redactor(config: Path | None, patterns: Sequence[str]) -> Redactor:
    """The built-in rules + ``[tool.groq-vcr.redact]`` (``config`` or the nearest pyproject.toml) + ``patterns``."""
    settings = read_settings(config) if config is not None else load_settings()
    extra = RedactionRules(patterns=tuple(patterns))
    return Redactor(settings.redaction.merged(extra))


def scan_paths(redactor: Redactor, paths: Sequence[Path]) -> tuple[list[Finding], int]:
    """Every finding in ``paths`` and how many files were scanned."""
    findings: list[Finding] = []
    count = 0
    for path in iter_files(paths):
        text, _ = read_text(path)
        found = redactor.scan_text(text, source=str(path))
        # What the text cannot show (compressed, escaped, split, learnt by value) but redact would remove.
        findings.extend(found or residue_findings(redactor, path, text))
        count += 1
    return findings, count


def rule_options(command: Callable[..., None]) -> Callable[..., None]:
    """The ``--pattern`` and ``--config`` options ``scan`` and ``redact`` share."""
    command = click.option(
        "--config",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="The pyproject.toml to read [tool.groq-vcr] from (default: the nearest one).",
    )(command)
    return click.option(
        "--pattern",
        "--rule",
        "patterns",
        multiple=True,
        metavar="REGEX",
        help="An extra secret pattern (repeatable), added to the built-in rules and [tool.groq-vcr.redact].",
    )(command)


@click.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@rule_options
def scan(paths: tuple[Path, ...], patterns: tuple[str, ...], config: Path | None) -> None:
    """Find secrets in cassettes and text files: Groq keys, bearer tokens, cookies, your patterns.

    Folders are searched for *.yaml, *.yml, *.json, *.txt and *.md. Each secret is printed as
    `file:line: rule: masked excerpt` (the secret itself is never printed). With no path, the cassette
    folders the pytest plugin writes into are scanned (as groq-vcr check finds them); finding no file
    to scan is an error (exit 2).

    \b
    Exit codes: 0 clean, 1 secrets found, 2 unusable path or setting.
    Example:
      groq-vcr scan cassettes/ --pattern 'sk-live-[A-Za-z0-9]{24}'
    """
    paths = paths or looked_up_folders("scan")
    try:
        redactor = build_redactor(config, patterns)
        findings, count = scan_paths(redactor, paths)
    except GroqVcrError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if not count:
        no_cassette_found("scan", paths)
    for finding in findings:
        click.echo(str(finding))
    files = f"{count} file{'s' if count != 1 else ''}"
    if not findings:
        click.echo(f"No secrets found in {files}.", err=True)
        sys.exit(EXIT_OK)
    affected = len({f.source for f in findings})
    click.echo(
        f"{len(findings)} secret{'s' if len(findings) != 1 else ''} found in {affected} of {files}; "
        "remove them with: groq-vcr redact " + " ".join(sorted({str(f.source) for f in findings})),
        err=True,
    )
    sys.exit(EXIT_FINDINGS)
