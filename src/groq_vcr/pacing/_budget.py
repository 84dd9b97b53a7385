"""A machine's share of an organisation's rate limits, drawn on by every process that records on the machine.

Groq's limits belong to the organisation, so N machines recording at once each get a share (``1/N``) of what
the ``x-ratelimit-*`` headers announce. Within one machine the share is one budget: a small JSON file in a
temporary folder, keyed by the server and a hash of the API key, read and updated under a file lock by every
pytest-xdist worker (or ``groq-vcr record`` process) that uses it. So no worker waits on its own while another
burns the budget.

The budget counts, for requests and for tokens, what this machine used since the limit's current cycle began
(a cycle ends at the reset the server announced, ``x-ratelimit-reset-*``). Before a live request:

- when the machine has used ``share x limit`` (at least 1) in the cycle, it waits for the reset;
- when a response said the organisation has nothing left (``remaining`` 0), or answered 429, every process
  of the machine waits for the reset (or ``retry-after``);
- no request is sent in the last ``guard`` seconds of a requests cycle (one sent then could land in the next
  cycle, where it is not counted); it waits until just after the reset instead.

Requests are counted when they are sent; tokens when the response's ``usage`` is known. Before the first
response the limits are unknown and requests go out unpaced (one per worker). A wait longer than
``max_wait_s`` is cut short: the request is sent and the server decides.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from filelock import FileLock

from groq_vcr.pacing._headers import parse_rate_limit_headers

__all__ = ["BUDGET_DIR_ENV", "GUARD_S", "SharedBudget", "origin_of"]

log = logging.getLogger("groq_vcr.pacing")

BUDGET_DIR_ENV = "GROQ_VCR_RATE_BUDGET_DIR"
"""Names the folder of the budget files every process of the machine shares (the pytest plugin and
``groq-vcr record --rate-share``)."""
GUARD_S = 0.1
"""Seconds before a requests reset in which nothing is sent (it could be counted in the wrong cycle)."""
_KINDS = ("requests", "tokens")
_NS_PER_S = 1e9


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url``, lower-cased: one budget per server."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _fresh() -> dict[str, Any]:
    return {"blocked_until": 0.0, **{kind: {"limit": None, "until": None, "used": 0} for kind in _KINDS}}


class SharedBudget:
    """This machine's ``share`` of the rate limits of each server it records from (see the module docstring)."""

    def __init__(
        self,
        folder: str | os.PathLike[str],
        share: Fraction,
        *,
        credential: str = "",
        max_wait_s: float = 120.0,
        guard_s: float = GUARD_S,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError(f"a rate share is a fraction in (0, 1], not {share}")
        self.folder = Path(folder)
        self.share = share
        self._credential = credential
        self.max_wait_s = max_wait_s
        self.guard_s = guard_s
        self._clock = clock
        self._sleep = sleep
        self.total_waited_s = 0.0

    def allowance(self, limit: int) -> int:
        """What this machine may use of ``limit`` in one cycle (at least 1)."""
        return max(1, math.floor(limit * self.share))

    def _path(self, origin: str) -> Path:
        key = hashlib.sha256(f"{origin}\0{self._credential}".encode()).hexdigest()[:16]
        return self.folder / f"{key}.json"

    @contextlib.contextmanager
    def _state(self, origin: str) -> Iterator[dict[str, Any]]:
        """The budget of ``origin``, locked against the other processes of the machine; saved on exit."""
        path = self._path(origin)
        self.folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path.with_suffix(".lock"))):
            try:
                state = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                state = _fresh()
            yield state
            scratch = path.with_suffix(".tmp")
            scratch.write_text(json.dumps(state), encoding="utf-8")
            os.replace(scratch, path)

    @staticmethod
    def _roll(limit: dict[str, Any], now: float) -> None:
        """Start a new cycle once the current one has ended."""
        if limit["until"] is not None and now >= limit["until"]:
            limit["used"], limit["until"] = 0, None

    def _wait_needed(self, state: dict[str, Any], now: float) -> float:
        wait = float(state["blocked_until"]) - now
        for kind in _KINDS:
            limit = state[kind]
            self._roll(limit, now)
            if limit["limit"] is None or limit["until"] is None:
                continue
            until = float(limit["until"])
            spent = limit["used"] >= self.allowance(int(limit["limit"]))
            if spent or (kind == "requests" and until - self.guard_s <= now):
                wait = max(wait, until - now + self.guard_s)
        return wait

    def before_send(self, origin: str) -> float:
        """Wait until this machine may send a request to ``origin``, count it; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._state(origin) as state:
                now = self._clock()
                wait = self._wait_needed(state, now)
                if wait <= 0 or waited >= self.max_wait_s:
                    if wait > 0:
                        log.warning("rate budget of %s: waited %.1fs, sending anyway", origin, waited)
                    state["requests"]["used"] += 1
                    self.total_waited_s += waited
                    return waited
            wait = min(wait, self.max_wait_s - waited)
            log.debug("rate budget of %s: waiting %.2fs", origin, wait)
            self._sleep(wait)
            waited += wait

    def on_response(self, origin: str, status: int, headers: Mapping[str, list[str]] | Mapping[str, str]) -> None:
        """Learn the limits, the cycle and whether the organisation is out of budget from a response's head."""
        seen = parse_rate_limit_headers(headers)
        with self._state(origin) as state:
            now = self._clock()
            blocked = float(state["blocked_until"])
            for kind, limit, remaining, reset_ns in (
                ("requests", seen.limit_requests, seen.remaining_requests, seen.reset_requests_ns),
                ("tokens", seen.limit_tokens, seen.remaining_tokens, seen.reset_tokens_ns),
            ):
                entry = state[kind]
                self._roll(entry, now)
                if limit is not None:
                    entry["limit"] = limit
                if reset_ns is not None:
                    end = now + reset_ns / _NS_PER_S
                    entry["until"] = end if entry["until"] is None else max(float(entry["until"]), end)
                    if remaining == 0:
                        blocked = max(blocked, end)
            if status == 429:
                after = seen.retry_after_ns if seen.retry_after_ns is not None else seen.exhausted_wait_ns()
                blocked = max(blocked, now + (after / _NS_PER_S if after else 1.0))
            state["blocked_until"] = blocked

    def on_tokens(self, origin: str, tokens: int) -> None:
        """Count the tokens a finished response used."""
        with self._state(origin) as state:
            entry = state["tokens"]
            self._roll(entry, self._clock())
            entry["used"] += tokens
