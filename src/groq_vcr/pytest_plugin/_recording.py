"""pytest-recording's VCR, turned into a groq-vcr one for the test being set up.

pytest-recording calls ``pytest_recording_configure(config, vcr)`` from its ``vcr`` fixture; the options of the
cassette come from the test being set up at that moment (:func:`~groq_vcr.pytest_plugin._options.session_options`).
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from groq_vcr.pytest_plugin._options import session_options, vcrpy_cassettes
from groq_vcr.pytest_plugin._safeguard import rewrite_backup

if TYPE_CHECKING:
    from groq_vcr._settings import VcrpyCassettes
    from groq_vcr.engine import SessionOptions

_current_item: pytest.Item | None = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    global _current_item
    _current_item = item
    return (yield)


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """Make ``vcr.use_cassette`` open groq-vcr cassettes with the options of the test being set up."""
    from groq_vcr.pytest_plugin._vcr import install  # vcrpy and the engine: only for a test that uses a cassette

    item = _current_item

    def make_options(kwargs: dict[str, Any]) -> SessionOptions:
        return session_options(config, item, kwargs)

    def vcrpy_choice(kwargs: dict[str, Any]) -> VcrpyCassettes:
        return vcrpy_cassettes(config, kwargs)

    def original_of(path: Path) -> Path | None:
        return rewrite_backup(item) if item is not None else None

    def needs_engine() -> bool:
        """Faults and verify mode are groq-vcr's: such a test plays even a vcrpy cassette through the engine."""
        if item is None:
            return False
        return (
            bool(config.getoption("--groq-vcr-verify"))
            or item.get_closest_marker("groq_fault") is not None
            or "groq_faults" in getattr(item, "fixturenames", ())
        )

    install(vcr, make_options, vcrpy_choice, original_of, needs_engine)
