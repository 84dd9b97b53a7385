"""Durations for people: ``waiting 2.0s``, ``resets in 10m``, never ``1.999946207s`` or ``9m59.999951859s``.

Cassettes keep Go's exact duration text (:func:`~groq_vcr.cassette.format_go_duration`); what the CLI prints
is rounded to what a reader can use.
"""

from __future__ import annotations

import re

from groq_vcr.cassette import parse_go_duration

__all__ = ["human_duration", "humanize_durations"]

# A Go duration with a unit: 2m59.56s, 7.66s, 130ms, 1h0m0s, 9m59.999951859s (not a bare number, not 70b).
_GO_DURATION = re.compile(r"(?<![\w.])(?=\d)(?:\d+h)?(?:\d+m(?!s))?(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s))?(?![\w.])")


def human_duration(seconds: float) -> str:
    """``seconds`` rounded for a reader: ``50ms``, ``0.3s``, ``2.0s``, ``42s``, ``2m30s``, ``10m``, ``1h5m``
    (seconds are dropped from 10 minutes on, minutes from a day on)."""
    if seconds <= 0:
        return "0s"
    if seconds < 0.1:
        return f"{max(1, round(seconds * 1000))}ms"
    if seconds < 9.95:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    hours, minutes = divmod(round(seconds / 60), 60)
    if hours >= 24:
        return f"{round(seconds / 3600)}h"
    if not hours:
        return f"{minutes}m"
    return f"{hours}h{minutes}m" if minutes else f"{hours}h"


_NOISE = re.compile(r"\.\d{3,}|[hm]0s$|h0m")
"""Computed durations: to the micro/nanosecond (``1.999946207s``), or with Go's empty units (``10m0s``, ``1h0m0s``)."""


def humanize_durations(text: str) -> str:
    """``text`` with every computed Go duration (``9m59.999951859s``, ``10m0s``) written as :func:`human_duration`
    does; values a person or a header wrote (``7.66s``, ``60s``, ``2m59.56s``) stay as they are."""

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        if not _NOISE.search(found):
            return found
        try:
            return human_duration(parse_go_duration(found) / 1e9)
        except ValueError:
            return found

    return _GO_DURATION.sub(replace, text)
