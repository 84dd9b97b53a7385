"""Read and write go-vcr cassettes byte-for-byte as gopkg.in/yaml.v3 does.

Writing: a small emitter for the cassette tree (block mappings and sequences, ``[]``/``{}`` when empty) whose
scalar decisions follow yaml.v3: Go's resolver decides whether a string may stay plain (YAML 1.2 core types plus
the YAML 1.1 booleans and base-60 numbers), then the libyaml analysis of the text picks plain, single-quoted,
double-quoted (Go escapes) or a literal block (chomping and indentation indicators), and strings that are not
UTF-8 become ``!!binary`` base64 in 70-character lines. Map keys are sorted in yaml.v3's "natural" order.

Deliberate differences from yaml.v3 3.0.1, only where its output does not read back (in Go or in libyaml) as
the same string: a literal block whose text starts with a line break gets the blank line Go forgets; a literal
block starting with a tab gets an indentation indicator; and the indicator is relative to the enclosing
collection (Go always writes 4, wrong inside a sequence item). Cassette fields never hit the last case.

Reading: PyYAML's libyaml loader (``CSafeLoader``; the pure-Python one when libyaml is missing) with a resolver
limited to what the format needs (decimal integers, ``true``/``false``, null), so every other plain scalar stays
the exact text go-vcr would read. The model is built straight from libyaml's events, each interaction as soon as
it has been read (from a file, in chunks: :func:`load_cassette_stream`), with short strings shared, so loading
peaks well under three times the file's size. Only when something is wrong is the text read whole and the YAML
re-composed to find the line and column to report.
"""

from __future__ import annotations

import base64
import calendar
import contextlib
import functools
import gc
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any

import yaml

from groq_vcr.cassette._durations import format_go_duration, parse_go_duration
from groq_vcr.cassette._model import Body, Cassette, Headers, Interaction, Request, Response
from groq_vcr.errors import CassetteFormatError

__all__ = [
    "dump_cassette",
    "dump_document",
    "load_cassette_stream",
    "load_cassette_text",
    "natural_sort_key",
    "validate_cassette_text",
]

_BEST_INDENT = 4
_BINARY_TAG = "!!binary"
_BASE64_LINE = 70

# ---------------------------------------------------------------------------------------------------------------
# Go's resolver: would yaml.v3 read this plain scalar back as something other than a string?
# ---------------------------------------------------------------------------------------------------------------

# fmt: off
_RESOLVED_WORDS = frozenset({
    "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "<<",
    ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
})
_YAML11_BOOLS = frozenset({
    "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF",
})
# fmt: on
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_GO_INT_BASE0 = re.compile(r"([+-]?)(0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_GO_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?")
_GO_DIGITS = {2: re.compile(r"[+-]?[01]+"), 8: re.compile(r"[+-]?[0-7]+")}
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1
# Go's time.Parse with yaml.v3's layouts; getnum reads one or two digits greedily (hence the possessive {1,2}+).
_TS_DATE = r"([0-9]{4})-([0-9]{1,2}+)-([0-9]{1,2}+)"
_TS_CLOCK = r"([0-9]{1,2}+):([0-9]{1,2}+):([0-9]{1,2}+)(?:[.,][0-9]++)?"
_TS_LAYOUTS = (
    re.compile(_TS_DATE + "[Tt]" + _TS_CLOCK + r"(?:Z|[+-]([0-9]{2}):([0-9]{2}))"),
    re.compile(_TS_DATE + " +" + _TS_CLOCK),
    re.compile(_TS_DATE),
)


def _go_int_in_range(sign: str, value: int) -> bool:
    if sign == "-":
        value = -value
    return _INT64_MIN <= value <= _INT64_MAX or (not sign and 0 <= value <= _UINT64_MAX)


def _go_parse_int_base0(text: str) -> bool:
    """Whether Go's ``strconv.ParseInt(text, 0, 64)`` or ``ParseUint(text, 0, 64)`` accepts ``text``."""
    m = _GO_INT_BASE0.fullmatch(text)
    if not m:
        return False
    digits = m.group(2)
    if len(digits) > 2 and digits[0] == "0" and digits[1] in "bBoOxX":
        value = int(digits[2:], {"b": 2, "o": 8, "x": 16}[digits[1].lower()])
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits[1:], 8)
    else:
        value = int(digits)
    return _go_int_in_range(m.group(1), value)


