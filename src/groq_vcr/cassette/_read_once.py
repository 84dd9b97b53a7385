"""One read of a cassette file per use: the format sniff hands its bytes to the load that follows it.

Opening a cassette first asks which tool wrote it (:func:`~groq_vcr.cassette.cassette_kind`), then loads it
through the parsed-cassette cache, which hashes the whole file. For a small file the sniff reads it whole and
keeps the bytes here; the next load of the same, unchanged file takes them (once) instead of reading again.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

SMALL_FILE_BYTES = 256 * 1024
"""Files up to this size are read whole by the sniff (one read instead of a sniff plus a full read)."""

Fingerprint = tuple[int, int, int]

_lock = threading.Lock()
_kept: tuple[str, Fingerprint, bytes] | None = None


def fingerprint(info: os.stat_result) -> Fingerprint:
    """What identifies one version of a file without reading it: size, modification time, inode."""
    return info.st_size, info.st_mtime_ns, info.st_ino


def keep(path: Path, stamp: Fingerprint, content: bytes) -> None:
    """Keep ``content``, just read from ``path`` (whose fingerprint was ``stamp``), for the next :func:`take`."""
    global _kept
    with _lock:
        _kept = (os.fspath(path), stamp, content)


def take(path: Path, stamp: Fingerprint) -> bytes | None:
    """The bytes kept for ``path`` if its fingerprint is still ``stamp`` (None otherwise); forgotten either way."""
    global _kept
    with _lock:
        kept, _kept = _kept, None
    if kept is None or kept[0] != os.fspath(path) or kept[1] != stamp:
        return None
    return kept[2]
