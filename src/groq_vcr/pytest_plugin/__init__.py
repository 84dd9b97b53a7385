"""groq-vcr's pytest plugin (the ``groq_vcr`` pytest11 entry point)."""

pytest_plugins = ["groq_vcr.pytest_plugin._plugin"]