def _go_parse_int_base(text: str, base: int) -> bool:
    """Whether Go's ``ParseInt``/``ParseUint`` with an explicit ``base`` accepts ``text``."""
    if not _GO_DIGITS[base].fullmatch(text):
        return False
    sign = text[0] if text[0] in "+-" else ""
    return _go_int_in_range(sign, int(text.lstrip("+-"), base))


def _go_timestamp(text: str) -> bool:
    for layout in _TS_LAYOUTS:
        m = layout.fullmatch(text)
        if not m:
            continue
        g = m.groups()
        year, month, day = int(g[0]), int(g[1]), int(g[2])
        if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
            return False
        if len(g) > 3 and (int(g[3]) >= 24 or int(g[4]) >= 60 or int(g[5]) >= 60):
            return False
        return not (len(g) > 6 and g[6] is not None and (int(g[6]) > 24 or int(g[7]) > 60))
    return False


def _finite_float(text: str) -> bool:
    return not math.isinf(float(text.replace("_", "")))


def _go_resolves_to_string(text: str) -> bool:
    """Whether yaml.v3 reads ``text`` written plain back as a string (``resolve`` in Go's resolve.go)."""
    if text in _RESOLVED_WORDS:
        return False
    first = text[0]
    if first == ".":
        return not (_GO_DOT_FLOAT.fullmatch(text) and _finite_float(text))
    if first not in "+-0123456789":
        return True
    if first != "+" and first != "-" and _go_timestamp(text):
        return False
    plain = text.replace("_", "")
    if _go_parse_int_base0(plain):
        return False
    if _YAML_STYLE_FLOAT.fullmatch(plain) and _finite_float(plain):
        return False
    for prefix, base in (("0b", 2), ("0o", 8)):
        if plain.startswith(prefix) and _go_parse_int_base(plain[2:], base):
            return False
        if plain.startswith("-" + prefix) and _go_parse_int_base("-" + plain[3:], base):
            return False
    return True


def _can_be_plain(text: str) -> bool:
    """yaml.v3 ``stringv``: plain is requested only when the text resolves to a string in YAML 1.2 and 1.1."""
    return (
        _go_resolves_to_string(text)
        and not (text[:1] in "+-0123456789" and ":" in text and _BASE60_FLOAT.fullmatch(text))
        and text not in _YAML11_BOOLS
    )


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
    value &= _UINT64_MAX
    return value - (1 << 64) if value > _INT64_MAX else value


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
            return "", value, (_PLAIN if value and _can_be_plain(value) else _DOUBLE)
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
    gc_was_enabled = gc.isenabled()
    gc.disable()  # many short-lived strings, no cycles
    try:
        _emit_node(w, root, -1, False)
    finally:
        if gc_was_enabled:
            gc.enable()
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


# ---------------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------------

_BaseLoader: type[yaml.SafeLoader]
try:
    _BaseLoader = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


class _CassetteLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that resolves only decimal ints, true/false and null; every other plain scalar is text."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level registry


_CassetteLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"-?(?:0|[1-9][0-9]*)\Z"), list("-0123456789")
)
_CassetteLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"(?:true|false)\Z"), list("tf"))
_CassetteLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"(?:~|null|Null|NULL|)\Z"), ["~", "n", "N", ""]
)

Path_ = tuple[Any, ...]


class _Invalid(Exception):
    def __init__(self, path: Path_, problem: str, *, at_key: bool = False) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem
        self.at_key = at_key


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, bytes):
        return "binary data"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _where(path: Path_) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


_BOOL_WORDS = {w: w.lower() in ("y", "yes", "on", "true") for w in _YAML11_BOOLS} | {
    "True": True,
    "TRUE": True,
    "False": False,
    "FALSE": False,
}


def _to_str(value: Any, path: Path_) -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    raise _Invalid(path, f"`{_where(path)}` must be text, found {_describe(value)}")


def _to_int(value: Any, path: Path_) -> int:
    if type(value) is int:
        return value
    if value is None:
        return 0
    raise _Invalid(path, f"`{_where(path)}` must be an integer, found {_describe(value)}")


