"""Content-codings (gzip, deflate in both framings, br, zstd): a body decoded so it can be redacted.

Redaction never edits bytes inside a compressed frame; a body is decoded first and stored decoded. ``br`` and
``zstd`` need the ``compression`` extra (``brotli``/``brotlicffi``, ``zstandard``), imported only when such a
body appears; without it the body is refused with a clear error rather than written with a secret inside.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping

from groq_vcr.errors import GroqVcrError

__all__ = ["UndecodableBody", "content_codings", "decode_body"]

_IDENTITY = frozenset({"", "identity"})


class UndecodableBody(GroqVcrError):
    """A compressed body that cannot be decoded, so it cannot be redacted and is not stored."""


def content_codings(headers: Mapping[str, Iterable[str]]) -> list[str]:
    """The codings a ``Content-Encoding`` header lists, in the order they were applied (identity dropped)."""
    return [
        coding.strip().lower()
        for name, values in headers.items()
        if name.lower() == "content-encoding"
        for value in values
        for coding in str(value).split(",")
        if coding.strip().lower() not in _IDENTITY
    ]


def _inflate(data: bytes, wbits: int) -> bytes:
    decoder = zlib.decompressobj(wbits)
    out = decoder.decompress(data) + decoder.flush()
    if not decoder.eof:
        raise zlib.error("truncated stream")
    return out


def _brotli(data: bytes) -> bytes:
    try:
        import brotli  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        try:
            import brotlicffi as brotli  # type: ignore[import-untyped,import-not-found,no-redef,unused-ignore]
        except ImportError:
            raise UndecodableBody(
                "a body is brotli-compressed (Content-Encoding: br) and no brotli decoder is installed, so it "
                "cannot be redacted and was not stored; install it with `pip install 'groq-vcr[compression]'`."
            ) from None
    return bytes(brotli.decompress(data))


def _zstd(data: bytes) -> bytes:
    try:
        import zstandard
    except ImportError:
        raise UndecodableBody(
            "a body is Zstandard-compressed (Content-Encoding: zstd) and `zstandard` is not installed, so it "
            "cannot be redacted and was not stored; install it with `pip install 'groq-vcr[compression]'`."
        ) from None
    out = bytearray()
    reader = zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True)
    while chunk := reader.read(1 << 20):
        out += chunk
    return bytes(out)


def _decode_one(coding: str, data: bytes) -> bytes:
    if coding in ("gzip", "x-gzip"):
        return _inflate(data, zlib.MAX_WBITS | 16)
    if coding == "deflate":  # RFC 9110 says zlib framing; some servers send raw deflate
        try:
            return _inflate(data, zlib.MAX_WBITS)
        except zlib.error:
            return _inflate(data, -zlib.MAX_WBITS)
    if coding == "br":
        return _brotli(data)
    if coding == "zstd":
        return _zstd(data)
    raise UndecodableBody(f"a body has Content-Encoding {coding!r}, which groq-vcr cannot decode to redact it")


def decode_body(codings: list[str], data: bytes) -> bytes:
    """``data`` with every coding in ``codings`` undone (last applied, first undone).

    Raises :class:`UndecodableBody` when a coding is unknown, its decoder is missing or the data is corrupt.
    """
    for coding in reversed(codings):
        try:
            data = _decode_one(coding, data)
        except UndecodableBody:
            raise
        except Exception as exc:  # zlib.error, brotli.error, zstandard.ZstdError: corrupt data
            raise UndecodableBody(f"a {coding} body could not be decoded ({exc}), so it was not redacted") from None
    return data
