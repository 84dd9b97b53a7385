"""Servers over real HTTP: the replay server, the recording proxy and the local Groq-compatible server."""

from groq_vcr.servers._fake_groq import FakeGroqConfig, FakeGroqServer, make_fake_api_key, serve_fake_groq, wav_file
from groq_vcr.servers._proxy import RecordingProxy, check_upstream
from groq_vcr.servers._replay import ReplayOptions, create_replay_app
from groq_vcr.servers._serving import ServerHandle, run_in_thread

__all__ = [
    "FakeGroqConfig",
    "FakeGroqServer",
    "RecordingProxy",
    "ReplayOptions",
    "ServerHandle",
    "check_upstream",
    "create_replay_app",
    "make_fake_api_key",
    "run_in_thread",
    "serve_fake_groq",
    "wav_file",
]
