"""Cassette files on disk: load with file/line errors, save atomically, never clobber what we cannot read.

Every save is one read-modify-write (:func:`update_cassette`; :func:`save_cassette` is the one that replaces the
contents): under a lock, read what the file holds now, build the new cassette from it, write a temporary file
next to the cassette, fsync it and rename it over the old one. So concurrent writers of the same cassette
(pytest-xdist workers, two ``groq-vcr record`` runs) add to each other's work, and a crash or an error mid-save
leaves the previous cassette intact.

Nothing is left beside the cassette: the lock (``filelock``) lives in a per-user folder of the temporary
directory, named by a hash of the cassette's real path (:func:`lock_path`), so every process of the machine that
saves the same cassette takes the same lock; and the temporary file has a short, fixed-length hidden name, so a
cassette whose name is at the file system's limit still saves. A save that the file system refuses (a read-only
folder, permission denied, a full disk) is a :class:`~groq_vcr.errors.CassetteSaveError`: one line naming the
folder, the cause and the fix.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from filelock import FileLock

from groq_vcr.cassette._emit import dump_cassette
from groq_vcr.cassette._load import load_cassette_stream, load_cassette_text
from groq_vcr.cassette._model import Cassette
from groq_vcr.errors import CassetteFormatError, CassetteSaveError

__all__ = [
    "CASSETTE_SUFFIXES",
    "file_stamp",
    "find_cassette_files",
    "load_cassette",
    "lock_path",
    "parse_cassette",
    "read_text",
    "save_cassette",
    "update_cassette",
    "write_atomic",
]

CASSETTE_SUFFIXES = (".yaml", ".yml")

# The stamp each file had right after this process wrote it: while it keeps that stamp it is the valid cassette
# written then, so replacing it (save_cassette) needs no parse to prove it is a cassette.
_written: dict[str, tuple[int, int]] = {}


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def file_stamp(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """``(mtime_ns, size)`` of a file, or None when it does not exist: tells whether it changed since read."""
    return _stamp(Path(path))


def parse_cassette(text: str, path: str | os.PathLike[str] | None = None) -> Cassette:
    """Parse cassette text; errors name ``path`` (when given) and the line/column of the problem."""
    try:
        return load_cassette_text(text)
    except CassetteFormatError as exc:
        raise exc.with_path(Path(path)) if path is not None else exc from None


def read_text(path: str | os.PathLike[str]) -> str:
    """A cassette file's text, or :class:`CassetteFormatError` naming the file when it cannot be read."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise CassetteFormatError("the file does not exist", path=p) from None
    except OSError as exc:
        raise CassetteFormatError(f"the file cannot be read: {exc.strerror or exc}", path=p) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteFormatError(
            f"the file is not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x}); cassettes are UTF-8 YAML",
            path=p,
        ) from None


