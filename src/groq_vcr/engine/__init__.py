"""The engine: capture, matching, replay, sessions, the httpx/httpx2 interception, ``use_cassette``.

Private to groq-vcr: the pytest plugin, the servers and the CLI drive cassettes through these names.
"""

from groq_vcr.engine._capture import (
    collect_headers,
    finish_response,
    request_from_httpx,
    response_head_from_httpx,
    status_text,
)
from groq_vcr.engine._httpx import activate, patch_triples
from groq_vcr.engine._last_run import (
    DEFAULT_LAST_RUN,
    LAST_RUN_CACHE_FOLDER,
    LAST_RUN_NAME,
    LEGACY_LAST_RUN,
    LastRun,
    read_last_run,
    write_last_run,
)
from groq_vcr.engine._mismatch import describe_miss
from groq_vcr.engine._options import LivePacing, RecordMode, RetryAfter, SessionOptions
from groq_vcr.engine._player import Player
from groq_vcr.engine._reply import reply_for
from groq_vcr.engine._session import CassetteSession, PendingRecording
from groq_vcr.engine._stats import SessionStats
from groq_vcr.engine._use_cassette import use_cassette

__all__ = [
    "DEFAULT_LAST_RUN",
    "LAST_RUN_CACHE_FOLDER",
    "LAST_RUN_NAME",
    "LEGACY_LAST_RUN",
    "CassetteSession",
    "LastRun",
    "LivePacing",
    "PendingRecording",
    "Player",
    "RecordMode",
    "RetryAfter",
    "SessionOptions",
    "SessionStats",
    "activate",
    "collect_headers",
    "describe_miss",
    "finish_response",
    "patch_triples",
    "read_last_run",
    "reply_for",
    "request_from_httpx",
    "response_head_from_httpx",
    "status_text",
    "use_cassette",
    "write_last_run",
]
