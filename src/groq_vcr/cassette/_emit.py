"""Write go-vcr cassettes byte-for-byte as gopkg.in/yaml.v3 does.

A small emitter for the cassette tree (block mappings and sequences, ``[]``/``{}`` when empty) whose scalar
decisions follow yaml.v3: Go's resolver decides whether a string may stay plain (:mod:`._resolve`), then the
libyaml analysis of the text picks plain, single-quoted, double-quoted (Go escapes) or a literal block (chomping
and indentation indicators), and strings that are not UTF-8 become ``!!binary`` base64 in 70-character lines.
Map keys are sorted in yaml.v3's "natural" order.

Deliberate differences from yaml.v3 3.0.1, only where its output does not read back (in Go or in libyaml) as
the same string: a literal block whose text starts with a line break gets the blank line Go forgets; a literal
block starting with a tab gets an indentation indicator; and the indicator is relative to the enclosing
collection (Go always writes 4, wrong inside a sequence item). Cassette fields never hit the last case.
"""

from __future__ import annotations

import base64
import functools
import math
import re
from collections.abc import Mapping
from typing import Any

from groq_vcr.cassette._bulk import gc_paused
from groq_vcr.cassette._durations import format_go_duration
from groq_vcr.cassette._model import Cassette, Request, Response
from groq_vcr.cassette._resolve import can_be_plain

__all__ = ["Fields", "dump_cassette", "dump_document", "natural_sort_key"]

_BEST_INDENT = 4
_BINARY_TAG = "!!binary"
_BASE64_LINE = 70

# ---------------------------------------------------------------------------------------------------------------
# libyaml's scalar analysis (which styles the text allows)
# ---------------------------------------------------------------------------------------------------------------

_BREAK_CHARS = "\n\r\x85\u2028\u2029"
_HAS_BREAK = re.compile("[\n\r\x85\u2028\u2029]")
# Not printable for libyaml (tab is handled apart): everything outside \n, 0x20-0x7E, U+A0-U+D7FF,
# U+E000-U+FFFD minus U+FEFF; characters above U+FFFF count as not printable, as in Go's port.
_SPECIAL = re.compile("[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_SPACE_BREAK = re.compile(" [\n\r\x85\u2028\u2029]")
_BREAK_SPACE = re.compile("[\n\r\x85\u2028\u2029] ")
_BLOCK_INDICATOR = re.compile(r"[ \t\r\n\x85\u2028\u2029\x00]#|:(?:[ \t]|\Z)")
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")


def _block_indicators(text: str) -> bool:
    first = text[0]
    if first in _FIRST_INDICATORS or text.startswith(("---", "...")):
        return True
    followed_by_blank = len(text) == 1 or text[1] in " \t"
    if first in "?-" and followed_by_blank:
        return True
    return _BLOCK_INDICATOR.search(text) is not None


_PLAIN, _SINGLE, _DOUBLE, _LITERAL = "plain", "single", "double", "literal"


def _select_style(text: str, requested: str, simple_key: bool) -> str:
    """libyaml's ``analyze_scalar`` + ``select_scalar_style`` for a block-context scalar."""
    if not text:
        if requested == _LITERAL or (requested == _PLAIN and simple_key):
            return _DOUBLE if requested == _LITERAL else _SINGLE
        return requested
    line_breaks = _HAS_BREAK.search(text) is not None
    special = _SPECIAL.search(text) is not None
    tabs = "\t" in text
    space_break = line_breaks and _SPACE_BREAK.search(text) is not None
    break_space = line_breaks and _BREAK_SPACE.search(text) is not None
    if simple_key and line_breaks:
        return _DOUBLE
    style = requested
    if style == _PLAIN:
        plain_ok = not (line_breaks or special or tabs or text[0] == " " or text[-1] == " " or _block_indicators(text))
        if not plain_ok:
            style = _SINGLE
    if style == _SINGLE and (break_space or space_break or tabs or special):
        style = _DOUBLE
    if style == _LITERAL and (simple_key or text[-1] == " " or space_break or special):
        style = _DOUBLE
    return style


# ---------------------------------------------------------------------------------------------------------------
# Scalar writers
# ---------------------------------------------------------------------------------------------------------------

_SHORT_ESCAPES = {
    0x00: "\\0",
    0x07: "\\a",
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0B: "\\v",
    0x0C: "\\f",
    0x0D: "\\r",
    0x1B: "\\e",
    0x22: '\\"',
    0x5C: "\\\\",
    0x85: "\\N",
    0xA0: "\\_",
    0x2028: "\\L",
    0x2029: "\\P",
}
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\U00010000-\U0010ffff]')


