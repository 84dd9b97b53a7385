"""groq-vcr's pytest plugin, registered as the ``groq_vcr`` pytest11 entry point.

groq-vcr builds on pytest-recording: ``@pytest.mark.vcr``, ``--record-mode``, ``--block-network`` and the
``vcr_config`` fixture work as documented there. Through pytest-recording's ``pytest_recording_configure``
hook every cassette becomes a go-vcr v2 file with groq-vcr's recording, redaction and matching, with no
configuration in the user's project.

One module per job, each registered here as a plugin of its own:

- ``_options``: command-line options and ini keys, and the session options of one test
  (command line > ``vcr_config``/marker > ``[tool.groq-vcr]``);
- ``_recording``: the bridge from pytest-recording's VCR to groq-vcr cassettes (``_vcr`` is the only module
  that touches vcrpy and pytest-recording internals);
- ``_faults``: the ``groq_fault`` marker; ``_fixtures``: ``groq_faults`` and ``groq_schema``;
- ``_outcomes``: what a test's cassettes make of its report (misses, expiry, unused interactions, drift);
- ``_safeguard``: a test that does not pass never costs its committed cassette (``--record-mode=rewrite``);
- ``_match_log``: the per-test match log; ``_summary``: the end-of-run summary and the run report;
- ``_sharding``: whether this run is one shard of a suite (unused interactions are then judged by the merge);
- ``_pacing``: live requests within this machine's share of the rate limits (``--groq-vcr-rate-share``).

pytest loads these modules in every run of every project that has groq-vcr installed, so they import only
pytest, the standard library, ``groq_vcr.errors`` and ``groq_vcr._settings`` at load time: the engine, the
cassette, schema and redaction layers, vcrpy, PyYAML and deepdiff are imported inside the functions that need
them, on the first test that uses a cassette (tests/plugin/test_light_load.py checks it).
"""

pytest_plugins = [
    "groq_vcr.pytest_plugin._sharding",
    "groq_vcr.pytest_plugin._pacing",
    "groq_vcr.pytest_plugin._options",
    "groq_vcr.pytest_plugin._recording",
    "groq_vcr.pytest_plugin._faults",
    "groq_vcr.pytest_plugin._fixtures",
    "groq_vcr.pytest_plugin._outcomes",
    "groq_vcr.pytest_plugin._safeguard",
    "groq_vcr.pytest_plugin._match_log",
    "groq_vcr.pytest_plugin._summary",
]
