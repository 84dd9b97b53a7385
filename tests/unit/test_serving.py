"""``run_in_thread``: any ASGI app on a real local port in a background thread, stopped when the block ends.

Internal (the local Groq server, ``groq-vcr serve``/``proxy``/``demo`` and the benchmarks use it), so this unit
test imports it from its module; tests of the local Groq server go through ``groq_vcr.testing``.
"""

from __future__ import annotations

import httpx
import pytest

from groq_vcr.servers._serving import run_in_thread
from groq_vcr.testing import FakeGroqConfig, create_app


def test_run_in_thread_stops_and_can_restart() -> None:
    config = FakeGroqConfig()
    ports = []
    for _ in range(3):
        with run_in_thread(create_app(config)) as handle:
            ports.append(handle.port)
            assert handle.base_url == f"http://127.0.0.1:{handle.port}"
            with httpx.Client() as client:
                assert client.get(handle.base_url + "/openai/v1/models").status_code == 401
        assert not handle.running
        handle.stop()  # idempotent
    assert config.count("/models") == 3
    with httpx.Client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{ports[-1]}/openai/v1/models")


def test_port_in_use_is_reported() -> None:
    with (
        run_in_thread(create_app()) as handle,
        pytest.raises(RuntimeError, match=r"Cannot listen on 127\.0\.0\.1"),
        run_in_thread(create_app(), port=handle.port),
    ):
        pass
