"""The ``groq_fault`` marker and the ``groq_faults`` fixture as users get them wrong: each mistake fails the test
with one line naming the test, the fault and the fix, without the plugin's traceback and before anything is sent."""

from __future__ import annotations

import pytest

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"

BAD_MARKERS = """
import pytest

SENT = []


@pytest.fixture(autouse=True)
def no_request_is_made(monkeypatch):
    import httpx
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", lambda self, request: SENT.append(request))


@pytest.mark.vcr
@pytest.mark.groq_fault("rate_limited", retry_afer=3)
def test_typo():
    raise AssertionError("the test body must not run")


@pytest.mark.vcr
@pytest.mark.groq_fault("delay", first_byte="soon")
def test_not_a_number():
    raise AssertionError("the test body must not run")


@pytest.mark.vcr
@pytest.mark.groq_fault("rate_limited", nth="1")
def test_nth_as_text():
    raise AssertionError("the test body must not run")


@pytest.mark.vcr
@pytest.mark.groq_fault("server_error", status=404)
def test_not_a_5xx():
    raise AssertionError("the test body must not run")


@pytest.mark.vcr
@pytest.mark.groq_fault("error_response", status=200, message="ok")
def test_not_an_error():
    raise AssertionError("the test body must not run")


@pytest.mark.vcr
@pytest.mark.groq_fault("rate_limited", "server_error")
def test_two_faults_in_one_marker():
    raise AssertionError("the test body must not run")


def test_nothing_was_sent():
    assert SENT == []
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini(INI)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args)


def test_bad_markers_fail_at_setup_with_one_line_each(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bad=BAD_MARKERS)
    result = _run(pytester, "--record-mode=none", "-rE")
    result.assert_outcomes(errors=6, passed=1)
    out = result.stdout.str()
    expected = {
        "test_typo": "@pytest.mark.groq_fault: rate_limited(): unknown argument 'retry_afer' (did you mean "
        "'retry_after'?); it takes retry_after, limit_type, model and the selectors path, method, interaction, nth, "
        "times",
        "test_not_a_number": "@pytest.mark.groq_fault: delay(first_byte='soon'): must be a number of seconds, 0 or "
        "more (e.g. 0.5)",
        "test_nth_as_text": "@pytest.mark.groq_fault: rate_limited(nth='1'): must be a 0-based position *",
        "test_not_a_5xx": "@pytest.mark.groq_fault: server_error(status=404): must be an HTTP status from 500 to 599*",
        "test_not_an_error": "@pytest.mark.groq_fault: error_response(status=200): must be an HTTP status from 400 "
        "to 599*",
        "test_two_faults_in_one_marker": "@pytest.mark.groq_fault takes one fault*write one marker per fault",
    }
    for name, message in expected.items():
        result.stdout.fnmatch_lines(
            [f"_* ERROR at setup of {name} _*", f"test_bad.py::{name}: {message}"], consecutive=True
        )
    # No plugin traceback: each error section is the one line of its message.
    assert "Traceback" not in out
    assert "groq_vcr/" not in out
    assert "_fault_checks.py" not in out
    assert "the test body must not run" not in out


NO_CASSETTE = """
import httpx
import pytest

from groq_vcr import faults

SENT = []


@pytest.fixture(autouse=True)
def record_sends(monkeypatch):
    def handle(self, request):
        SENT.append(request.url)
        return httpx.Response(200, json={"ok": True}, request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle)


@pytest.mark.groq_fault("server_error")
def test_marker_without_a_cassette():
    httpx.get("http://127.0.0.1:9/never")


def test_fixture_without_a_cassette(groq_faults):
    groq_faults.add(faults.server_error())
    assert httpx.get("http://127.0.0.1:9/sent").json() == {"ok": True}  # no cassette: nothing alters it


def test_fixture_unused_is_fine(groq_faults):
    assert not groq_faults


def test_only_the_fixture_request_was_sent():
    assert [str(url) for url in SENT] == ["http://127.0.0.1:9/sent"]
"""


def test_faults_without_a_cassette_are_an_error_not_silently_ignored(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nocassette=NO_CASSETTE)
    result = _run(pytester, "-rE")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "_* ERROR at setup of test_marker_without_a_cassette _*",
            "test_nocassette.py::test_marker_without_a_cassette: @pytest.mark.groq_fault alters the answers of the "
            "test's cassette, but this test uses none, so its requests would reach the network without the fault; "
            "add @pytest.mark.vcr (and record the cassette once: pytest --record-mode=once)",
            "_* ERROR at teardown of test_fixture_without_a_cassette _*",
            "test_nocassette.py::test_fixture_without_a_cassette: faults were added to groq_faults but the test "
            "opened no cassette, so none was applied*add @pytest.mark.vcr, or pass faults=groq_faults to "
            "groq_vcr.use_cassette(...)",
        ],
        consecutive=True,
    )
    assert "Traceback" not in result.stdout.str()


def test_the_fixture_with_use_cassette_is_no_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_manual="""
        import groq_vcr
        from groq_vcr import faults


        def test_it(groq_faults, tmp_path):
            groq_faults.add(faults.server_error())
            with groq_vcr.use_cassette(tmp_path / "c.yaml", record_mode="none", faults=groq_faults):
                pass
            assert groq_faults.sessions == 1
        """
    )
    result = _run(pytester)
    result.assert_outcomes(passed=1)


VCRPY_CASSETTE = """\
interactions:
- request:
    body: null
    headers: {}
    method: GET
    uri: http://127.0.0.1:9/models
  response:
    body:
      string: '{"data": []}'
    headers:
      Content-Type:
      - application/json
    status:
      code: 200
      message: OK
version: 1
"""


def test_faults_apply_to_a_cassette_vcrpy_wrote(pytester: pytest.Pytester) -> None:
    """A test with faults plays even a vcrpy cassette through groq-vcr (faults are groq-vcr's), never unaltered."""
    folder = pytester.path / "cassettes" / "test_vcrpy"
    folder.mkdir(parents=True)
    for name in ("test_marker", "test_fixture"):
        (folder / f"{name}.yaml").write_text(VCRPY_CASSETTE, encoding="utf-8")
    pytester.makepyfile(
        test_vcrpy="""
        import httpx
        import pytest

        from groq_vcr import faults


        @pytest.mark.vcr
        @pytest.mark.groq_fault("server_error", times=1)
        def test_marker():
            assert httpx.get("http://127.0.0.1:9/models").status_code == 500
            assert httpx.get("http://127.0.0.1:9/models").json() == {"data": []}


        @pytest.mark.vcr
        def test_fixture(groq_faults):
            groq_faults.add(faults.server_error(times=1))
            assert httpx.get("http://127.0.0.1:9/models").status_code == 500
            assert httpx.get("http://127.0.0.1:9/models").json() == {"data": []}
        """
    )
    result = _run(pytester, "--record-mode=none")
    result.assert_outcomes(passed=2)
    for name in ("test_marker", "test_fixture"):
        assert (folder / f"{name}.yaml").read_text(encoding="utf-8") == VCRPY_CASSETTE
