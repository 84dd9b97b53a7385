"""The public API: ``groq_vcr.__all__`` and the two documented submodules, pinned; importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import groq_vcr
from groq_vcr import faults, testing

PUBLIC = [
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

TESTING = [
    "DEFAULT_MODELS",
    "FAIL_MODELS",
    "FakeGroqConfig",
    "FakeGroqServer",
    "FakeReply",
    "ModelInfo",
    "ReceivedRequest",
    "ResponseChange",
    "create_app",
    "make_fake_api_key",
    "serve_fake_groq",
    "wav_file",
]


def test_public_names_are_pinned() -> None:
    assert sorted(groq_vcr.__all__) == PUBLIC


FAULTS = [
    "BodyAlteration",
    "CutStream",
    "Delay",
    "DropConnection",
    "ErrorFrame",
    "ErrorResponse",
    "FAULT_BUILDERS",
    "Fault",
    "FaultArgumentError",
    "FaultHit",
    "FaultPlan",
    "build_fault",
    "capacity_exceeded",
    "cut_stream",
    "delay",
    "drop_connection",
    "error_response",
    "invalid_api_key",
    "rate_limited",
    "server_error",
    "stream_error",
]


def test_faults_names_are_pinned() -> None:
    assert sorted(faults.__all__) == FAULTS


def test_testing_names_are_pinned() -> None:
    """The local Groq server's face; ``run_in_thread`` (any ASGI app) stays internal on purpose."""
    assert sorted(testing.__all__) == TESTING


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(groq_vcr, name)
    assert value is not None
    assert name in dir(groq_vcr)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        _ = groq_vcr.nothing_here  # type: ignore[attr-defined]


@pytest.mark.parametrize("module", [faults, testing], ids=lambda m: m.__name__)
def test_documented_submodules_export_what_they_define(module: object) -> None:
    names = module.__all__  # type: ignore[attr-defined]
    assert len(names) == len(set(names))
    for name in names:
        assert getattr(module, name) is not None


def test_importing_the_package_loads_no_layer() -> None:
    """pytest imports ``groq_vcr`` in every run (the plugin's entry point); names load on first use."""
    code = (
        "import sys, groq_vcr\n"
        "LAYERS = tuple(f'groq_vcr.{layer}' for layer in ('cassette', 'engine', 'redaction', 'schema', "
        "'pytest_plugin', 'servers', 'testing', 'faults', 'cli', 'errors', '_settings'))\n"
        "print(sorted(m for m in sys.modules if m.startswith(LAYERS) or m.split('.')[0] in "
        "('vcr', 'deepdiff', 'starlette', 'uvicorn', 'yaml', 'httpx', 'filelock')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