def _to_bool(value: Any, path: Path_) -> bool:
    if type(value) is bool:
        return value
    if value is None:
        return False
    if type(value) is str and value in _BOOL_WORDS:
        return _BOOL_WORDS[value]
    raise _Invalid(path, f"`{_where(path)}` must be true or false, found {_describe(value)}")


def _to_body(value: Any, path: Path_) -> Body:
    if type(value) is str:
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    return _to_str(value, path)


def _to_str_list(value: Any, path: Path_) -> list[str]:
    if type(value) is list:
        if all(type(v) is str for v in value):
            return value
        return [_to_str(v, (*path, i)) for i, v in enumerate(value)]
    if value is None:
        return []
    raise _Invalid(path, f"`{_where(path)}` must be a list (`- value` lines), found {_describe(value)}")


def _to_headers(value: Any, path: Path_) -> Headers:
    if type(value) is dict:
        if all(type(name) is str for name in value):  # the usual case: keep the loaded mapping, no copy
            for name, values in value.items():
                converted = _to_str_list(values, (*path, name))
                if converted is not values:
                    value[name] = converted
            return value
        out: Headers = {}
        for name, values in value.items():
            key = name if type(name) is str else _to_str(name, (*path, name))
            out[key] = _to_str_list(values, (*path, name))
        return out
    if value is None:
        return {}
    raise _Invalid(path, f"`{_where(path)}` must be a mapping of names to lists of values, found {_describe(value)}")


def _to_duration(value: Any, path: Path_) -> int:
    if value is None:
        return 0
    if type(value) is str:
        try:
            return parse_go_duration(value)
        except ValueError as exc:
            raise _Invalid(path, f"`{_where(path)}` is not a Go duration: {exc}") from None
    raise _Invalid(
        path,
        f"`{_where(path)}` must be Go duration text such as '94.9ms' or '0s', found {_describe(value)}"
        " (go-vcr rejects a bare number)",
    )


_Converter = Callable[[Any, Path_], Any]
_REQUEST_FIELDS: tuple[tuple[str, _Converter, Any], ...] = (
    ("proto", _to_str, ""),
    ("proto_major", _to_int, 0),
    ("proto_minor", _to_int, 0),
    ("content_length", _to_int, 0),
    ("transfer_encoding", _to_str_list, None),
    ("trailer", _to_headers, None),
    ("host", _to_str, ""),
    ("remote_addr", _to_str, ""),
    ("request_uri", _to_str, ""),
    ("body", _to_body, ""),
    ("form", _to_headers, None),
    ("headers", _to_headers, None),
    ("url", _to_str, ""),
    ("method", _to_str, ""),
)
_RESPONSE_FIELDS: tuple[tuple[str, _Converter, Any], ...] = (
    ("proto", _to_str, ""),
    ("proto_major", _to_int, 0),
    ("proto_minor", _to_int, 0),
    ("transfer_encoding", _to_str_list, None),
    ("trailer", _to_headers, None),
    ("content_length", _to_int, 0),
    ("uncompressed", _to_bool, False),
    ("body", _to_body, ""),
    ("headers", _to_headers, None),
    ("status", _to_str, ""),
    ("code", _to_int, 0),
    ("duration", _to_duration, 0),
)
_REQUIRED = {"request": ("url", "method"), "response": ("code",)}


