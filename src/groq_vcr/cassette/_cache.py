"""A parsed-cassette cache, so an unchanged cassette is parsed once, not once per test or per run.

:func:`cached_load` reads the file, hashes its bytes (SHA-256) and looks for the parsed :class:`Cassette`
under that digest: first in an in-process LRU (a test run that opens the same cassette twice parses it
once), then in a pickle on disk (the next run skips YAML entirely). The digest is of the content, so a
changed file is never answered from the cache, whatever its timestamps say. The key also covers the
package version, the Python version, the shape of the model dataclasses and the loader, so an upgrade
never unpickles stale objects.

Where it lives: ``$GROQ_VCR_CACHE_DIR``, else ``$XDG_CACHE_HOME/groq-vcr``, else ``~/.cache/groq-vcr`` (never
inside the project). Deleting it is always safe. ``GROQ_VCR_CACHE=0`` turns both layers off.

Each hit returns a fresh object (unpickled), so a caller may mutate what it gets without affecting the
next test. The loader shares equal short strings; pickle stores each shared object once, so the pickle stays
small and unpickling rebuilds the same sharing (with the garbage collector paused, as the loader does).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import logging
import os
import pickle
import sys
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from groq_vcr._version import __version__
from groq_vcr.cassette._bulk import gc_paused
from groq_vcr.cassette._model import Cassette, Interaction, Request, Response
from groq_vcr.cassette._read_once import Fingerprint, fingerprint, take

__all__ = ["CacheStats", "cache_dir", "cache_enabled", "cached_load", "clear_cache", "stats"]

log = logging.getLogger("groq_vcr.cache")

MEMORY_BUDGET_BYTES = 64 * 1024 * 1024
"""Pickled bytes kept in process at most."""
MEMORY_ENTRY_MAX_BYTES = 4 * 1024 * 1024
"""A larger pickle is not kept in process: it is streamed from disk, so its bytes never sit next to its objects."""
MEMORY_MAX_ENTRIES = 256

_SUFFIX = ".pickle"


@dataclass
class CacheStats:
    """Counters for tests and the benchmark: where each :func:`cached_load` was answered from."""

    memory_hits: int = 0
    disk_hits: int = 0
    parses: int = 0
    stores: int = 0
    errors: int = 0


stats = CacheStats()
"""The process-wide counters (reset by :func:`clear_cache`)."""

_memory: OrderedDict[str, bytes] = OrderedDict()
_memory_bytes = 0
_lock = threading.Lock()


def cache_enabled() -> bool:
    """False when ``GROQ_VCR_CACHE`` is ``0`` (or ``false``/``no``/``off``)."""
    return os.environ.get("GROQ_VCR_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def cache_dir() -> Path:
    """The directory holding cache files (it need not exist yet)."""
    explicit = os.environ.get("GROQ_VCR_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "groq-vcr"


@functools.cache
def _namespace() -> str:
    """What besides the content decides how a cassette parses and unpickles: versions and model shape."""
    shape = ";".join(
        f"{cls.__name__}:{','.join(f.name for f in dataclasses.fields(cls))}"
        for cls in (Cassette, Interaction, Request, Response)
    )
    python = f"{sys.implementation.name}{sys.version_info[0]}.{sys.version_info[1]}"
    digest = hashlib.sha256(f"{__version__}|{python}|{pickle.HIGHEST_PROTOCOL}|{shape}".encode()).hexdigest()
    return f"v{__version__}-{python}-{digest[:12]}"


def _loader_name(loader: Callable[[Path], Cassette]) -> str:
    module = getattr(loader, "__module__", "") or ""
    return f"{module}.{getattr(loader, '__qualname__', type(loader).__qualname__)}"


def _remember(key: str, blob: bytes) -> None:
    global _memory_bytes
    if len(blob) > MEMORY_ENTRY_MAX_BYTES:
        return
    with _lock:
        if key in _memory:
            _memory.move_to_end(key)
            return
        _memory[key] = blob
        _memory_bytes += len(blob)
        while _memory and (_memory_bytes > MEMORY_BUDGET_BYTES or len(_memory) > MEMORY_MAX_ENTRIES):
            _, dropped = _memory.popitem(last=False)
            _memory_bytes -= len(dropped)


def _recall(key: str) -> bytes | None:
    with _lock:
        blob = _memory.get(key)
        if blob is not None:
            _memory.move_to_end(key)
        return blob


def _unpickle(blob: bytes) -> Cassette | None:
    try:
        with gc_paused():
            value = pickle.loads(blob)
    except Exception:  # a truncated or foreign file: treat as absent
        return None
    return value if isinstance(value, Cassette) else None


def _read_disk(file: Path) -> tuple[bytes | None, Cassette | None]:
    """A small cache file's bytes (to keep in process), or a large one's cassette streamed from disk."""
    try:
        with open(file, "rb") as handle:
            info = os.fstat(handle.fileno())
            # Another user could plant a pickle in a shared directory: only trust our own files.
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                log.warning("ignoring cache file %s: it is not owned by the current user", file)
                return None, None
            if info.st_size <= MEMORY_ENTRY_MAX_BYTES:
                return handle.read(), None
            try:
                with gc_paused():
                    value = pickle.load(handle)
            except Exception:
                return None, None
            return None, value if isinstance(value, Cassette) else None
    except OSError:
        return None, None


def _write_disk(file: Path, blob: bytes) -> None:
    try:
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".tmp-", suffix=_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(tmp, file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:  # a read-only home or a full disk only costs speed
        stats.errors += 1
        log.debug("could not write cache file %s: %s", file, exc)
        return
    stats.stores += 1


def _fingerprint(path: Path) -> Fingerprint:
    return fingerprint(path.stat())


def cached_load(path: str | Path, loader: Callable[[Path], Cassette]) -> Cassette:
    """``loader(path)``, answered from the cache when the file's content was parsed before.

    Errors of ``loader`` (a malformed cassette) propagate and are never cached. Returns a new
    :class:`Cassette` object on every call.
    """
    path = Path(path)
    if not cache_enabled():
        stats.parses += 1
        return loader(path)
    before = _fingerprint(path)
    content = take(path, before)  # what the format sniff just read, if it read this version of the file
    if content is None:
        content = path.read_bytes()
    hasher = hashlib.sha256(content)
    del content  # the loader reads the file itself; don't hold a second copy while it builds objects
    hasher.update(_loader_name(loader).encode())
    key = f"{_namespace()}/{hasher.hexdigest()}"

    blob = _recall(key)
    if blob is not None:
        cassette = _unpickle(blob)
        if cassette is not None:
            stats.memory_hits += 1
            return cassette
    file = cache_dir() / (key + _SUFFIX)
    blob, cassette = _read_disk(file)
    if blob is not None:
        cassette = _unpickle(blob)
        if cassette is not None:
            _remember(key, blob)
    if cassette is not None:
        stats.disk_hits += 1
        return cassette
    if file.exists():
        log.debug("discarding unreadable cache file %s", file)

    stats.parses += 1
    cassette = loader(path)
    if _fingerprint(path) != before:  # the file changed while it was parsed: the digest may not describe it
        return cassette
    blob = pickle.dumps(cassette, protocol=pickle.HIGHEST_PROTOCOL)
    _remember(key, blob)
    _write_disk(file, blob)
    del blob
    return cassette


def clear_cache(*, disk: bool = True) -> None:
    """Forget everything cached in this process and (unless ``disk=False``) delete the cache directory's files."""
    global _memory_bytes
    with _lock:
        _memory.clear()
        _memory_bytes = 0
    vars(stats).update(vars(CacheStats()))
    if not disk:
        return
    root = cache_dir()
    if not root.is_dir():
        return
    for file in root.glob(f"*/*{_SUFFIX}"):
        with contextlib.suppress(OSError):
            file.unlink()
