"""The ``server`` extra: the packages only the local servers and the demo use, and the error when one is missing.

``pip install groq-vcr`` brings what the pytest plugin and most commands need; uvicorn, starlette,
python-multipart and the ``groq`` SDK come with ``pip install 'groq-vcr[server]'``. What needs them checks
first, so a missing package is one clear sentence naming the extra instead of a bare ``No module named ...``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

__all__ = [
    "DEMO_PACKAGES",
    "SERVERS_PACKAGES",
    "SERVER_EXTRA",
    "SERVER_HINT",
    "TESTING_PACKAGES",
    "MissingExtraError",
    "missing_packages",
    "require_extra",
]

SERVER_EXTRA = "server"
SERVER_HINT = f"pip install 'groq-vcr[{SERVER_EXTRA}]'"

# distribution -> the modules that provide it (python-multipart is imported as python_multipart, formerly multipart)
SERVERS_PACKAGES: Mapping[str, tuple[str, ...]] = {"uvicorn": ("uvicorn",), "starlette": ("starlette",)}
"""What :mod:`groq_vcr.servers` (``groq-vcr serve`` and ``proxy``) needs."""
TESTING_PACKAGES: Mapping[str, tuple[str, ...]] = {
    **SERVERS_PACKAGES,
    "python-multipart": ("python_multipart", "multipart"),
}
"""What :mod:`groq_vcr.testing` needs (starlette parses the audio uploads with python-multipart)."""
DEMO_PACKAGES: Mapping[str, tuple[str, ...]] = {**TESTING_PACKAGES, "groq": ("groq",)}
"""What ``groq-vcr demo`` needs: the local server and the SDK it drives."""


class MissingExtraError(ImportError):
    """Something needs a package of the ``server`` extra that is not installed."""

    def __init__(self, what: str, missing: list[str]) -> None:
        self.missing = missing
        names = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        verb = "is" if len(missing) == 1 else "are"
        self.problem = f"{what} needs {names} (groq-vcr's {SERVER_EXTRA} extra), which {verb} not installed."
        self.hint = SERVER_HINT
        super().__init__(f"{self.problem} Install the extra: {self.hint}", name=missing[0])


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent that is not a package, or a module set to None in sys.modules
        return False


def missing_packages(packages: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The distributions of ``packages`` none of whose modules can be imported, in order."""
    return [name for name, modules in packages.items() if not any(_importable(module) for module in modules)]


def require_extra(what: str, packages: Mapping[str, tuple[str, ...]]) -> None:
    """Raise :class:`MissingExtraError` naming ``what`` and the extra when a package of ``packages`` is missing."""
    missing = missing_packages(packages)
    if missing:
        raise MissingExtraError(what, missing)
