"""``groq-vcr drift [PATHS]``: re-send recorded requests to the live API and report response-schema drift."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import click

from groq_vcr.cassette import Cassette
from groq_vcr.cli import EXIT_USAGE
from groq_vcr.cli._calls import call_options
from groq_vcr.cli._human import human_duration, humanize_durations
from groq_vcr.cli.drift._report import DriftRunReport, build_report
from groq_vcr.cli.drift._rerecord import CassetteRun, rerecord
from groq_vcr.errors import GroqVcrError
from groq_vcr.redaction import Redactor

_SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "env"})


def _fail(message: str, hint: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    click.echo(f"hint: {hint}", err=True)
    sys.exit(EXIT_USAGE)


def _cassette_folders(root: Path) -> Iterator[Path]:
    """Folders named ``cassettes`` under ``root`` (pytest-recording's and groq-vcr's layout), hidden ones skipped."""
    for folder, subfolders, _ in os.walk(root):
        subfolders[:] = sorted(s for s in subfolders if not s.startswith(".") and s not in _SKIPPED_FOLDERS)
        if Path(folder).name == "cassettes":
            subfolders[:] = []
            yield Path(folder)


def _named_cassettes(paths: tuple[Path, ...]) -> list[tuple[str, Path]]:
    """``(name, path)`` of every cassette under ``paths``; the name is the path as given (POSIX), for reports."""
    from groq_vcr.cassette import find_cassette_files

    named: list[tuple[str, Path]] = []
    seen: set[Path] = set()
    for root in paths:
        for path in find_cassette_files([root]):
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            named.append((path.as_posix() if root.is_file() else (root / path.relative_to(root)).as_posix(), path))
    return named


def _safe_relative(name: str) -> Path:
    """Where a cassette named ``name`` goes under ``--save-to``: its name, without leading ``/`` or ``..``."""
    parts = [part for part in Path(name).parts if part not in ("..", "/") and not part.endswith(":\\")]
    return Path(*parts)


def _checker(redactor: Redactor, path: Path) -> Callable[[Cassette, str], None]:
    """The fail-closed secret check of a cassette about to be written to ``path``."""

    def check(cassette: Cassette, text: str) -> None:
        redactor.assert_clean_cassette(cassette, text, path)

    return check


def _write(runs: list[CassetteRun], redactor: Redactor, save_to: Path | None, update: bool) -> list[str]:
    """Save the re-recordings where asked (redacted, scanned, atomically); returns what was done, for stderr."""
    from groq_vcr.cassette import VCRPY, cassette_kind, save_cassette

    done: list[str] = []
    for run in runs:
        if not run.checked:
            continue
        cassette = redactor.redact_cassette(run.whole)
        if save_to is not None:
            target = save_to / _safe_relative(run.name)
            save_cassette(target, cassette, check=_checker(redactor, target))
            done.append(f"saved {target}")
        if update:
            if cassette_kind(run.path) == VCRPY:
                done.append(f"kept {run.path}: a vcrpy cassette (convert it first: groq-vcr convert --in-place)")
                continue
            save_cassette(run.path, cassette, check=_checker(redactor, run.path))
            done.append(f"updated {run.path}")
    return done


def _target(base_url: str | None, runs: list[CassetteRun]) -> str:
    if base_url:
        return base_url
    origins = sorted(
        {f"{p.scheme}://{p.netloc}" for run in runs for i in run.old.interactions for p in [urlsplit(i.request.url)]}
    )
    return ", ".join(origins) or "the recorded hosts"


def _emit(report: DriftRunReport, redactor: Redactor, output_format: str, outputs: tuple[Path, ...]) -> None:
    markdown = redactor.redact_text(report.to_markdown())
    as_json = redactor.redact_text(report.to_json())
    printed = {"markdown": markdown, "json": as_json}.get(output_format) or redactor.redact_text(report.to_text())
    click.echo(printed, nl=False)
    for path in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(as_json if path.suffix.lower() == ".json" else markdown, encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown)


@click.command("drift")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "outputs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the report to FILE: Markdown, or JSON when FILE ends in .json (repeatable).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="The report printed on stdout.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on additive changes too, not only on breaking ones.")
@click.option(
    "--base-url",
    metavar="URL",
    envvar="GROQ_VCR_BASE_URL",
    show_envvar=True,
    help="Send the requests to this Groq-compatible server instead of the recorded host (the cassettes keep theirs).",
)
@click.option(
    "--save-to",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Also write the re-recorded cassettes into DIR (redacted and scanned); by default they are only compared.",
)
@click.option(
    "--update",
    is_flag=True,
    help="Replace each committed cassette that was re-checked by its re-recording (redacted and scanned).",
)
@call_options(wait_help="Longest single wait for a rate limit; a longer one stops the run (reported).")
def drift(
    paths: tuple[Path, ...],
    outputs: tuple[Path, ...],
    output_format: str,
    strict: bool,
    base_url: str | None,
    save_to: Path | None,
    update: bool,
    max_retries: int,
    max_wait: float,
    timeout: float,
) -> None:
    """Re-send the requests recorded in the cassettes under PATHS and report response-schema drift.

    PATHS are cassette files or folders (default: every folder named "cassettes" under the current one). Each
    recorded request is sent again with the key in GROQ_API_KEY (same method, URL and body), and the live
    answer's schema is compared with the recorded one: removed fields and new types are breaking, added fields
    additive. The committed cassettes are not touched (--save-to keeps the re-recordings, --update replaces
    them). When GITHUB_STEP_SUMMARY is set, the Markdown report is appended to it.

    \b
    Exit codes:
      0  every cassette re-checked, no breaking drift
      1  breaking drift (or additive with --strict)
      2  bad input, or the run could not re-check everything (the API could
         not be reached, the key was rejected, a rate limit outlasted
         --max-wait, a cassette could not be read or sent again)
    \b
    Examples:
      GROQ_API_KEY=gsk_... groq-vcr drift tests/cassettes --out drift.md
      groq-vcr drift cassettes --base-url http://127.0.0.1:8000 --format markdown
    """
    from groq_vcr._settings import redactor_for
    from groq_vcr.cli.record._pacing import Pacer, RetryPolicy
    from groq_vcr.cli.record._sender import SpecRecorder, env_api_key, redirect_url

    api_key = env_api_key()
    if api_key is None and not base_url:
        _fail(
            "GROQ_API_KEY is not set; the drift run re-sends the recorded requests to the live API",
            "export GROQ_API_KEY=gsk_... (in CI: a repository secret), or point --base-url at another server",
        )
    if not paths:
        paths = tuple(_cassette_folders(Path.cwd()))
        if not paths:
            _fail("no folder named 'cassettes' under the current folder", "name the cassettes: groq-vcr drift PATH...")
        paths = tuple(Path(os.path.relpath(path)) for path in paths)
    try:
        redactor = redactor_for(Path.cwd())
        if base_url:
            redirect_url("https://api.groq.com/", base_url)  # a bad --base-url fails before anything is sent
        cassettes = _named_cassettes(paths)
    except GroqVcrError as exc:
        _fail(str(exc), "check the options (groq-vcr drift --help)")
    if not cassettes:
        _fail(f"no cassettes (*.yaml, *.yml) under {', '.join(map(str, paths))}", "name a folder of cassettes")

    def on_wait(seconds: float, reason: str) -> None:
        click.echo(f"waiting {human_duration(seconds)}: {humanize_durations(reason)}", err=True)

    def on_cassette(number: int, name: str) -> None:
        click.echo(f"drift {number}/{len(cassettes)}: {name}", err=True)

    pacer = Pacer(RetryPolicy(max_retries=max_retries, max_wait_s=max_wait), on_wait=on_wait)
    with SpecRecorder(pacer=pacer, api_key=api_key, base_url=base_url, timeout_s=timeout) as recorder:
        runs, stopped, sent = rerecord(
            cassettes,
            recorder,
            target=base_url or "",
            on_cassette=on_cassette,
            on_call=lambda line: click.echo(f"  {line}", err=True),
        )
    why = humanize_durations(stopped) if stopped is not None else None
    report = build_report(runs, target=_target(base_url, runs), sent=sent, stopped=why, strict=strict)
    try:
        for line in _write(runs, redactor, save_to, update):
            click.echo(line, err=True)
    except (GroqVcrError, OSError) as exc:
        _fail(redactor.redact_text(str(exc)), "the committed cassettes are as they were; fix the problem and run again")
    _emit(report, redactor, output_format, outputs)
    sys.exit(report.exit_code)
