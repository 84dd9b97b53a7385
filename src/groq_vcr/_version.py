"""The package version, in one place (the cache key and the CLI read it too)."""

__version__ = "0.1.0"
