"""Schema assertions: the helper, the ``groq_schema`` fixture (through pytester) and the assertion repr."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from groq.types.chat import ChatCompletion

from groq_vcr import GroqVcrError, SchemaDriftError
from groq_vcr.pytest_plugin._outcomes import pytest_assertrepr_compare
from groq_vcr.schema._assert import SchemaChecker, assert_schema_matches
from groq_vcr.schema._infer import schema_of_json, schema_of_sse

DATA = Path(__file__).parent.parent / "data" / "responses"
CHAT = json.loads((DATA / "chat_gpt_oss_reasoning.json").read_text())
VISION = json.loads((DATA / "vision_ocr_001.json").read_text())
STREAM = (DATA / "chat_stream.sse").read_text()
CHAT_URL = "https://api.groq.com/openai/v1/chat/completions"


def without_reasoning(data: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    del out["choices"][0]["message"]["reasoning"]
    return out


def cassette_yaml(*pairs: tuple[dict[str, Any], str, str]) -> str:
    interactions = [
        {
            "id": i,
            "request": {
                "body": json.dumps(req),
                "headers": {"Content-Type": ["application/json"]},
                "url": CHAT_URL,
                "method": "POST",
            },
            "response": {"body": body, "headers": {"Content-Type": [ctype]}, "status": "200 OK", "code": 200},
        }
        for i, (req, body, ctype) in enumerate(pairs)
    ]
    return yaml.safe_dump({"version": 2, "interactions": interactions}, sort_keys=False, allow_unicode=True)


CHAT_REQUEST = {"model": "openai/gpt-oss-120b", "messages": [{"role": "user", "content": "hi"}]}
VISION_REQUEST = {"model": "meta-llama/llama-4-scout-17b-16e-instruct", "messages": []}
STREAM_REQUEST = {"model": "moonshotai/kimi-k2-instruct-0905", "stream": True}


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    path = tmp_path / "test_x.yaml"
    path.write_text(
        cassette_yaml(
            (CHAT_REQUEST, json.dumps(CHAT), "application/json"),
            (VISION_REQUEST, json.dumps(VISION), "application/json"),
            (STREAM_REQUEST, STREAM, "text/event-stream"),
        )
    )
    return path


def test_assert_schema_matches_raises_a_drift_error_with_the_report() -> None:
    assert assert_schema_matches(copy.deepcopy(CHAT), CHAT).ok
    with pytest.raises(SchemaDriftError) as caught:
        assert_schema_matches(without_reasoning(CHAT), CHAT)
    assert isinstance(caught.value, AssertionError)
    assert isinstance(caught.value, GroqVcrError)
    assert str(caught.value) == (
        "response schema drifted:\n"
        "  1 breaking, 0 additive, 0 info\n"
        "  breaking:\n"
        "    choices[].message.reasoning: removed (str)\n"
        "re-record the cassette (pytest --record-mode=rewrite) if the new shape is expected"
    )
    assert caught.value.report.breaking[0].path == "choices[].message.reasoning"


def test_strict_fails_on_additive_changes() -> None:
    assert assert_schema_matches(CHAT, without_reasoning(CHAT)).additive
    with pytest.raises(SchemaDriftError, match=r"strict: additive changes fail too"):
        assert_schema_matches(CHAT, without_reasoning(CHAT), strict=True)


def test_assertrepr_compare_explains_schema_equality(pytestconfig: pytest.Config) -> None:
    old, new = schema_of_json(CHAT), schema_of_json(without_reasoning(CHAT))
    assert pytest_assertrepr_compare(pytestconfig, "==", old, new) == [
        "response schemas differ (left -> right):",
        "1 breaking, 0 additive, 0 info",
        "breaking:",
        "  choices[].message.reasoning: removed (str)",
    ]
    assert pytest_assertrepr_compare(pytestconfig, "==", 1, 2) is None


def test_checker_matches_httpx_responses_by_request(cassette: Path) -> None:
    checker = SchemaChecker(cassette)
    request = httpx.Request("POST", "http://127.0.0.1:9/openai/v1/chat/completions", json=STREAM_REQUEST)
    streamed = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=STREAM, request=request)
    assert checker.check(streamed).changes == ()
    request = httpx.Request("POST", CHAT_URL, json=VISION_REQUEST)
    drifted = httpx.Response(200, json=edited_vision(), request=request)
    with pytest.raises(SchemaDriftError) as caught:
        checker.check(drifted)
    assert f"response schema drifted from {cassette} #1 POST /openai/v1/chat/completions" in str(caught.value)
    assert "usage: removed (object) (+7 nested paths)" in str(caught.value)


def edited_vision() -> dict[str, Any]:
    out = copy.deepcopy(VISION)
    del out["usage"]
    return out


def test_checker_sdk_objects_in_order_and_by_index(cassette: Path) -> None:
    checker = SchemaChecker(cassette)
    assert checker.check(ChatCompletion.model_validate(CHAT)).ok
    assert checker.check(ChatCompletion.model_validate(VISION)).ok
    assert checker.check(schema_of_sse(STREAM)).ok
    with pytest.raises(GroqVcrError, match="already checked"):
        checker.check(CHAT)
    with pytest.raises(SchemaDriftError):
        checker.check(ChatCompletion.model_validate(without_reasoning(CHAT)), interaction=0)
    with pytest.raises(GroqVcrError, match="there is no interaction 7"):
        checker.check(CHAT, interaction=7)
    strict = SchemaChecker(cassette, strict=True)
    with pytest.raises(SchemaDriftError):
        strict.check(CHAT, interaction=1)  # vision has no reasoning: CHAT adds it
    assert strict.check(CHAT, interaction=1, strict=False).additive


def test_checker_passes_before_the_cassette_exists(tmp_path: Path) -> None:
    assert SchemaChecker(tmp_path / "not_yet.yaml").check(CHAT).changes == ()


INNER = """
import json
from pathlib import Path

