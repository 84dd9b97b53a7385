"""A test that does not pass never costs its committed cassette, even under ``--record-mode=rewrite``.

pytest-recording's ``rewrite`` mode deletes a test's cassette before the test runs. Just before, this module
keeps the file under a hidden name beside it (a hard link, or a copy where links fail), so that even a killed
run leaves the original on disk. When the ``vcr`` fixture has been torn down (the cassette closed and saved):

- the test passed and a new cassette was saved (or it failed under ``--groq-vcr-keep-failed``, an explicit
  choice): the backup is dropped;
- otherwise (it failed, errored, was skipped or interrupted, recorded nothing, or the save failed): the
  original is put back, byte for byte, and the terminal summary says so.

A backup left by a killed run is recovered the next time a test opens that cassette: put back when the cassette
is missing, dropped when it is there. The other modes never delete a cassette, and a failed test saves nothing
(:mod:`._outcomes`).

pytest-recording decides the cassette's path and record mode inside its ``vcr`` fixture; :func:`cassette_path`
and :func:`record_mode` repeat its rules (``vcr_config``/marker ``record_mode`` over ``--record-mode``, the file
name trimmed to the file-name limit) so that the file it deletes is the file kept here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = ["cassette_path", "record_mode", "rewrite_backup"]

try:
    _NAME_MAX = os.pathconf(".", "PC_NAME_MAX")  # what pytest-recording trims cassette names to
except (AttributeError, ValueError, OSError):
    _NAME_MAX = 255

_BACKUP_SUFFIX = ".groq-vcr-original"


@dataclass
class _Guard:
    """A cassette kept aside while a ``rewrite`` test runs."""

    path: Path
    backup: Path | None
    """The original, None when there was no cassette to keep."""
    keep_failed: bool


_GUARD = pytest.StashKey[_Guard]()
_CALL_OUTCOME = pytest.StashKey[str]()
_NOTES = pytest.StashKey[list[str]]()


def rewrite_backup(item: pytest.Item) -> Path | None:
    """The committed cassette of ``item``, kept aside while it runs under ``rewrite`` (None otherwise).

    pytest-recording has deleted the cassette itself by the time the test runs; this file holds its original
    bytes until the test's ``vcr`` fixture is torn down.
    """
    guard = item.stash.get(_GUARD, None)
    return None if guard is None else guard.backup


def _merged(config: dict[str, Any], markers: Sequence[pytest.Mark], key: str) -> tuple[bool, Any]:
    """``(found, value)`` of ``key`` as pytest-recording merges ``vcr_config`` and the ``vcr`` markers."""
    found, value = key in config, config.get(key)
    for marker in reversed(markers):  # the closest marker is applied last and wins
        if key in marker.kwargs:
            found, value = True, marker.kwargs[key]
    return found, value


def record_mode(default: str, config: dict[str, Any], markers: Sequence[pytest.Mark]) -> str:
    """The mode pytest-recording opens the cassette in: ``record_mode`` of ``vcr_config``/a marker, else
    ``default`` (the ``record_mode`` fixture: ``--record-mode`` or ``none``)."""
    found, value = _merged(config, markers, "record_mode")
    return str(getattr(value, "value", value)) if found else default


def cassette_path(cassette_dir: str, name: str, config: dict[str, Any], markers: Sequence[pytest.Mark]) -> Path:
    """The file pytest-recording uses for cassette ``name`` in ``cassette_dir``."""
    has_serializer, serializer = _merged(config, markers, "serializer")
    measured = serializer if has_serializer else ".yaml"  # pytest-recording measures "json", not ".json"
    if len(name) + len(measured) > _NAME_MAX:
        digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
        name = f"{name[: _NAME_MAX - len(measured) - len(digest) - 3]}...{digest}"
    suffix = f".{serializer}" if has_serializer else ".yaml"
    path = os.path.join(cassette_dir, name)
    return Path(path if path.endswith(suffix) else path + suffix)


def _backup_path(path: Path) -> Path:
    name = f".{path.name}{_BACKUP_SUFFIX}"
    if len(os.fsencode(name)) > _NAME_MAX:
        name = f".{hashlib.sha256(os.fsencode(path.name)).hexdigest()[:16]}{_BACKUP_SUFFIX}"
    return path.with_name(name)


def _note(config: pytest.Config, text: str) -> None:
    config.stash.setdefault(_NOTES, []).append(text)


def _recover(config: pytest.Config, path: Path) -> None:
    """Deal with a backup a killed run left: the original when the cassette is gone, stale when it is there."""
    backup = _backup_path(path)
    if not os.path.lexists(backup):
        return
    with contextlib.suppress(OSError):  # best effort: a read-only folder keeps both as they are
        if path.exists():
            backup.unlink()
        else:
            os.replace(backup, path)
            _note(config, f"{path}: put back from {backup.name}, left by an interrupted --record-mode=rewrite run")


def _keep_aside(path: Path) -> Path | None:
    """Keep the cassette at ``path`` under its backup name (None: there is none); an error names the fix."""
    from groq_vcr.cassette import save_error, write_atomic

    backup = _backup_path(path)
    staging = path.with_name(f".groq-vcr-{secrets.token_hex(8)}.tmp")
    try:
        os.link(path, staging)
    except FileNotFoundError:
        return None
    except OSError as exc:  # no hard links here: a copy (fsynced, renamed into place)
        try:
            write_atomic(backup, path.read_bytes())
        except FileNotFoundError:
            return None
        except OSError:
            raise save_error(path, exc, action="re-record") from None
        with contextlib.suppress(OSError):
            shutil.copymode(path, backup)
        return backup
    try:
        os.replace(staging, backup)
    except OSError as exc:
        with contextlib.suppress(OSError):
            staging.unlink()
        raise save_error(path, exc, action="re-record") from None
    return backup


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    if fixturedef.argname == "vcr":
        _before_vcr(request)
    return (yield)


def _before_vcr(request: pytest.FixtureRequest) -> None:
    if request.getfixturevalue("disable_recording"):
        return
    markers: list[pytest.Mark] = request.getfixturevalue("vcr_markers")
    if not markers:
        return
    config: dict[str, Any] = request.getfixturevalue("vcr_config")
    path = cassette_path(
        request.getfixturevalue("vcr_cassette_dir"), request.getfixturevalue("default_cassette_name"), config, markers
    )
    _recover(request.config, path)
    if record_mode(request.getfixturevalue("record_mode"), config, markers) != "rewrite":
        return
    from groq_vcr.pytest_plugin._options import KEEP_FAILED_KEY

    keep_failed = bool(
        request.config.getoption("--groq-vcr-keep-failed") or _merged(config, markers, KEEP_FAILED_KEY)[1]
    )
    request.node.stash[_GUARD] = _Guard(path, _keep_aside(path), keep_failed)


def pytest_fixture_post_finalizer(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> None:
    """After the ``vcr`` fixture's teardown (its cassette saved or not): keep the new cassette or put back the old."""
    if fixturedef.argname != "vcr":
        return
    item = request.node
    guard = item.stash.get(_GUARD, None)
    if guard is None:
        return
    from groq_vcr.cassette import save_error  # only with a cassette kept aside: plain tests load no layer

    del item.stash[_GUARD]
    path, backup = guard.path, guard.backup
    if backup is None or not os.path.lexists(backup):  # nothing was kept, or another run took it back
        return
    outcome = item.stash.get(_CALL_OUTCOME, None)
    accepted = outcome == "passed" or (outcome == "failed" and guard.keep_failed)
    try:
        untouched = path.exists() and os.path.samefile(path, backup)  # pytest-recording could not delete it
        if untouched or (path.exists() and accepted):
            backup.unlink()
            return
        os.replace(backup, path)
    except OSError as exc:  # the backup stays: the next test that opens the cassette puts it back
        raise save_error(path, exc, action="put back the original of") from None
    if outcome != "passed":  # a passing test that recorded nothing just keeps its cassette
        why = "did not run to the end" if outcome is None else outcome
        _note(
            request.config,
            f"{item.nodeid} {why}: {path} is back as committed "
            "(a rewrite is kept when its test passes, or with --groq-vcr-keep-failed)",
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_OUTCOME] = report.outcome
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the notes to the controller
        workeroutput["groq_vcr_safeguard"] = session.config.stash.get(_NOTES, [])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    for text in getattr(node, "workeroutput", {}).get("groq_vcr_safeguard", []):
        _note(node.config, text)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    notes = config.stash.get(_NOTES, [])
    if not notes or getattr(config, "workeroutput", None) is not None:
        return
    terminalreporter.write_sep("-", "groq-vcr: committed cassettes kept")
    for text in notes:
        terminalreporter.write_line(text)
