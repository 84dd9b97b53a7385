"""Repository-wide pytest configuration: the plugin's own tests drive pytest through ``pytester``."""

import contextlib

# httpx and httpx2 import their core libraries lazily, on the first transport built, and map the core's
# exceptions through a table filled at that moment. An in-process pytester run removes the modules it
# imported when it ends; if the core was first imported there, the next import makes new exception classes
# that the table does not know, and httpx.ConnectError arrives as an unmapped httpcore.ConnectError.
# Importing the cores here puts them in sys.modules before any pytester run.
import httpcore  # noqa: F401

with contextlib.suppress(ImportError):
    import httpcore2  # noqa: F401

pytest_plugins = ["pytester"]