class _Builder:
    """Builds the model from loaded data; raises the first problem, or collects all of them."""

    def __init__(self, collect: bool, *, fresh: bool = False) -> None:
        self.collect = collect
        # Whether every mapping in the data is its own object (the event builder's); PyYAML shares aliased ones,
        # and the model's header mappings must not be shared between interactions.
        self.fresh = fresh
        self.problems: list[_Invalid] = []

    def fail(self, problem: _Invalid) -> None:
        if not self.collect:
            raise problem
        self.problems.append(problem)

    def cassette(self, data: Any) -> Cassette:
        if not isinstance(data, dict):
            raise _Invalid(
                (), f"a cassette must be a YAML mapping with `version: 2` and `interactions`, found {_describe(data)}"
            )
        if "version" not in data:
            self.fail(_Invalid((), "`version` is missing; a go-vcr cassette starts with `version: 2`"))
        else:
            version = data["version"]
            if type(version) is not int or version != 2:
                hint = ""
                if version == 1 and isinstance(data.get("interactions"), list):
                    hint = " (this looks like a vcrpy cassette: convert it with `groq-vcr convert --to v2 FILE`)"
                self.fail(_Invalid(("version",), f"`version` must be the integer 2, found {_describe(version)}{hint}"))
        if "interactions" not in data:
            self.fail(_Invalid((), "`interactions` is missing; write `interactions: []` for an empty cassette"))
        raw = data.get("interactions")
        items: list[Any] = []
        if type(raw) is list:
            items = raw
        elif raw is not None:
            self.fail(_Invalid(("interactions",), f"`interactions` must be a list, found {_describe(raw)}"))
        interactions = []
        for i, item in enumerate(items):
            if type(item) is Interaction:  # built while the YAML was read (``_streamed``)
                interactions.append(item)
                continue
            built = self.interaction(item, ("interactions", i))
            if built is not None:
                interactions.append(built)
        extra = {k: v for k, v in data.items() if k != "version" and k != "interactions"}
        return Cassette(interactions=interactions, extra=extra)

    def interaction(self, item: Any, path: Path_) -> Interaction | None:
        if type(item) is not dict:
            self.fail(_Invalid(path, f"interaction {path[-1]} must be a mapping with `request` and `response`"))
            return None
        parts: dict[str, dict[str, Any]] = {}
        for part in ("request", "response"):
            value = item.get(part)
            if type(value) is dict:
                parts[part] = self.fields(
                    value, (*path, part), _REQUEST_FIELDS if part == "request" else _RESPONSE_FIELDS
                )
            elif part not in item:
                self.fail(_Invalid(path, f"interaction {path[-1]} has no `{part}`"))
            else:
                self.fail(
                    _Invalid((*path, part), f"`{_where((*path, part))}` must be a mapping, found {_describe(value)}")
                )
        if len(parts) < 2:
            return None
        raw_id = item.get("id", path[-1])
        return Interaction(
            request=Request(**parts["request"]),
            response=Response(**parts["response"]),
            id=raw_id if type(raw_id) is int else path[-1],
        )

    def fields(
        self, data: dict[str, Any], path: Path_, spec: tuple[tuple[str, _Converter, Any], ...]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, convert, default in spec:
            if name in data:
                value = data[name]
                if type(value) is dict and not self.fresh:
                    value = dict(value)
                try:
                    out[name] = convert(value, (*path, name))
                    continue
                except _Invalid as exc:
                    self.fail(exc)
            out[name] = ({} if convert is _to_headers else []) if default is None else default
        for name in _REQUIRED[path[-1]]:
            if name not in data:
                self.fail(_Invalid(path, f"`{_where(path)}` has no `{name}`"))
        return out


def _yaml_error(exc: yaml.YAMLError) -> CassetteFormatError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.context}, {exc.problem}"
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        return CassetteFormatError(f"YAML syntax error: {problem}", line=line, column=column)
    if isinstance(exc, yaml.reader.ReaderError):
        return CassetteFormatError(f"the file holds a character YAML does not allow: {exc}")
    return CassetteFormatError(f"YAML error: {exc}")


MAX_NESTING = 1000
"""Deepest nesting of mappings and sequences read. libyaml's composer recurses in C: far deeper documents (tens of
thousands of ``[``) crash the process, so they are refused before PyYAML composes them."""


def nesting_error(text: str, limit: int = MAX_NESTING) -> CassetteFormatError | None:
    """A :class:`CassetteFormatError` when ``text`` nests collections deeper than ``limit``, else None.

    Scans libyaml's events, which does not recurse; text that is not YAML gives None (the loader reports it).
    """
    loader = _CassetteLoader(text)
    depth = 0
    try:
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > limit:
                    return _too_deep(event.start_mark, limit)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
            elif event is None or isinstance(event, yaml.StreamEndEvent):
                return None
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def _too_deep(mark: Any, limit: int = MAX_NESTING) -> CassetteFormatError:
    return CassetteFormatError(
        f"mappings and lists are nested more than {limit} levels deep here; no cassette or request file needs "
        "that: the file is damaged or not what it claims to be",
        line=mark.line + 1 if mark is not None else None,
        column=mark.column + 1 if mark is not None else None,
    )


class _Unusual(Exception):
    """The document uses something the event builder leaves to PyYAML (anchors, aliases, other tags...)."""


