"""The schema layer: a response's shape, how two shapes differ, drift reports, and verify-mode pairing."""

from groq_vcr.schema._assert import SchemaChecker, assert_schema_matches
from groq_vcr.schema._compare import SchemaChange, SchemaReport, compare
from groq_vcr.schema._drift import (
    WHOLE_CASSETTE,
    CassetteDrift,
    ChangeGroup,
    DriftEntry,
    compare_cassettes,
    interaction_label,
)
from groq_vcr.schema._infer import Schema, schema_of, schema_of_interaction
from groq_vcr.schema._verify import VerifiedInteraction, verify_live

__all__ = [
    "WHOLE_CASSETTE",
    "CassetteDrift",
    "ChangeGroup",
    "DriftEntry",
    "Schema",
    "SchemaChange",
    "SchemaChecker",
    "SchemaReport",
    "VerifiedInteraction",
    "assert_schema_matches",
    "compare",
    "compare_cassettes",
    "interaction_label",
    "schema_of",
    "schema_of_interaction",
    "verify_live",
]
