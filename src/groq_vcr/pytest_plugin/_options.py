"""The plugin's options, and the session options of one test's cassette.

Each setting is decided in one place, with pytest-recording's precedence: the command line, then the test's
``vcr_config`` / ``@pytest.mark.vcr`` keyword arguments, then ``[tool.groq-vcr]`` in pyproject.toml.
Like every module of the plugin, it imports the engine only when a test opens a cassette.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from groq_vcr._settings import (
    OnExpired,
    Settings,
    VcrpyCassettes,
    load_settings,
    parse_choice,
    parse_max_age,
    redactor_for,
)
from groq_vcr.errors import GroqVcrError
from groq_vcr.pytest_plugin._faults import fault_plan_for
from groq_vcr.pytest_plugin._fixtures import SCHEMA_STRICT_INI
from groq_vcr.pytest_plugin._outcomes import session_callbacks
from groq_vcr.pytest_plugin._pacing import live_pacing

if TYPE_CHECKING:
    from groq_vcr.engine import SessionOptions

__all__ = ["session_options", "vcrpy_cassettes"]

MAX_AGE_KEY = "groq_vcr_max_age"
"""``vcr_config`` / marker key: this test's maximum cassette age (``"30d"``, ``"off"``)."""
ON_EXPIRED_KEY = "groq_vcr_on_expired"
"""``vcr_config`` / marker key: ``warn``, ``fail`` or ``rerecord`` for this test."""
RETRY_AFTER_KEY = "groq_vcr_retry_after"
"""``vcr_config`` / marker key: how replayed ``retry-after`` is honoured (``fast``, ``zero``, ``recorded``)."""
KEEP_FAILED_KEY = "groq_vcr_keep_failed"
"""``vcr_config`` / marker key: save what this test recorded even when it fails."""
BEFORE_WRITE_KEY = "groq_vcr_before_write"
"""``vcr_config`` / marker key: a function given the redacted cassette just before the scan and the write."""

MATCH_HEADERS_KEY = "groq_vcr_match_headers"
"""``vcr_config`` / marker key: request headers (a name or a list) whose values tell identical requests apart."""

VCRPY_CASSETTES_KEY = "groq_vcr_vcrpy_cassettes"
"""``vcr_config`` / marker key: ``keep`` or ``convert`` a cassette vcrpy wrote (see ``vcrpy-cassettes``)."""

