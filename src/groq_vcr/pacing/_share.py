"""A rate share as users write it: ``1/4``, ``0.25`` or ``25%``."""

from __future__ import annotations

from fractions import Fraction

from groq_vcr.errors import InputError

__all__ = ["parse_share"]


def parse_share(text: str, *, where: str = "--groq-vcr-rate-share") -> Fraction:
    """``1/4`` -> Fraction(1, 4); an :class:`~groq_vcr.errors.InputError` naming ``where`` unless it is in (0, 1]."""
    value = text.strip()
    try:
        share = Fraction(value[:-1]) / 100 if value.endswith("%") else Fraction(value)
    except (ValueError, ZeroDivisionError):
        share = Fraction(-1)
    if not 0 < share <= 1:
        raise InputError(
            f"{where} {text!r} is not a share of the rate limits: write a fraction such as 1/4, 0.25 or 25%"
        )
    return share