def _escape_char(char: str) -> str:
    code = ord(char)
    short = _SHORT_ESCAPES.get(code)
    if short is not None:
        return short
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _double_quoted(text: str) -> str:
    if text.startswith("\ufeff"):
        # Go's is_bom() looks at the first character whatever the position, so every character gets escaped.
        return '"' + "".join(_escape_char(c) for c in text) + '"'
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _escape_char(m.group()), text) + '"'


_BREAK_RUN_BEFORE_TEXT = re.compile("([\n\r\x85\u2028\u2029]+)(?=[^\n\r\x85\u2028\u2029])")


def _single_quoted(text: str, indent: int) -> str:
    body = text.replace("'", "''")
    if _HAS_BREAK.search(body):
        # Only U+2028/U+2029 get here; libyaml indents the text that follows a break.
        body = _BREAK_RUN_BEFORE_TEXT.sub(lambda m: m.group(1) + " " * indent, body)
    return "'" + body + "'"


_LINE_PIECES = re.compile("([\n\r\x85\u2028\u2029])|([^\n\r\x85\u2028\u2029]+)")


def _literal(text: str, indent: int, parent_indent: int) -> tuple[str, bool]:
    """``|`` block text (after the indicator) and whether it ends open (``+`` chomping).

    The indentation indicator is the content's indentation relative to the enclosing collection. yaml.v3 always
    writes its best indent (4) there, which is the same number for keys at multiples of 4 (every cassette field)
    but wrong inside a sequence item; we write the value that reads back.
    """
    header = "|"
    # yaml.v3 adds the indicator for a leading space or break; a leading tab needs it too, or libyaml (Go's port
    # included) refuses the tab while it is still detecting the indentation.
    if text[0] in " \t" or text[0] in _BREAK_CHARS:
        header += str(indent - max(parent_indent, 0))
    open_ended = False
    if text[-1] not in _BREAK_CHARS:
        header += "-"
    elif len(text) == 1 or text[-2] in _BREAK_CHARS:
        header += "+"
        open_ended = True
    pad = " " * indent
    parts = [header]
    after_break = False
    if text[0] in _BREAK_CHARS:
        # yaml.v3 writes the first break on the header line and so loses it; end the header line first.
        parts.append("\n")
        after_break = True
    for m in _LINE_PIECES.finditer(text):
        brk, run = m.groups()
        if brk is not None:
            parts.append(brk)
            after_break = True
        else:
            parts.append(("" if after_break else "\n") + pad + run)
            after_break = False
    return "".join(parts), open_ended


def _encode_base64(data: bytes) -> str:
    """Go's ``encodeBase64``: one line when short, else 70-character lines each ending in a newline."""
    encoded = base64.b64encode(data).decode("ascii")
    if len(encoded) < _BASE64_LINE:
        return encoded
    return "".join(encoded[i : i + _BASE64_LINE] + "\n" for i in range(0, len(encoded), _BASE64_LINE))


# ---------------------------------------------------------------------------------------------------------------
# Key order
# ---------------------------------------------------------------------------------------------------------------


def _wrap_int64(value: int) -> int:
    """Go's int64 arithmetic: an overflow wraps around."""
    return (value + (1 << 63)) % (1 << 64) - (1 << 63)


