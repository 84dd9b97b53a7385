"""How gopkg.in/yaml.v3 resolves plain scalars, which both sides of the cassette YAML need.

The writer may leave a string plain only when Go reads it back as that string (:func:`can_be_plain`); the
loader reads a boolean field the way yaml.v3 decodes into a Go ``bool`` (:data:`GO_BOOL_WORDS`).
"""

from __future__ import annotations

import calendar
import math
import re

__all__ = ["GO_BOOL_WORDS", "can_be_plain"]

# fmt: off
_RESOLVED_WORDS = frozenset({
    "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
    ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
})
_YAML11_BOOLS = frozenset({
    "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF",
})
# fmt: on
GO_BOOL_WORDS = {w: w.lower() in ("y", "yes", "on", "true") for w in _YAML11_BOOLS} | {
    "True": True,
    "TRUE": True,
    "False": False,
    "FALSE": False,
}
"""Plain words yaml.v3 decodes into a Go ``bool`` besides ``true``/``false``: YAML 1.1's, kept for compatibility."""

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
    """Whether yaml.v3 reads ``text`` written plain back as a string (``resolve`` in Go's resolve.go).

    ``<<`` is not in the word list: resolve.go looks a word up only when its first character is in its hint
    table, and ``<`` is not, so yaml.v3 resolves ``<<`` to a string and writes it plain.
    """
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


def can_be_plain(text: str) -> bool:
    """yaml.v3 ``stringv``: plain is requested only when the text resolves to a string in YAML 1.2 and 1.1."""
    return (
        _go_resolves_to_string(text)
        and not (text[:1] in "+-0123456789" and ":" in text and _BASE60_FLOAT.fullmatch(text))
        and text not in _YAML11_BOOLS
    )
