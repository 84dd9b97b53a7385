"""Servers over real HTTP: the replay server, the recording proxy and the local Groq-compatible server."""

from groq_vcr.servers._proxy import RecordingProxy, check_upstream
from groq_vcr.servers._replay import ReplayOptions, ServedCassettes, create_replay_app
from groq_vcr.servers._serving import ServerHandle, run_in_thread
from groq_vcr.servers.fake_groq import (
    DEFAULT_MODELS,
    FAIL_MODELS,
    FakeGroqConfig,
    FakeGroqServer,
    FakeReply,
    ModelInfo,
    ReceivedRequest,
    ResponseChange,
    create_app,
    make_fake_api_key,
    serve_fake_groq,
    wav_file,
)

__all__ = [
    "DEFAULT_MODELS",
    "FAIL_MODELS",
    "FakeGroqConfig",
    "FakeGroqServer",
    "FakeReply",
    "ModelInfo",
    "ReceivedRequest",
    "RecordingProxy",
    "ReplayOptions",
    "ResponseChange",
    "ServedCassettes",
    "ServerHandle",
    "check_upstream",
    "create_app",
    "create_replay_app",
    "make_fake_api_key",
    "run_in_thread",
    "serve_fake_groq",
    "wav_file",
]