_STR_TAGS = frozenset({None, "!", "tag:yaml.org,2002:str"})
_NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})
_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_NO_KEY = object()


_SHARED_MAX_LEN = 200
"""Scalars up to this length (header names and values, protos, statuses) are shared: one object per text."""

_Source = str | bytes | IO[bytes]
_OnInteraction = Callable[[Any, int], Any]


def _build_from_events(source: _Source, on_interaction: _OnInteraction | None = None) -> Any:
    """Build the document straight from libyaml's events, without PyYAML's node graph and constructors.

    Gives what ``yaml.load(source, Loader=_CassetteLoader)`` gives (equal values), about three times faster and
    in far less memory: ``source`` may be a binary file, read in libyaml-sized chunks; short strings are shared
    (a cassette repeats the same header names and values thousands of times); lists get their exact size; and
    ``on_interaction(item, index)``, when given, replaces each item of the top-level ``interactions`` list as
    soon as it is complete, so the whole tree of plain mappings never exists at once. Raises :class:`_Unusual`
    for documents using anchors, aliases, tags other than str/binary/map/seq, non-scalar keys or several
    documents, which then go the standard way.
    """
    scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    shared: dict[str, str] = {}
    share = shared.setdefault
    loader = _CassetteLoader(source)
    try:
        get = loader.get_event
        get()  # stream start
        if isinstance(get(), yaml.StreamEndEvent):
            return None
        root: Any = None
        # For each open collection: (its parent, None at the document level; where it sits in the parent).
        stack: list[tuple[Any, Any]] = []
        top: Any = None  # the open mapping or sequence, None at the document level
        key: Any = _NO_KEY  # the key waiting for its value in ``top`` when it is a mapping
        while True:
            event = get()
            kind = type(event)
            value: Any
            if kind is scalar_event:
                tag = event.tag
                raw = event.value
                if event.anchor is not None:
                    raise _Unusual
                if tag is None and event.implicit[0]:
                    if raw in _NULL_WORDS:
                        value = None
                    elif raw == "true" or raw == "false":
                        value = raw == "true"
                    elif raw[0] in "-0123456789" and _PLAIN_INT.match(raw):
                        value = int(raw)
                    else:
                        value = share(raw, raw) if len(raw) <= _SHARED_MAX_LEN else raw
                elif tag in _STR_TAGS:
                    value = share(raw, raw) if len(raw) <= _SHARED_MAX_LEN else raw
                elif tag == "tag:yaml.org,2002:binary":
                    try:
                        value = base64.decodebytes(raw.encode("ascii"))
                    except (ValueError, UnicodeError):
                        raise _Unusual from None  # PyYAML's constructor reports it with its line
                else:
                    raise _Unusual
            elif kind is mapping_start:
                if event.anchor is not None or event.tag not in (None, "tag:yaml.org,2002:map"):
                    raise _Unusual
                value = {}
            elif kind is sequence_start:
                if event.anchor is not None or event.tag not in (None, "tag:yaml.org,2002:seq"):
                    raise _Unusual
                value = []
            elif kind is mapping_end or kind is sequence_end:
                done = top
                top, slot = stack.pop()
                key = _NO_KEY
                if kind is sequence_end:
                    done = done[:]  # built by appends, it has spare room; the copy has none
                elif (
                    on_interaction is not None
                    and len(stack) == 2
                    and stack[1][1] == "interactions"
                    and stack[0][0] is None
                    and type(stack[1][0]) is dict
                ):
                    done = on_interaction(done, slot)
                else:
                    continue
                if top is None:
                    root = done
                else:
                    top[slot] = done
                continue
            elif kind is yaml.DocumentEndEvent:
                break
            else:
                raise _Unusual
            if top is None:
                root = value
                slot = None
            elif type(top) is list:
                slot = len(top)
                top.append(value)
            elif key is _NO_KEY:
                if type(value) is dict or type(value) is list:
                    raise _Unusual
                key = value
                continue
            else:
                top[key] = value
                slot, key = key, _NO_KEY
            if type(value) is dict or type(value) is list:
                stack.append((top, slot))
                top, key = value, _NO_KEY
                if len(stack) > MAX_NESTING:  # stop now: libyaml's parser is quadratic in the depth
                    raise _too_deep(event.start_mark)
        if not isinstance(get(), yaml.StreamEndEvent):
            raise _Unusual  # several documents: PyYAML reports it
        return root
    finally:
        loader.dispose()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Building a big acyclic tree: the cyclic collector would run over and over and find nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse(text: str) -> Any:
    with gc_paused():
        try:
            try:
                return _build_from_events(text)
            except _Unusual:
                too_deep = nesting_error(text)
                if too_deep is not None:
                    raise too_deep from None
                return yaml.load(text, Loader=_CassetteLoader)
        except yaml.YAMLError as exc:
            raise _yaml_error(exc) from None
        except (ValueError, TypeError, UnicodeError) as exc:  # a constructor choking on a value (e.g. bad base64)
            raise CassetteFormatError(f"a value cannot be read: {exc}") from None


