"""The one multipart/form-data parser: where each part is, and what its headers say.

Matching compares parts, redaction edits a part's content in place and ``show`` lists them, so a part is
reported with the offsets of its content in the body it came from, never a copy. ``bytes`` are parsed
through their latin-1 view (one character per byte), so offsets are byte offsets and binary content is never
decoded; header values of a ``bytes`` body are read as UTF-8.

The grammar is RFC 2046's: a delimiter is ``--boundary`` at the start of a line (CRLF or bare LF), followed
only by optional spaces or tabs and a line break, or by ``--`` for the closing delimiter. The line break before
a delimiter belongs to it, not to the content. Text before the first delimiter (preamble) and after the
closing one (epilogue) is ignored; a body that ends without a closing delimiter ends its last part.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = ["MultipartPart", "parse_multipart"]

_BOUNDARY_PARAM_RE = re.compile(r'(?i)(?:^|;)[ \t]*boundary[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))')
_SNIFFED_BOUNDARY_RE = re.compile(r"--([^\r\n]*?[^\s])[ \t]*\r?\n")
_HEADER_RE = re.compile(r"([!-9;-~]+):[ \t]*(.*)")
_PARAM_RE = re.compile(r';[ \t]*([^=;\s]+)[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^;]*))')
_ESCAPED_RE = re.compile(r"\\(.)")
_EXTENDED_VALUE_RE = re.compile(r"([^']*)'[^']*'(.*)")


@dataclass(frozen=True)
class MultipartPart:
    """One part of a multipart body: its headers and where its content is (``body[start:end]``)."""

    headers: tuple[tuple[str, str], ...]
    """The part's header lines as ``(name, value)``, in order, names as written."""
    name: str | None
    """The ``name`` parameter of ``Content-Disposition`` (the form field)."""
    filename: str | None
    """The ``filename`` parameter of ``Content-Disposition`` (present for file uploads)."""
    start: int
    end: int

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def content_type(self) -> str | None:
        """The part's ``Content-Type`` header, or None."""
        return self.header("Content-Type")


def parse_multipart(body: str | bytes, content_type: str | None) -> list[MultipartPart] | None:
    """The parts of a multipart ``body``; offsets are in ``body``'s own units (characters or bytes).

    The boundary is the ``boundary`` parameter of ``content_type``, else sniffed from the body's first line
    (``--boundary``). None when ``content_type`` is not ``multipart/*``, or no boundary or delimiter is found.
    """
    if not (content_type or "").strip().lower().startswith("multipart/"):
        return None
    text = body.decode("latin-1") if isinstance(body, bytes) else body
    boundary = _boundary(content_type or "", text)
    if boundary is None:
        return None
    return _parse(text, boundary, utf8_headers=isinstance(body, bytes))


def _boundary(content_type: str, text: str) -> str | None:
    match = _BOUNDARY_PARAM_RE.search(content_type)
    if match is not None:
        quoted, token = match.groups()
        boundary = _ESCAPED_RE.sub(r"\1", quoted) if quoted is not None else token
        if boundary:
            return boundary
    sniffed = _SNIFFED_BOUNDARY_RE.match(text)
    return sniffed.group(1) if sniffed is not None else None


def _parse(text: str, boundary: str, *, utf8_headers: bool) -> list[MultipartPart] | None:
    # A literal search, then the line-start test: a (?m)^-anchored pattern is far slower on megabyte uploads.
    delimiters = [
        match
        for match in re.finditer(rf"--{re.escape(boundary)}(--)?[ \t]*(?:\r?\n|\Z)", text)
        if match.start() == 0 or text[match.start() - 1] == "\n"
    ]
    if not delimiters:
        return None
    parts: list[MultipartPart] = []
    for index, delimiter in enumerate(delimiters):
        if delimiter.group(1):  # the closing delimiter: what follows is the epilogue
            break
        start = delimiter.end()
        following = delimiters[index + 1].start() if index + 1 < len(delimiters) else len(text)
        end = _strip_line_break(text, start, following)
        parts.append(_part(text, start, end, utf8_headers=utf8_headers))
    return parts


def _strip_line_break(text: str, start: int, end: int) -> int:
    """``end`` without the one line break just before it (it belongs to the next delimiter, or ends the body)."""
    if end - start >= 2 and text.startswith("\r\n", end - 2):
        return end - 2
    if end - start >= 1 and text.startswith("\n", end - 1):
        return end - 1
    return end


def _part(text: str, start: int, end: int, *, utf8_headers: bool) -> MultipartPart:
    """The part in ``text[start:end]``: header lines up to a blank line, then the content.

    Like the standard library's email parser, a line that is not a header also ends the headers (and starts
    the content); a part that is all headers has empty content at its end.
    """
    headers: list[tuple[str, str]] = []
    pos = start
    content_start = end
    while pos < end:
        newline = text.find("\n", pos, end)
        line_end = end if newline < 0 else newline + 1
        line = text[pos:line_end].rstrip("\r\n")
        if not line:
            content_start = line_end
            break
        if utf8_headers:
            line = line.encode("latin-1").decode("utf-8", "replace")
        if line[0] in " \t":  # a folded line continues the previous header
            if headers:
                name, value = headers[-1]
                headers[-1] = (name, f"{value} {line.strip()}")
        elif (header := _HEADER_RE.fullmatch(line)) is not None:
            headers.append((header.group(1), header.group(2).rstrip()))
        else:
            content_start = pos
            break
        pos = line_end
    disposition = next((value for key, value in headers if key.lower() == "content-disposition"), "")
    params = _params(disposition)
    return MultipartPart(
        headers=tuple(headers),
        name=params.get("name"),
        filename=params.get("filename"),
        start=content_start,
        end=end,
    )


def _params(value: str) -> dict[str, str]:
    """A header's parameters by lower-case name, quotes and escapes removed; ``name*=utf-8''…`` (RFC 5987)
    wins over ``name=``."""
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    for match in _PARAM_RE.finditer(value):
        key, quoted, token = match.group(1).lower(), match.group(2), match.group(3)
        raw = _ESCAPED_RE.sub(r"\1", quoted) if quoted is not None else token.strip()
        if key.endswith("*"):
            encoded = _EXTENDED_VALUE_RE.fullmatch(raw)
            if encoded is not None:
                charset, data = encoded.groups()
                with contextlib.suppress(LookupError):  # an unknown charset: the plain parameter stays
                    extended[key[:-1]] = unquote(data, encoding=charset or "utf-8", errors="replace")
        else:
            params.setdefault(key, raw)
    return params | extended
