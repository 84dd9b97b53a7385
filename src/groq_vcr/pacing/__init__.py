"""Rate limits: Groq's ``x-ratelimit-*`` headers, and a machine's share of an organisation's limits.

:func:`parse_rate_limit_headers` reads the headers; :class:`SharedBudget` paces live requests so that N
machines recording at once (each with its share, ``1/N``) stay within the organisation's limits, with the
processes of one machine (pytest-xdist workers) drawing on one budget. ``groq-vcr record`` and the pytest
plugin (``--groq-vcr-rate-share``) both use it.
"""

from groq_vcr.pacing._budget import BUDGET_DIR_ENV, GUARD_S, SharedBudget, origin_of
from groq_vcr.pacing._headers import RateLimitState, parse_rate_limit_headers, parse_reset
from groq_vcr.pacing._share import parse_share
from groq_vcr.pacing._usage import tokens_used

__all__ = [
    "BUDGET_DIR_ENV",
    "GUARD_S",
    "RateLimitState",
    "SharedBudget",
    "origin_of",
    "parse_rate_limit_headers",
    "parse_reset",
    "parse_share",
    "tokens_used",
]
