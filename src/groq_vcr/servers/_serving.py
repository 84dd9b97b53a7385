"""Run an ASGI app with uvicorn in a background thread on a real local port (tests, the demo, CI recordings)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.types import ASGIApp

__all__ = ["ServerHandle", "run_in_thread"]

_STOP_GRACE_SECONDS = 2.0
_TICK_SECONDS = 0.01


class _QuickServer(uvicorn.Server):
    """uvicorn's server, checking for ``should_exit`` every 10 ms instead of 100 ms (tests stop it often)."""

    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864_000
            await asyncio.sleep(_TICK_SECONDS)
            # on_tick refreshes the Date header when counter % 10 == 0: keep that about once a second.
            should_exit = await self.on_tick(counter if counter % 100 == 0 else 1)


@dataclass
class ServerHandle:
    """A running uvicorn server: where it listens, and how to stop it."""

    host: str
    port: int
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def base_url(self) -> str:
        """``http://host:port`` with no trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        """True while the server thread is alive."""
        return self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server and wait for its thread; idempotent.

        Open connections get a short grace period, then uvicorn is told to exit without waiting for them.
        """
        if not self._thread.is_alive():
            return
        self._server.should_exit = True
        self._thread.join(min(timeout, _STOP_GRACE_SECONDS))
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError(
                f"The uvicorn server on {self.base_url} did not stop within {timeout + _STOP_GRACE_SECONDS:.0f}s; "
                "a request handler is probably blocked (e.g. a stream waiting on a gate that was never set)."
            )


@contextmanager
def run_in_thread(
    app: ASGIApp, host: str = "127.0.0.1", port: int = 0, *, startup_timeout: float = 10.0
) -> Iterator[ServerHandle]:
    """Serve ``app`` with uvicorn in a daemon thread; yield a :class:`ServerHandle` once it accepts connections.

    ``port=0`` picks a free port (the handle reports the real one). Access logs are off. The server is
    stopped when the block exits, so it is safe to use many times per test session.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RuntimeError(
            f"Cannot listen on {host}:{port} ({exc}); pass port=0 to pick a free port or free that one."
        ) from exc
    real_port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        host=host,
        port=real_port,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        server_header=False,
        timeout_graceful_shutdown=1,
    )
    server = _QuickServer(config)
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the starting thread, never lost in this one
            failure.append(exc)

    thread = threading.Thread(target=serve, name=f"uvicorn-{host}:{real_port}", daemon=True)
    handle = ServerHandle(host=host, port=real_port, _server=server, _thread=thread)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                reason = f": {failure[0]!r}" if failure else ""
                raise RuntimeError(f"The uvicorn server on {handle.base_url} exited during startup{reason}.")
            if time.monotonic() > deadline:
                raise RuntimeError(f"The uvicorn server on {handle.base_url} did not start within {startup_timeout}s.")
            time.sleep(0.005)
        yield handle
    finally:
        try:
            handle.stop()
        finally:
            sock.close()