import pytest

RESPONSE = json.loads(Path("response.json").read_text())


def test_same_shape(groq_schema):
    report = groq_schema.check(RESPONSE)
    assert report.ok


def test_drifted(groq_schema):
    drifted = dict(RESPONSE, created="now")
    groq_schema.check(drifted)


class TestNamed:
    def test_in_class(self, groq_schema):
        assert groq_schema.cassette_path.name == "TestNamed.test_in_class.yaml"
        groq_schema.check(RESPONSE)


def test_schemas_equal():
    from groq_vcr import schema_of
    assert schema_of(RESPONSE) == schema_of(dict(RESPONSE, extra=1))
"""


def test_groq_schema_fixture_through_pytester(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / "response.json").write_text(json.dumps(CHAT))
    text = cassette_yaml((CHAT_REQUEST, json.dumps(CHAT), "application/json"))
    for name in ("test_same_shape", "test_drifted", "TestNamed.test_in_class"):
        target = pytester.path / "cassettes" / "test_inner" / f"{name}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*SchemaDriftError: response schema drifted from *test_drifted.yaml #0 POST /openai/v1/chat/completions:",
            "*created: type changed (int -> str)",
            "*response schemas differ (left -> right):",
            "*extra: added (int)",
        ]
    )


INNER_REDACTED = """
import httpx
import json
from pathlib import Path

import pytest

VISION = json.loads(Path("vision.json").read_text())


@pytest.mark.vcr(groq_vcr_redact={"json-fields": ["user"]})
def test_paired_as_replay_matches(groq_schema):
    body = {"model": "m", "user": "alice-0f3c9a", "messages": [{"role": "user", "content": "describe"}]}
    request = httpx.Request("POST", "https://api.groq.com/openai/v1/chat/completions", json=body)
    report = groq_schema.check(httpx.Response(200, json=VISION, request=request))
    assert report.ok
"""


def test_groq_schema_pairs_requests_masked_by_the_tests_redaction_rules(pytester: pytest.Pytester) -> None:
    """The recording holds the redacted ``user``; the live request the real one: they pair as in replay."""
    pytester.makepyfile(test_inner=INNER_REDACTED)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / "vision.json").write_text(json.dumps(VISION))
    asked = {"model": "m", "user": "REDACTED", "messages": [{"role": "user", "content": "hi"}]}
    described = {"model": "m", "user": "REDACTED", "messages": [{"role": "user", "content": "describe"}]}
    text = cassette_yaml(
        (asked, json.dumps(CHAT), "application/json"), (described, json.dumps(VISION), "application/json")
    )
    target = pytester.path / "cassettes" / "test_inner" / "test_paired_as_replay_matches.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(text)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_a_response_checked_again_is_compared_with_the_same_interaction(tmp_path: Path) -> None:
    cassette = tmp_path / "two.yaml"
    cassette.write_text(cassette_yaml((CHAT_REQUEST, json.dumps(CHAT), "application/json")))
    checker = SchemaChecker(cassette)
    assert checker.check(CHAT).ok
    assert checker.check(CHAT, strict=True).ok, "the same response, checked again more strictly"
    with pytest.raises(GroqVcrError, match="was already checked"):
        checker.check(dict(CHAT))  # another response: there is no interaction left for it
