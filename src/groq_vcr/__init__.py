"""groq-vcr: record/replay cassette testing for code that calls Groq's OpenAI-compatible API.

This namespace is the public API (``__all__``), with two documented submodules: :mod:`groq_vcr.faults`
(fault builders) and :mod:`groq_vcr.testing` (the local Groq-compatible server). Names are imported on first
use, because pytest imports this package in every run through the plugin's entry point.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from groq_vcr._version import __version__

# public name -> the module that defines it
_HOMES: dict[str, str] = {
    **dict.fromkeys(
        (
            "ApiUnreachableError",
            "CassetteExpiredError",
            "CassetteExpiredWarning",
            "CassetteFormatError",
            "CassetteSaveError",
            "FaultArgumentError",
            "GroqVcrError",
            "InputError",
            "NoMatchError",
            "RateLimitExhaustedError",
            "SchemaDriftError",
            "SecretFoundError",
        ),
        "groq_vcr.errors",
    ),
    **dict.fromkeys(
        (
            "Cassette",
            "Interaction",
            "Request",
            "Response",
            "SSEEvent",
            "StreamSummary",
            "dump_cassette",
            "find_cassette_files",
            "load_cassette",
            "parse_cassette",
            "parse_events",
            "reassemble",
            "save_cassette",
        ),
        "groq_vcr.cassette",
    ),
    **dict.fromkeys(("CassetteSession", "RecordMode", "SessionStats", "use_cassette"), "groq_vcr.engine"),
    **dict.fromkeys(("Finding", "RedactionRules", "Redactor"), "groq_vcr.redaction"),
    **dict.fromkeys(
        (
            "CassetteDrift",
            "Schema",
            "SchemaChange",
            "SchemaChecker",
            "SchemaReport",
            "assert_schema_matches",
            "compare",
            "compare_cassettes",
            "schema_of",
        ),
        "groq_vcr.schema",
    ),
}

__all__ = [
    "ApiUnreachableError",
    "Cassette",
    "CassetteDrift",
    "CassetteExpiredError",
    "CassetteExpiredWarning",
    "CassetteFormatError",
    "CassetteSaveError",
    "CassetteSession",
    "FaultArgumentError",
    "Finding",
    "GroqVcrError",
    "InputError",
    "Interaction",
    "NoMatchError",
    "RateLimitExhaustedError",
    "RecordMode",
    "RedactionRules",
    "Redactor",
    "Request",
    "Response",
    "SSEEvent",
    "Schema",
    "SchemaChange",
    "SchemaChecker",
    "SchemaDriftError",
    "SchemaReport",
    "SecretFoundError",
    "SessionStats",
    "StreamSummary",
    "__version__",
    "assert_schema_matches",
    "compare",
    "compare_cassettes",
    "dump_cassette",
    "find_cassette_files",
    "load_cassette",
    "parse_cassette",
    "parse_events",
    "reassemble",
    "save_cassette",
    "schema_of",
    "use_cassette",
]

if TYPE_CHECKING:
    from groq_vcr.cassette import (
        Cassette,
        Interaction,
        Request,
        Response,
        SSEEvent,
        StreamSummary,
        dump_cassette,
        find_cassette_files,
        load_cassette,
        parse_cassette,
        parse_events,
        reassemble,
        save_cassette,
    )
    from groq_vcr.engine import CassetteSession, RecordMode, SessionStats, use_cassette
    from groq_vcr.errors import (
        ApiUnreachableError,
        CassetteExpiredError,
        CassetteExpiredWarning,
        CassetteFormatError,
        CassetteSaveError,
        FaultArgumentError,
        GroqVcrError,
        InputError,
        NoMatchError,
        RateLimitExhaustedError,
        SchemaDriftError,
        SecretFoundError,
    )
    from groq_vcr.redaction import Finding, RedactionRules, Redactor
    from groq_vcr.schema import (
        CassetteDrift,
        Schema,
        SchemaChange,
        SchemaChecker,
        SchemaReport,
        assert_schema_matches,
        compare,
        compare_cassettes,
        schema_of,
    )


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'groq_vcr' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next access does not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
