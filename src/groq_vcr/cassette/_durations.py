"""Go ``time.Duration`` text: parse and format exactly as Go's ``Duration.String()`` does."""

from __future__ import annotations

import re

_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 MICRO SIGN
    "μs": 1_000,  # U+03BC GREEK SMALL LETTER MU
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_PART = re.compile(r"(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)")
_MAX_NS = (1 << 63) - 1


def parse_go_duration(text: str) -> int:
    """Parse Go duration text (``94.900458ms``, ``1m1s``, ``-2s``) into integer nanoseconds.

    Raises ``ValueError`` with a readable reason for anything Go's ``time.ParseDuration`` rejects.
    """
    if not isinstance(text, str):
        raise ValueError(f"a duration must be text like '94.9ms', not {type(text).__name__}")
    s = text
    sign = 1
    if s[:1] in "+-" and s:
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ValueError(f"invalid duration {text!r}")
    total = 0
    pos = 0
    while pos < len(s):
        m = _PART.match(s, pos)
        if not m or m.group(1) in ("", "."):
            raise ValueError(f"invalid duration {text!r} (expected text like '94.900458ms', '1m1s' or '0s')")
        number, unit = m.group(1), m.group(2)
        whole, _, frac = number.partition(".")
        scale = _UNITS_NS[unit]
        value = int(whole or "0") * scale
        if frac:
            value += int(frac) * scale // 10 ** len(frac)
        total += value
        pos = m.end()
    if total > _MAX_NS + (sign < 0):  # Go's minimum, -2562047h47m16.854775808s, is one past the maximum
        raise ValueError(f"invalid duration {text!r} (overflows Go's int64 nanoseconds)")
    return sign * total


def _fmt_frac(value: int, digits: int) -> str:
    """``value`` scaled down by 10**digits, with trailing zeros (and a bare point) removed."""
    whole, frac = divmod(value, 10**digits)
    frac_text = f"{frac:0{digits}d}".rstrip("0")
    return f"{whole}.{frac_text}" if frac_text else str(whole)


def format_go_duration(ns: int) -> str:
    """Format integer nanoseconds the way Go's ``time.Duration.String()`` does."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < 1_000:
        return f"{sign}{u}ns"
    if u < 1_000_000:
        return f"{sign}{_fmt_frac(u, 3)}µs"
    if u < 1_000_000_000:
        return f"{sign}{_fmt_frac(u, 6)}ms"
    hours, rem = divmod(u, 3_600_000_000_000)
    minutes, rem = divmod(rem, 60_000_000_000)
    secs = _fmt_frac(rem, 9)
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"
