"""``tests/data`` holds data, not tests of this project.

``upstream/`` keeps other projects' test suites, which :mod:`tests.compat` runs in a subprocess of their own
(with their own ``pytest.ini``); this project's test run must not collect them.
"""

collect_ignore = ["upstream"]