def load_cassette(path: str | os.PathLike[str]) -> Cassette:
    """Load a cassette file.

    Raises :class:`CassetteFormatError` naming the file (and the line/column when known) when it is missing,
    unreadable, not YAML, or not a go-vcr version 2 cassette. The file is parsed as it is read, in chunks: its
    text is never held in memory next to the cassette (it is read whole only to report a problem).
    """
    p = Path(path)
    try:
        handle = open(p, "rb")  # noqa: SIM115 - closed below; read_text reports why it cannot be opened
    except OSError:
        read_text(p)  # raises CassetteFormatError naming the file
        raise
    with handle:
        try:
            cassette = load_cassette_stream(handle, lambda: read_text(p))
        except CassetteFormatError as exc:
            raise exc if exc.path is not None else exc.with_path(p) from None
    return cassette


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *, locked: bool = False) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` through a temporary file in the same folder, fsync and rename.

    The parent folders are created. A new file gets the usual permissions (0666 minus the umask); an existing
    file keeps its mode. If anything fails, the previous file is untouched and the temporary file is removed.
    Temporary files a killed writer of the same file left behind are removed first: every one when the caller
    holds the file's lock (``locked``: no other writer can be at work), else those older than an hour.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    prefix = temp_prefix(p)
    _remove_stale_temps(p, prefix, 0 if locked else _STALE_AFTER_S)
    # Short and fixed-length: a name at the file system's limit must still get a temporary sibling.
    tmp = p.with_name(f"{prefix}{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, os.stat(p).st_mode & 0o7777)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable; not possible on every platform
        dir_fd = os.open(p.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


_STALE_AFTER_S = 3600


def temp_prefix(path: Path) -> str:
    """The hidden name prefix of ``path``'s temporary files: ``.groq-vcr-`` and 8 hex digits of its name."""
    return f".groq-vcr-{hashlib.sha256(os.fsencode(path.name)).hexdigest()[:8]}-"


def _remove_stale_temps(path: Path, prefix: str, min_age_s: float) -> None:
    try:
        candidates = [e for e in os.scandir(path.parent) if e.name.startswith(prefix) and e.name.endswith(".tmp")]
    except OSError:
        return
    if not candidates:
        return
    limit = time.time() - min_age_s
    for entry in candidates:
        with contextlib.suppress(OSError):
            if min_age_s <= 0 or entry.stat(follow_symlinks=False).st_mtime < limit:
                os.unlink(entry.path)


def update_cassette(
    path: str | os.PathLike[str],
    update: Callable[[Cassette | None], Cassette],
    *,
    known: tuple[tuple[int, int] | None, Cassette] | None = None,
    check: Callable[[Cassette, str], None] | None = None,
    replace_invalid: bool = False,
    render: Callable[[Cassette], str] | None = None,
) -> Cassette:
    """Read-modify-write a cassette under its lock: the one way a cassette file is written.

    With the cassette's lock held (:func:`lock_path`), the file is read as it is now (None when it is missing or
    empty), ``update`` turns that into the cassette to write, and that is written atomically; so concurrent
    writers each add to what the others wrote, and a failure at any step leaves the file as it was. Returns what
    was written.

    ``known`` is ``(stamp, cassette)`` of a copy the caller loaded earlier (stamp from :func:`file_stamp`, taken
    before loading): when the file has not changed since, that copy is passed instead of parsing the file again.
    A file that is not a valid cassette is never overwritten: :class:`CassetteFormatError` names it and the
    problem, and nothing is written; with ``replace_invalid`` it is replaced (``update`` gets None).
    ``check(cassette, text)`` is called with what is about to be written and its exact text (the secret
    scanner); if it raises, nothing is written and its exception propagates. When the file system refuses the
    write (the folder cannot be created or written, the disk is full), :class:`CassetteSaveError` says where,
    why and what to do.
    ``render`` turns the cassette into the text to write (default: go-vcr's layout, :func:`dump_cassette`).
    """
    return _write(Path(path), update, known, check, replace_invalid, needs_current=True, render=render)


def _write(
    p: Path,
    update: Callable[[Cassette | None], Cassette],
    known: tuple[tuple[int, int] | None, Cassette] | None,
    check: Callable[[Cassette, str], None] | None,
    replace_invalid: bool,
    *,
    needs_current: bool,
    render: Callable[[Cassette], str] | None = None,
) -> Cassette:
    """:func:`update_cassette`; without ``needs_current`` (``update`` ignores the old contents) a file this
    process wrote and nobody changed since is not parsed again (it is the cassette written then)."""
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(lock_path(p))
        lock.acquire()
    except OSError as exc:
        raise save_error(p, exc) from None
    key = os.fspath(p.absolute())
    try:
        ours = not needs_current and _written.get(key) is not None and _written.get(key) == _stamp(p)
        cassette = update(None if ours else _current(p, known, replace_invalid))
        text = (render or dump_cassette)(cassette)
        if check is not None:
            check(cassette, text)
        try:
            write_atomic(p, text, locked=True)
        except OSError as exc:
            raise save_error(p, exc) from None
        stamp = _stamp(p)
        if stamp is not None:
            _written[key] = stamp
    finally:
        lock.release()
    return cassette


def lock_path(path: str | os.PathLike[str]) -> Path:
    """The lock file that serialises saves of the cassette at ``path``: never beside it.

    A per-user folder of the temporary directory holds one (empty) lock per cassette, named by a hash of the
    cassette's real path, so xdist workers and separate processes on one machine agree on it. When that folder
    cannot be used (another user owns it, the temporary directory is read-only), the lock falls back to a hidden
    fixed-length file in the cassette's own folder.
    """
    real = os.path.realpath(path)
    digest = hashlib.sha256(os.fsencode(real)).hexdigest()[:32]
    folder = _lock_folder()
    if folder is None:
        return Path(real).parent / f".groq-vcr-{digest[:16]}.lock"
    return folder / f"{digest}.lock"


def _lock_folder() -> Path | None:
    uid = os.getuid() if hasattr(os, "getuid") else None
    folder = Path(tempfile.gettempdir()) / (f"groq-vcr-locks-{uid}" if uid is not None else "groq-vcr-locks")
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    # In a shared temporary directory another user could have planted the folder (or a link to theirs).
    if not stat.S_ISDIR(info.st_mode) or (uid is not None and info.st_uid != uid):
        return None
    return folder


_NOT_WRITABLE = ("is not writable", "make it writable, or replay without recording (--record-mode=none)")
_DISK_FULL = "free some space and record again"
_IN_THE_WAY = ("cannot be created: a file is in the way", "move that file away and record again")
_CAUSES: dict[int | None, tuple[str, str]] = {
    errno.EACCES: _NOT_WRITABLE,
    errno.EPERM: _NOT_WRITABLE,
    errno.EROFS: (
        "is on a read-only file system",
        "record on a writable copy, or replay without recording (--record-mode=none)",
    ),
    errno.ENOSPC: ("is on a full disk", _DISK_FULL),
    getattr(errno, "EDQUOT", None): ("is over its disk quota", _DISK_FULL),
    errno.ENOTDIR: _IN_THE_WAY,
    errno.EEXIST: _IN_THE_WAY,
}


def save_error(path: str | os.PathLike[str], exc: OSError, *, action: str = "save") -> CassetteSaveError:
    """One line for a cassette the file system would not let us write: its folder, the cause, the fix."""
    p = Path(path)
    folder = p.parent.absolute()
    reason = exc.strerror or str(exc)
    known = _CAUSES.get(exc.errno) if exc.errno is not None else None
    what, fix = (
        (known[0] + f" ({reason})", known[1])
        if known
        else (f"cannot be written ({reason})", "fix that and record again")
    )
    return CassetteSaveError(
        f"cannot {action} cassette {p.name}: its folder {folder} {what}; {fix}",
        errno=exc.errno,
        strerror=exc.strerror,
        filename=str(exc.filename) if exc.filename is not None else str(p),
    )


def save_cassette(
    path: str | os.PathLike[str],
    cassette: Cassette,
    *,
    check: Callable[[Cassette, str], None] | None = None,
    replace_invalid: bool = False,
) -> None:
    """Write ``cassette`` to ``path`` in go-vcr's exact layout, atomically, replacing what the file holds.

    The parent folders are created. Concurrent savers of the same path are serialised by the cassette's lock
    (:func:`lock_path`). ``check(cassette, text)`` is called with what is about
    to be written (e.g. the secret scanner); if it raises, nothing is written and its exception propagates. An
    existing file that is not a valid cassette is not overwritten (:class:`CassetteFormatError`) unless
    ``replace_invalid`` is true. This is :func:`update_cassette` with an update that ignores the old contents.
    """
    _write(Path(path), lambda _current: cassette, None, check, replace_invalid, needs_current=False)


def _current(
    path: Path, known: tuple[tuple[int, int] | None, Cassette] | None, replace_invalid: bool
) -> Cassette | None:
    """The cassette ``path`` holds now (the lock held), None when there is none; refuses a file that is not one."""
    stamp = _stamp(path)
    if stamp is None or stamp[1] == 0:
        return None
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        return load_cassette(path)
    except CassetteFormatError as exc:
        if replace_invalid:
            return None
        where = f" (line {exc.line})" if exc.line is not None else ""
        raise CassetteFormatError(
            f"refusing to overwrite this file: it is not a valid cassette{where}: {exc.problem}. "
            "Fix it, delete it, or re-record with --record-mode=rewrite to replace it",
            path=path,
        ) from None


def find_cassette_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The cassette files named by ``paths``: files as given, folders searched recursively for ``*.yaml``/``*.yml``.

    Hidden files and folders (our temporary files start with a dot) and any other suffix are skipped; the result is
    sorted per argument and free of duplicates. Raises ``FileNotFoundError`` for a path that does not exist.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            candidates = sorted(
                f
                for f in p.rglob("*")
                if f.suffix in CASSETTE_SUFFIXES
                and f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.exists():
            candidates = [p]
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
        for f in candidates:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                found.append(f)
    return found
