"""Where the cassettes of a project are, for ``groq-vcr check`` / ``scan`` run with no path.

The pytest plugin writes where pytest-recording puts cassettes: ``<test dir>/cassettes/<module>/<test>.yaml``.
So with no path the commands look, under the project's test paths (pytest's ``testpaths``, else the project
folder), for every folder named ``cassettes``. A project whose ``vcr_cassette_dir`` fixture puts them elsewhere
names its folders once in ``pyproject.toml``::

    [tool.groq-vcr]
    cassettes = ["tests/recordings"]

Finding nothing is an error, never "0 cassettes OK": a CI step that checks nothing must not pass.
"""

from __future__ import annotations

import configparser
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from groq_vcr._settings import find_pyproject, read_settings
from groq_vcr.cli import EXIT_USAGE
from groq_vcr.errors import GroqVcrError

__all__ = ["DefaultFolders", "default_cassette_folders", "looked_up_folders", "no_cassette_found"]

FOLDER_NAME = "cassettes"
_SKIPPED = {"node_modules", "__pycache__", "site-packages", "venv", "env", "build", "dist"}


@dataclass(frozen=True)
class DefaultFolders:
    """The folders found, and how they were found (for the message that names them)."""

    folders: list[Path]
    how: str


def _ini_testpaths(path: Path, section: str) -> list[str] | None:
    """``testpaths`` of an ini-style pytest configuration (None when the file has no such section)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    if not parser.has_section(section):
        return None
    return parser.get(section, "testpaths", fallback="").split()


def _toml_testpaths(path: Path) -> list[str] | None:
    """``testpaths`` of ``[tool.pytest.ini_options]`` (or pytest 9's ``[tool.pytest]``) in a pyproject.toml."""
    try:
        with path.open("rb") as handle:
            document: dict[str, Any] = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    pytest_table = document.get("tool", {}).get("pytest")
    if not isinstance(pytest_table, dict):
        return None
    options = pytest_table.get("ini_options", pytest_table)
    value = options.get("testpaths", []) if isinstance(options, dict) else []
    return [value] if isinstance(value, str) else [str(item) for item in value]


def pytest_testpaths(start: Path) -> tuple[Path, list[str], str] | None:
    """``(rootdir, testpaths, config file name)`` of the pytest configuration that applies in ``start``, found
    the way pytest looks for it (pytest.ini, pyproject.toml, tox.ini, setup.cfg; nearest folder first)."""
    for folder in (start, *start.parents):
        candidates = (
            ("pytest.ini", lambda p: _ini_testpaths(p, "pytest") or []),
            ("pyproject.toml", _toml_testpaths),
            ("tox.ini", lambda p: _ini_testpaths(p, "pytest")),
            ("setup.cfg", lambda p: _ini_testpaths(p, "tool:pytest")),
        )
        for name, read in candidates:
            path = folder / name
            if path.is_file():
                found = read(path)
                if found is not None:
                    return folder, found, name
    return None


def _cassette_folders_under(root: Path) -> Iterator[Path]:
    for folder, subfolders, _files in os.walk(root):
        here = Path(folder)
        if here.name == FOLDER_NAME:
            subfolders.clear()  # the plugin's <module>/ folders are inside: checked as part of this one
            yield here
            continue
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in _SKIPPED)


def default_cassette_folders(start: Path | None = None) -> DefaultFolders:
    """The cassette folders of the project around ``start`` (default: the working directory).

    Raises :class:`GroqVcrError` when there are none, saying where it looked and how to name them.
    """
    here = (start or Path.cwd()).resolve()
    pyproject = find_pyproject(here)
    if pyproject is not None:
        configured = read_settings(pyproject).cassettes
        if configured:
            folders = [pyproject.parent / name for name in configured]
            missing = [str(folder) for folder in folders if not folder.exists()]
            if missing:
                raise GroqVcrError(
                    f"{pyproject}: [tool.groq-vcr] cassettes names {', '.join(missing)}, which does not exist; "
                    "record the tests first (pytest --record-mode=once) or fix the setting"
                )
            return DefaultFolders(folders, f"cassettes in [tool.groq-vcr] of {pyproject}")
    found = pytest_testpaths(here)
    if found is not None:
        root, testpaths, source = found
        places = [root / name for name in testpaths] or [root]
        if testpaths:
            how = f"{FOLDER_NAME}/ folders under {', '.join(testpaths)} (testpaths in {root / source})"
        else:
            how = f"{FOLDER_NAME}/ folders under {root} (the rootdir of {root / source})"
    else:
        root = pyproject.parent if pyproject is not None else here
        places, how = [root], f"{FOLDER_NAME}/ folders under {root}"
    folders = [folder for place in places if place.is_dir() for folder in _cassette_folders_under(place)]
    if not folders:
        raise GroqVcrError(
            f"no cassette folder found: looked for {how}, where the pytest plugin writes them "
            "(<test dir>/cassettes/<module>/)"
        )
    return DefaultFolders(folders, how)


def _fail(message: str, hint: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    click.echo(f"hint: {hint}", err=True)
    raise SystemExit(EXIT_USAGE)


def looked_up_folders(command: str) -> tuple[Path, ...]:
    """The default folders of ``groq-vcr COMMAND`` run with no path, named on stderr; exits 2 when there are
    none."""
    try:
        found = default_cassette_folders()
    except GroqVcrError as exc:
        _fail(
            str(exc),
            f"pass the folder that holds your cassettes (groq-vcr {command} PATH), or name it once in "
            'pyproject.toml: [tool.groq-vcr] cassettes = ["tests/cassettes"]',
        )
    cwd = Path.cwd().resolve()
    folders = tuple(folder.relative_to(cwd) if folder.is_relative_to(cwd) else folder for folder in found.folders)
    click.echo(f"no path given: {command} {', '.join(map(str, folders))} ({found.how})", err=True)
    return folders


def no_cassette_found(command: str, paths: tuple[Path, ...]) -> NoReturn:
    """Exit 2: ``paths`` hold nothing to look at (an empty folder is a mistake, not a pass)."""
    named = ", ".join(map(str, paths))
    what = "no cassette (*.yaml, *.yml)" if command == "check" else "no cassette or text file"
    _fail(
        f"{what} found in {named}",
        "record some first (pytest --record-mode=once), or give the folder that holds them",
    )
