"""The cassette layer: the go-vcr v2 model, its YAML (byte-exact), files on disk, and what a recorded body holds.

Everything above this layer (redaction, schema, engine, servers, CLI) reaches cassettes through these names.
"""

from groq_vcr.cassette._age import CassetteAge, cassette_age, format_age, recorded_at
from groq_vcr.cassette._cache import cached_load, clear_cache
from groq_vcr.cassette._durations import format_go_duration, parse_go_duration
from groq_vcr.cassette._emit import dump_cassette
from groq_vcr.cassette._guard import structure_error
from groq_vcr.cassette._identity import (
    Masker,
    Probe,
    RequestKey,
    body_digest,
    canonical_body,
    header_tag,
    mask_secrets,
    normalise_url,
    probe,
    probe_recorded,
)
from groq_vcr.cassette._load import nesting_error, validate_cassette_text
from groq_vcr.cassette._model import (
    Body,
    Cassette,
    Headers,
    Interaction,
    Request,
    Response,
    body_text_or_bytes,
    canonical_header_name,
    response_content_length,
)
from groq_vcr.cassette._multipart import MultipartPart, parse_multipart
from groq_vcr.cassette._reassemble import reassemble
from groq_vcr.cassette._sse import SSEEvent, parse_events, parse_stream, split_events
from groq_vcr.cassette._storage import (
    file_stamp,
    find_cassette_files,
    load_cassette,
    lock_path,
    parse_cassette,
    read_text,
    save_cassette,
    save_error,
    update_cassette,
    write_atomic,
)
from groq_vcr.cassette._stream_summary import StreamSummary
from groq_vcr.cassette._vcrpy import GO_VCR, MISSING, VCRPY, cassette_kind, dump_v1, load_any, load_v1

__all__ = [
    "GO_VCR",
    "MISSING",
    "VCRPY",
    "Body",
    "Cassette",
    "CassetteAge",
    "Headers",
    "Interaction",
    "Masker",
    "MultipartPart",
    "Probe",
    "Request",
    "RequestKey",
    "Response",
    "SSEEvent",
    "StreamSummary",
    "body_digest",
    "body_text_or_bytes",
    "cached_load",
    "canonical_body",
    "canonical_header_name",
    "cassette_age",
    "cassette_kind",
    "clear_cache",
    "dump_cassette",
    "dump_v1",
    "file_stamp",
    "find_cassette_files",
    "format_age",
    "format_go_duration",
    "header_tag",
    "load_any",
    "load_cassette",
    "load_v1",
    "lock_path",
    "mask_secrets",
    "nesting_error",
    "normalise_url",
    "parse_cassette",
    "parse_events",
    "parse_go_duration",
    "parse_multipart",
    "parse_stream",
    "probe",
    "probe_recorded",
    "read_text",
    "reassemble",
    "recorded_at",
    "response_content_length",
    "save_cassette",
    "save_error",
    "split_events",
    "structure_error",
    "update_cassette",
    "validate_cassette_text",
    "write_atomic",
]
