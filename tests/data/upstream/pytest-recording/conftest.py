"""Not part of pytest-recording's sdist (see SOURCE.md): the harness groq-vcr runs the upstream suite in.

Two jobs, neither of which changes what an upstream test asserts:

- **Nothing beyond loopback.** An audit hook refuses every name resolution and every connection from Python
  sockets to anything but the loopback range (127.0.0.0/8, ::1, ``localhost``), and appends each refusal to the
  file named by ``GROQ_VCR_UPSTREAM_NETLOG`` (when set), so that the caller can tell that none was tried.
  The hook only acts after pytest-recording's own guard has let a call through, so the tests of that guard see
  their own ``RuntimeError`` as before. pycurl's libcurl does its own networking and is not seen here: the
  pycurl tests talk to pytest-httpbin on 127.0.0.1 or are stopped by pytest-recording's guard before libcurl
  resolves anything.
- **``-p no:groq_vcr`` reaches the inner runs.** Most upstream tests run pytest again in this process through
  ``pytester``/``testdir``, which starts from the installed entry points and clears ``PYTEST_ADDOPTS``. When
  this run has groq-vcr blocked (``-p no:groq_vcr``), each test's call phase gets
  ``PYTEST_ADDOPTS=-p no:groq_vcr`` so that the inner runs have it blocked too: the baseline is pytest-recording
  as if groq-vcr were not installed.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Generator

import pytest

NETLOG_ENV = "GROQ_VCR_UPSTREAM_NETLOG"


def _is_loopback(host: object) -> bool:
    if host is None or host == "":
        return True  # getaddrinfo(None, ...) / bind(("", port)): this machine's own addresses
    if isinstance(host, (bytes, bytearray)):
        host = bytes(host).decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _refuse(event: str, host: object) -> None:
    message = f"groq-vcr's upstream harness: {event} to {host!r} refused (tests may only reach loopback)"
    netlog = os.environ.get(NETLOG_ENV)
    if netlog:
        with open(netlog, "a", encoding="utf-8") as log:
            log.write(message + "\n")
    raise OSError(message)


def _loopback_only(event: str, args: tuple[object, ...]) -> None:
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        if not _is_loopback(args[0]):
            _refuse(event, args[0])
    elif event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[1]
        family = getattr(sock, "family", None)
        if family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and address:
            if not _is_loopback(address[0]):
                _refuse(event, address[0])


sys.addaudithook(_loopback_only)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    if not item.config.pluginmanager.is_blocked("groq_vcr"):
        return (yield)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTEST_ADDOPTS", "-p no:groq_vcr")
        return (yield)