def _natural_less(a: str, b: str) -> bool:
    """yaml.v3's ``keyList.Less`` for two string keys."""
    digits = False
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            digits = ca.isdecimal()
            continue
        la, lb = ca.isalpha(), cb.isalpha()
        if la and lb:
            return ca < cb
        if la or lb:
            return la if digits else lb
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdecimal():
            an = _wrap_int64(an * 10 + ord(a[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            bn = _wrap_int64(bn * 10 + ord(b[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _natural_cmp(a: Any, b: Any) -> int:
    a_num = isinstance(a, int | float)  # bool is an int too, as in Go's keyFloat
    b_num = isinstance(b, int | float)
    if a_num and b_num:
        return -1 if a < b else 1 if b < a else 0
    if a_num != b_num or not isinstance(a, str) or not isinstance(b, str):
        # Go orders differing kinds by reflect.Kind: numbers before strings; anything else by text.
        ka, kb = (0 if a_num else 1 if isinstance(a, str) else 2), (0 if b_num else 1 if isinstance(b, str) else 2)
        if ka != kb:
            return -1 if ka < kb else 1
        a, b = str(a), str(b)
    if _natural_less(a, b):
        return -1
    return 1 if _natural_less(b, a) else 0


natural_sort_key = functools.cmp_to_key(_natural_cmp)
"""Sort key giving yaml.v3's "natural" map key order (``a2`` before ``a10``; non-letters before letters)."""

# ---------------------------------------------------------------------------------------------------------------
# The emitter
# ---------------------------------------------------------------------------------------------------------------


class Fields(list[tuple[str, Any]]):
    """An ordered list of (key, value) written as a mapping in this order (a Go struct), never sorted."""


def _increase(indent: int, in_sequence: bool, flow: bool) -> int:
    if indent < 0:
        return _BEST_INDENT if flow else 0
    if in_sequence:
        return indent + 2
    return _BEST_INDENT * ((indent + _BEST_INDENT) // _BEST_INDENT)


class _Writer:
    """Output buffer with the few bits of libyaml emitter state that decide spaces and line breaks."""

    __slots__ = ("column", "indention", "open_ended", "parts", "whitespace")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.column = 0
        self.indention = True
        self.whitespace = True
        self.open_ended = False

    def write_indent(self, indent: int) -> None:
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            self.parts.append("\n")
            self.column = 0
            self.indention = True
        if self.column < indent:
            self.parts.append(" " * (indent - self.column))
            self.column = indent
        self.whitespace = True

    def indicator(self, text: str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) -> None:
        if need_whitespace and not self.whitespace:
            self.parts.append(" ")
            self.column += 1
        self.parts.append(text)
        self.column += len(text)
        self.whitespace = is_whitespace
        self.indention = self.indention and is_indention
        self.open_ended = False

    def text(self, text: str) -> None:
        """A scalar's text on the current line (a space first unless one is already there)."""
        if not self.whitespace:
            self.parts.append(" ")
            self.column += 1
        self.parts.append(text)
        self.column += len(text)
        self.whitespace = False
        self.indention = False


def _scalar_for(value: str | bytes) -> tuple[str, str, str]:
    """(tag, text, requested style) as yaml.v3's ``stringv`` would choose them."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "surrogateescape")
        else:
            if "\n" in value:
                return "", value, _LITERAL
            return "", value, (_PLAIN if value and can_be_plain(value) else _DOUBLE)
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        encoded = _encode_base64(value)
        return _BINARY_TAG, encoded, (_LITERAL if "\n" in encoded else _PLAIN)
    return _scalar_for(text)


@functools.lru_cache(maxsize=16384)
def _short_scalar(value: str, indent: int, in_sequence: bool, simple_key: bool) -> tuple[str, str, bool]:
    """(tag, rendered text, open_ended) for a string; cached because header names and values repeat."""
    tag, text, requested = _scalar_for(value)
    style = _select_style(text, requested, simple_key)
    scalar_indent = _increase(indent, in_sequence, flow=True)
    if style == _PLAIN:
        return tag, text, False
    if style == _SINGLE:
        return tag, _single_quoted(text, scalar_indent), False
    if style == _DOUBLE:
        return tag, _double_quoted(text), False
    rendered, open_ended = _literal(text, scalar_indent, indent)
    return tag, rendered, open_ended


def _emit_string(w: _Writer, value: str | bytes, indent: int, in_sequence: bool, simple_key: bool = False) -> None:
    if isinstance(value, str) and len(value) <= 256:
        tag, rendered, open_ended = _short_scalar(value, indent, in_sequence, simple_key)
    else:
        tag, text, requested = _scalar_for(value)
        style = _select_style(text, requested, simple_key)
        scalar_indent = _increase(indent, in_sequence, flow=True)
        open_ended = False
        if style == _PLAIN:
            rendered = text
        elif style == _SINGLE:
            rendered = _single_quoted(text, scalar_indent)
        elif style == _DOUBLE:
            rendered = _double_quoted(text)
        else:
            rendered, open_ended = _literal(text, scalar_indent, indent)
    if tag:
        w.text(tag)
    if not rendered:
        return
    w.text(rendered)
    if rendered[-1] in _BREAK_CHARS:
        w.column = 0
        w.indention = True
        w.whitespace = True
    w.open_ended = open_ended


_LETTERS_AND_DASHES = re.compile(r"[A-Za-z-]*")


@functools.lru_cache(maxsize=4096)
def _sorted_keys(keys: tuple[Any, ...]) -> list[Any]:
    """Map keys in natural order; cached because every interaction repeats the same header names."""
    if all(type(k) is str and _LETTERS_AND_DASHES.fullmatch(k) for k in keys):
        return sorted(keys)  # without digits or other non-letters than '-', natural order is code point order
    return sorted(keys, key=natural_sort_key)


@functools.lru_cache(maxsize=16384)
def _simple_key_ok(key: Any) -> bool:
    if not isinstance(key, str | bytes):
        return True
    tag, text, _ = _scalar_for(key)
    return len(tag) + len(text.encode("utf-8")) <= 128 and _HAS_BREAK.search(text) is None


def _emit_key(w: _Writer, key: Any, indent: int) -> None:
    w.write_indent(indent)
    if _simple_key_ok(key):
        _emit_node(w, key, indent, False, simple_key=True)
        w.indicator(":", False, False, False)
    else:
        w.indicator("?", True, False, True)
        _emit_node(w, key, indent, False)
        w.write_indent(indent)
        w.indicator(":", True, False, True)


def _emit_node(w: _Writer, node: Any, indent: int, in_sequence: bool, simple_key: bool = False) -> None:
    if isinstance(node, str | bytes):
        _emit_string(w, node, indent, in_sequence, simple_key)
    elif node is True or node is False:
        w.text("true" if node else "false")
    elif isinstance(node, int):
        w.text(str(node))
    elif node is None:
        w.text("null")
    elif isinstance(node, float):
        w.text(_go_float(node))
    elif isinstance(node, Fields):
        inner = _increase(indent, in_sequence, flow=False)
        if not node:
            _empty(w, "{}")
        for key, value in node:
            _emit_key(w, key, inner)
            _emit_node(w, value, inner, False)
    elif isinstance(node, Mapping):
        if not node:
            _empty(w, "{}")
            return
        inner = _increase(indent, in_sequence, flow=False)
        keys = _sorted_keys(tuple(node))
        for key in keys:
            _emit_key(w, key, inner)
            _emit_node(w, node[key], inner, False)
    elif isinstance(node, list | tuple):
        if not node:
            _empty(w, "[]")
            return
        inner = _increase(indent, in_sequence, flow=False)
        for item in node:
            w.write_indent(inner)
            w.indicator("-", True, False, True)
            _emit_node(w, item, inner, True)
    else:
        raise TypeError(f"cannot write a {type(node).__name__} into a cassette")


def _empty(w: _Writer, brackets: str) -> None:
    w.indicator(brackets[0], True, True, False)
    w.indicator(brackets[1], False, False, False)


def _go_float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def dump_document(root: Any, *, explicit_start: bool = True) -> str:
    """Write ``root`` (dicts, :class:`Fields`, lists, str, bytes, int, bool, None) as yaml.v3 + go-vcr would."""
    w = _Writer()
    with gc_paused():  # many short-lived strings, no cycles
        _emit_node(w, root, -1, False)
    if w.column != 0 or not w.indention:
        w.parts.append("\n")
    if w.open_ended:
        w.parts.append("...\n")
    return ("---\n" if explicit_start else "") + "".join(w.parts)


# ---------------------------------------------------------------------------------------------------------------
# Cassette <-> tree
# ---------------------------------------------------------------------------------------------------------------


def _request_tree(r: Request) -> Fields:
    f = Fields([("proto", r.proto), ("proto_major", r.proto_major), ("proto_minor", r.proto_minor)])
    f.append(("content_length", r.content_length))
    if r.transfer_encoding:
        f.append(("transfer_encoding", r.transfer_encoding))
    if r.trailer:
        f.append(("trailer", r.trailer))
    f.append(("host", r.host))
    if r.remote_addr:
        f.append(("remote_addr", r.remote_addr))
    if r.request_uri:
        f.append(("request_uri", r.request_uri))
    if r.body:
        f.append(("body", r.body))
    if r.form:
        f.append(("form", r.form))
    if r.headers:
        f.append(("headers", r.headers))
    f.append(("url", r.url))
    f.append(("method", r.method))
    return f


def _response_tree(r: Response) -> Fields:
    f = Fields([("proto", r.proto), ("proto_major", r.proto_major), ("proto_minor", r.proto_minor)])
    if r.transfer_encoding:
        f.append(("transfer_encoding", r.transfer_encoding))
    if r.trailer:
        f.append(("trailer", r.trailer))
    f.append(("content_length", r.content_length))
    if r.uncompressed:
        f.append(("uncompressed", True))
    f.append(("body", r.body))
    f.append(("headers", r.headers))
    f.append(("status", r.status))
    f.append(("code", r.code))
    f.append(("duration", format_go_duration(r.duration)))
    return f


def dump_cassette(cassette: Cassette) -> str:
    """The exact text go-vcr v4 writes for ``cassette`` (interactions renumbered 0..n-1)."""
    interactions = [
        Fields([("id", i), ("request", _request_tree(it.request)), ("response", _response_tree(it.response))])
        for i, it in enumerate(cassette.interactions)
    ]
    root = Fields([("version", cassette.version), ("interactions", interactions)])
    root.extend((k, v) for k, v in cassette.extra.items() if k not in ("version", "interactions"))
    return dump_document(root)
