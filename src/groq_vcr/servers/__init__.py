"""Servers over real HTTP: the replay server, the recording proxy, and the uvicorn runner they share.

The local Groq-compatible server is :mod:`groq_vcr.testing`, which runs on the same runner. They need the
``server`` extra (uvicorn, starlette): without it, importing this package raises an ImportError naming it.
"""

from groq_vcr._extras import SERVERS_PACKAGES, require_extra

require_extra("groq_vcr.servers", SERVERS_PACKAGES)

from groq_vcr.servers._proxy import RecordingProxy, check_upstream
from groq_vcr.servers._replay import ReplayOptions, ServedCassettes, create_replay_app
from groq_vcr.servers._serving import ServerHandle, run_in_thread

__all__ = [
    "RecordingProxy",
    "ReplayOptions",
    "ServedCassettes",
    "ServerHandle",
    "check_upstream",
    "create_replay_app",
    "run_in_thread",
]