_SETTINGS = pytest.StashKey[Settings]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("groq-vcr", "groq-vcr cassettes")
    group.addoption(
        "--groq-vcr-max-age",
        default=None,
        metavar="AGE",
        help="Maximum cassette age, e.g. 30d, 2w, 12h ('off': none); overrides groq_vcr_max_age in "
        "vcr_config/markers and max-age in [tool.groq-vcr]. Age = the newest Date header in the cassette.",
    )
    group.addoption(
        "--groq-vcr-on-expired",
        choices=[action.value for action in OnExpired],
        default=None,
        help="What to do with a cassette older than its maximum age: warn and replay (default), fail the "
        "test, or rerecord it live (needs GROQ_API_KEY; without it: warn).",
    )
    group.addoption(
        "--groq-vcr-verify",
        action="store_true",
        default=False,
        help="Verify mode: replay nothing, send every request live, compare each live response's schema with "
        "the recorded one and fail the test on drift; cassettes are never rewritten.",
    )
    parser.addini(
        SCHEMA_STRICT_INI,
        type="bool",
        default=False,
        help="groq_schema fixture and --groq-vcr-verify: fail on added fields too, not only on breaking changes.",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--groq-vcr-max-age") is not None:
        try:
            parse_max_age(config.getoption("--groq-vcr-max-age"), where="--groq-vcr-max-age")
        except GroqVcrError as exc:
            raise pytest.UsageError(str(exc)) from None


def _settings(config: pytest.Config) -> Settings:
    settings = config.stash.get(_SETTINGS, None)
    if settings is None:
        settings = config.stash[_SETTINGS] = load_settings(config.rootpath)
    return settings


def _expiry(config: pytest.Config, kwargs: dict[str, Any], nodeid: str) -> tuple[timedelta | None, OnExpired]:
    """(maximum age, action) for one test."""
    settings = _settings(config)
    cli_age = config.getoption("--groq-vcr-max-age")
    if cli_age is not None:
        max_age = parse_max_age(cli_age, where="--groq-vcr-max-age")
    elif MAX_AGE_KEY in kwargs:
        max_age = parse_max_age(kwargs[MAX_AGE_KEY], where=f"{nodeid}: {MAX_AGE_KEY}")
    else:
        max_age = settings.max_age
    action = config.getoption("--groq-vcr-on-expired") or kwargs.get(ON_EXPIRED_KEY) or settings.on_expired
    return max_age, parse_choice(OnExpired, action, where=f"{nodeid}: {ON_EXPIRED_KEY}")


def vcrpy_cassettes(config: pytest.Config, kwargs: dict[str, Any]) -> VcrpyCassettes:
    """What to do with a cassette vcrpy wrote: the ``vcr_config``/marker key, else ``[tool.groq-vcr]``."""
    value = kwargs.get(VCRPY_CASSETTES_KEY)
    if value is None:
        return _settings(config).vcrpy_cassettes
    try:
        return parse_choice(VcrpyCassettes, value, where=VCRPY_CASSETTES_KEY)
    except GroqVcrError as exc:
        raise pytest.UsageError(str(exc)) from None


def _header_names(value: Any, *, where: str) -> tuple[str, ...]:
    """A header name or a list of them, as a tuple; anything else is an error naming ``where``."""
    names = (value,) if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not all(isinstance(name, str) and name for name in names):
        raise GroqVcrError(f"{where}={value!r}: give a header name or a list of them, e.g. ['X-Call']")
    return tuple(names)


def session_options(config: pytest.Config, item: pytest.Item | None, kwargs: dict[str, Any]) -> SessionOptions:
    """How ``item``'s cassette is used, from the command line, its ``vcr_config``/marker and the project.

    A bad value is a :class:`pytest.UsageError` naming the test and the key.
    """
    from groq_vcr.engine import RetryAfter, SessionOptions

    nodeid = item.nodeid if item is not None else ""
    try:
        max_age, on_expired = _expiry(config, kwargs, nodeid)
        retry_after = parse_choice(RetryAfter, kwargs.get(RETRY_AFTER_KEY, "fast"), where=RETRY_AFTER_KEY)
        redactor = redactor_for(config.rootpath, kwargs)
        match_headers = _header_names(kwargs.get(MATCH_HEADERS_KEY, ()), where=f"{nodeid}: {MATCH_HEADERS_KEY}")
    except GroqVcrError as exc:
        raise pytest.UsageError(str(exc)) from None
    keep_failed = bool(config.getoption("--groq-vcr-keep-failed") or kwargs.get(KEEP_FAILED_KEY))
    may_save, on_close = session_callbacks(config, item, keep_failed=keep_failed)
    return SessionOptions(
        allow_repeats=bool(kwargs.get("allow_playback_repeats", False)),
        match_headers=match_headers,
        redactor=redactor,
        faults=fault_plan_for(item) if item is not None else None,
        retry_after=retry_after,
        rerecord_hint=f"pytest --record-mode=rewrite {nodeid}".rstrip(),
        record_hint=f"pytest --record-mode=once {nodeid}".rstrip(),
        before_write=kwargs.get(BEFORE_WRITE_KEY),
        max_age=max_age,
        on_expired=on_expired,
        live_available=bool(os.environ.get("GROQ_API_KEY")),
        verify=bool(config.getoption("--groq-vcr-verify")),
        verify_strict=bool(config.getini(SCHEMA_STRICT_INI)),
        pacing=live_pacing(config),
        may_save=may_save,
        on_close=on_close,
    )