def _streamed(source: _Source) -> Cassette:
    """The cassette in ``source``, each interaction built as soon as libyaml has read it.

    Raises :class:`_Unusual`, :class:`_Invalid`, or YAML/value errors; callers then load the text the standard
    way, which reports the problem (and keeps the order in which problems are reported).
    """
    builder = _Builder(collect=False, fresh=True)
    failed = False

    def on_interaction(item: Any, index: int) -> Any:
        nonlocal failed
        if failed:
            return item
        try:
            return builder.interaction(item, ("interactions", index))
        except _Invalid:
            failed = True  # left as it is: Builder.cassette meets it in order and raises
            return item

    with gc_paused():
        return builder.cassette(_build_from_events(source, on_interaction))


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def load_cassette_stream(stream: IO[bytes], text: Callable[[], str]) -> Cassette:
    """Parse a cassette from a binary file, reading it in chunks: its text is never held in memory.

    ``text`` returns the whole text; it is called only when something is wrong or unusual (a problem to report
    with its line, a document using anchors...), and the result is then exactly :func:`load_cassette_text`'s,
    errors included. Call it as ``load_cassette_stream(handle, lambda: path.read_text())`` from a file opened
    with ``open(path, "rb")``.
    """
    if stream.read(2) in _UTF16_BOMS:  # libyaml would read UTF-16; a cassette must be UTF-8
        return load_cassette_text(text())
    stream.seek(0)
    try:
        return _streamed(stream)
    except (_Unusual, _Invalid, yaml.YAMLError, ValueError, TypeError, UnicodeError):
        pass
    return load_cassette_text(text())


def _node_at(text: str, path: Path_) -> yaml.Node | None:
    """The YAML node at ``path`` (keys and list indexes), by composing the document; None if not found."""
    if nesting_error(text) is not None:
        return None
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=_CassetteLoader)
    except yaml.YAMLError:
        return None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            wanted = str(step).lower() if isinstance(step, bool) else str(step)
            node = next((v for k, v in reversed(node.value) if k.value == wanted), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return None
    return node


def _located(text: str, problems: Iterable[_Invalid]) -> Iterator[CassetteFormatError]:
    for problem in problems:
        node = _node_at(text, problem.path)
        if node is None:
            yield CassetteFormatError(problem.problem)
        else:
            yield CassetteFormatError(problem.problem, line=node.start_mark.line + 1, column=node.start_mark.column + 1)


def load_cassette_text(text: str) -> Cassette:
    """Parse cassette text (any YAML layout go-vcr can read) into the model.

    Raises :class:`CassetteFormatError` (without a path; callers attach it) for YAML syntax errors and for
    values of the wrong type, with the line and column of the offending value.
    """
    try:
        return _streamed(text)
    except (_Unusual, _Invalid, yaml.YAMLError, ValueError, TypeError, UnicodeError):
        pass  # load it again the standard way, which reports the problem in order and with its line
    data = _parse(text)
    try:
        return _Builder(collect=False).cassette(data)
    except _Invalid as problem:
        raise next(_located(text, [problem])) from None


def validate_cassette_text(text: str) -> list[CassetteFormatError]:
    """Every problem in cassette text (empty when it loads), each with its line and column when known."""
    try:
        data = _parse(text)
    except CassetteFormatError as exc:
        return [exc]
    builder = _Builder(collect=True)
    try:
        builder.cassette(data)
    except _Invalid as problem:
        builder.problems.append(problem)
    return list(_located(text, builder.problems))
