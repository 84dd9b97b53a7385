"""Redaction and the secret scan at the model level: leak vectors, placeholders, user rules, properties.

Keys and cookies are generated at run time; no key-shaped string is ever written into this file.
"""

from __future__ import annotations

import copy
import dataclasses
import random
import re
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import groq_vcr
from groq_vcr import GroqVcrError, SecretFoundError
from groq_vcr._groq_api import GROQ_KEY_PLACEHOLDER
from groq_vcr.cassette._model import Body, Cassette, Interaction, Request, Response
from groq_vcr.redaction import RedactionRules, Redactor
from groq_vcr.redaction._rules import PLACEHOLDER, is_placeholder, mask_secret
from groq_vcr.testing import make_fake_api_key

SEEDS = Path(__file__).parent.parent / "data" / "seeds"
KEY_SHAPE = re.compile(r"gsk_[A-Za-z0-9]{52}")  # TruffleHog's / GitHub's Groq key shape
ALNUM = string.ascii_letters + string.digits
BUILT_IN = Redactor()
"""The built-in rules only."""


def fake_key(rng: random.Random | None = None) -> str:
    return "gsk_" + "".join((rng or random).choices(ALNUM, k=52))


def fake_cf_bm(rng: random.Random | None = None) -> str:
    """A value shaped like Cloudflare's __cf_bm cookie."""
    r = rng or random
    chars = ALNUM + "_."
    return "".join(r.choices(chars, k=43)) + "-1760555157-1.0.1.1-" + "".join(r.choices(chars, k=100))


def as_text(value: Any) -> str:
    """Everything in a model object as one searchable string (bytes decoded byte-for-byte)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return as_text(dataclasses.asdict(value))
    if isinstance(value, dict):
        return "\n".join(as_text(k) + "\n" + as_text(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return "\n".join(as_text(v) for v in value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def dump(cassette: Cassette) -> str:
    """The exact text the storage layer writes for ``cassette``."""
    return groq_vcr.dump_cassette(cassette)


def interaction(request: Request | None = None, response: Response | None = None) -> Interaction:
    return Interaction(
        request=request or Request(method="POST", url="https://api.groq.com/openai/v1/chat/completions"),
        response=response or Response(),
    )


# --- the table of leak vectors --------------------------------------------------------------------------


def _multipart(key: str) -> tuple[bytes, str]:
    boundary = "----groqvcr7MA4YWxkTrZu0gW"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-large-v3\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nuse {key} please\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.ogg"\r\n'
            "Content-Type: audio/ogg\r\n\r\n"
        ).encode()
        + b"OggS\x00\xff\xfe"
        + key.encode()
        + b"\x80\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _vectors(key: str, cookie: str) -> dict[str, Interaction]:
    multipart_body, multipart_type = _multipart(key)
    error_body = (
        '{"error":{"message":"Invalid API Key: ' + key + '","type":"invalid_request_error","code":"invalid_api_key"}}'
    )
    sse = (
        'data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"your key is '
        + key
        + '"}}],"x_groq":{"id":"req_01k7mm7e13eaka52z3wx5c51d1"}}\n\ndata: [DONE]\n\n'
    )
    set_cookie = f"__cf_bm={cookie}; path=/; expires=Wed, 15-Oct-25 20:15:57 GMT; domain=.groq.com; HttpOnly; Secure"
    url = "https://api.groq.com/openai/v1/models"
    return {
        "Authorization header": interaction(Request(url=url, headers={"Authorization": [f"Bearer {key}"]})),
        "authorization header, lower case": interaction(Request(url=url, headers={"authorization": [f"Bearer {key}"]})),
        "AUTHORIZATION header, upper case": interaction(Request(url=url, headers={"AUTHORIZATION": [f"Bearer {key}"]})),
        "api-key header": interaction(Request(url=url, headers={"Api-Key": [key]})),
        "x-api-key header": interaction(Request(url=url, headers={"X-Api-Key": [key]})),
        "?api_key= query": interaction(Request(url=f"{url}?limit=2&api_key={key}")),
        "key in the URL path": interaction(Request(url=f"https://api.groq.com/{key}/models")),
        "request_uri": interaction(Request(url=url, request_uri=f"/openai/v1/models?api_key={key}")),
        "JSON body field": interaction(
            Request(
                url=url, body='{"model":"m","api_key":"' + key + '"}', headers={"Content-Type": ["application/json"]}
            )
        ),
        "JSON body nested list": interaction(
            Request(url=url, body='{"messages":[{"content":["a","' + key + '"]}]}', headers={})
        ),
        "multipart field and file part": interaction(
            Request(url=url, body=multipart_body, headers={"Content-Type": [multipart_type]})
        ),
        "form-urlencoded body and form map": interaction(
            Request(
                url=url,
                body=f"grant=x&api_key={key}",
                form={"api_key": [key], "grant": ["x"]},
                headers={"Content-Type": ["application/x-www-form-urlencoded"]},
            )
        ),
        "401 error body echoing the key": interaction(
            response=Response(
                code=401,
                status="401 Unauthorized",
                body=error_body,
                headers={"Content-Type": ["application/json"]},
                content_length=len(error_body),
            )
        ),
        "SSE chunk": interaction(response=Response(body=sse, headers={"Content-Type": ["text/event-stream"]})),
        "binary response body": interaction(response=Response(body=b"\x89PNG\x00" + key.encode() + b"\xff")),
        "Set-Cookie response header": interaction(response=Response(headers={"Set-Cookie": [set_cookie]})),
        "Cookie request header": interaction(
            Request(url=url, headers={"Cookie": [f"__cf_bm={cookie}; _cfuvid={cookie[:40]}"]})
        ),
        "any other header": interaction(response=Response(headers={"X-Debug": [f"sent {key}"]})),
        "trailer": interaction(response=Response(trailer={"X-Echo": [key]})),
    }


@pytest.fixture
def secrets_pair() -> tuple[str, str]:
    return fake_key(), fake_cf_bm()


@pytest.mark.parametrize("vector", list(_vectors("gsk_x", "c")))
def test_leak_vector_is_redacted(vector: str, secrets_pair: tuple[str, str]) -> None:
    key, cookie = secrets_pair
    original = _vectors(key, cookie)[vector]
    before = copy.deepcopy(original)

    redacted = Redactor().redact_interaction(original)

    text = as_text(redacted)
    assert key not in text
    assert cookie not in text
    assert cookie[:40] not in text
    assert KEY_SHAPE.search(text) is None
    assert original == before, "redact_interaction must not mutate its argument"
    assert redacted is not original
    assert BUILT_IN.scan_text(dump(Cassette([redacted]))) == []
    assert BUILT_IN.scan_text(dump(Cassette([original]))) != []


@pytest.mark.parametrize("vector", list(_vectors("gsk_x", "c")))
def test_leak_vector_placeholders_are_deterministic(vector: str) -> None:
    first = Redactor().redact_interaction(_vectors(fake_key(), fake_cf_bm())[vector])
    second = Redactor().redact_interaction(_vectors(fake_key(), fake_cf_bm())[vector])
    assert first == second, "two different secrets in the same place must give the same bytes"
    assert Redactor().redact_interaction(first) == first, "redaction must be idempotent"


def test_header_shapes_are_kept(secrets_pair: tuple[str, str]) -> None:
    key, cookie = secrets_pair
    request = Request(
        headers={
            "Authorization": [f"Bearer {key}"],
            "Proxy-Authorization": ["Basic dXNlcjpwYXNzd29yZA=="],
            "Cookie": [f"__cf_bm={cookie}; theme=dark"],
            "X-Api-Key": ["plain-secret"],
            "Content-Type": ["application/json"],
        }
    )
    response = Response(
        headers={"Set-Cookie": [f"__cf_bm={cookie}; path=/; domain=.groq.com; HttpOnly; Secure; SameSite=None"]}
    )
    redactor = Redactor()
    assert redactor.redact_request(request).headers == {
        "Authorization": [f"Bearer {GROQ_KEY_PLACEHOLDER}"],
        "Proxy-Authorization": [f"Basic {PLACEHOLDER}"],
        "Cookie": [f"__cf_bm={PLACEHOLDER}; theme={PLACEHOLDER}"],
        "X-Api-Key": [PLACEHOLDER],
        "Content-Type": ["application/json"],
    }
    assert redactor.redact_response(response).headers == {
        "Set-Cookie": [f"__cf_bm={PLACEHOLDER}; path=/; domain=.groq.com; HttpOnly; Secure; SameSite=None"]
    }


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("Authorization", "Bearer not-a-groq-key", "Bearer REDACTED"),
        ("Authorization", "opaque", "REDACTED"),
        ("Authorization", "Bearer REDACTED", "Bearer REDACTED"),
        ("Authorization", "Bearer <REDACTED>", "Bearer <REDACTED>"),
        ("Authorization", "Bearer gsk_REDACTED", "Bearer gsk_REDACTED"),
        ("Set-Cookie", "a=1; Path=/", "a=REDACTED; Path=/"),
        ("Cookie", "a=1; b=2", "a=REDACTED; b=REDACTED"),
        ("Cookie", "", ""),
        ("Accept", "Bearer short", "Bearer short"),
    ],
)
def test_header_values(header: str, value: str, expected: str) -> None:
    assert Redactor().redact_header(header, value) == expected


def test_json_bytes_outside_secrets_are_unchanged() -> None:
    key = fake_key()
    body = '{ "model" :"m",\n  "api_key":  "' + key + '" ,"n": [1, 2.5e3, null]}'
    redacted = Redactor().redact_body(body, "application/json")
    assert redacted == body.replace(key, GROQ_KEY_PLACEHOLDER)


def test_multipart_structure_is_kept() -> None:
    key = fake_key()
    body, content_type = _multipart(key)
    redacted = Redactor(RedactionRules(json_fields=("prompt",))).redact_body(body, content_type)
    assert isinstance(redacted, bytes)
    assert redacted.count(b"----groqvcr7MA4YWxkTrZu0gW") == body.count(b"----groqvcr7MA4YWxkTrZu0gW")
    assert b'name="prompt"\r\n\r\nREDACTED\r\n--' in redacted
    assert b"OggS\x00\xff\xfegsk_REDACTED\x80\r\n" in redacted
    assert b"whisper-large-v3" in redacted


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        pytest.param(
            '--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nsecret\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            '--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nREDACTED\r\n--b--\r\n',
            id="CRLF",
        ),
        pytest.param(
            '--b\nContent-Disposition: form-data; name="Prompt"\n\nsecret\n--b--\n',
            'multipart/form-data; boundary="b"',
            '--b\nContent-Disposition: form-data; name="Prompt"\n\nREDACTED\n--b--\n',
            id="bare LF, quoted boundary, field name in another case",
        ),
        pytest.param(
            "--b\r\nContent-Disposition: form-data; name=prompt\r\n\r\nsecret\r\n--b--\r\n",
            "multipart/form-data",
            "--b\r\nContent-Disposition: form-data; name=prompt\r\n\r\nREDACTED\r\n--b--\r\n",
            id="boundary sniffed, unquoted field name",
        ),
        pytest.param(
            '--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nsee\r\n--bx\r\nsecret\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            '--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nREDACTED\r\n--b--\r\n',
            id="a boundary-like line inside the field",
        ),
        pytest.param(
            '--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nsecret\r\n',
            "multipart/form-data; boundary=b",
            '--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nREDACTED\r\n',
            id="no closing delimiter",
        ),
        pytest.param(
            '--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nprompt\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            '--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nprompt\r\n--b--\r\n',
            id="another field is left alone",
        ),
    ],
)
def test_multipart_field_is_redacted_in_place(body: str, content_type: str, expected: str) -> None:
    redactor = Redactor(RedactionRules(json_fields=("prompt",)))
    assert redactor.redact_body(body, content_type) == expected
    assert redactor.redact_body(body.encode(), content_type) == expected.encode()


def test_content_length_follows_the_redacted_body() -> None:
    key = fake_key()
    body = '{"api_key":"' + key + '"}'
    request = Request(body=body, content_length=len(body), headers={"Content-Length": [str(len(body))]})
    redacted = Redactor().redact_request(request)
    assert redacted.content_length == len(redacted.body_bytes) == len('{"api_key":"gsk_REDACTED"}')
    assert redacted.headers["Content-Length"] == [str(redacted.content_length)]
    streamed = Redactor().redact_response(Response(body=body, content_length=-1))
    assert streamed.content_length == -1


def test_bytes_body_stays_bytes_and_unrelated_bytes_are_untouched() -> None:
    key = fake_key()
    audio = bytes(range(256)) * 4
    redacted = Redactor().redact_body(audio[:100] + key.encode() + b"\x00" + audio[100:])
    assert redacted == audio[:100] + GROQ_KEY_PLACEHOLDER.encode() + b"\x00" + audio[100:]
    assert Redactor().redact_body(audio) is audio


# --- placeholders ---------------------------------------------------------------------------------------


def test_placeholders_do_not_look_like_keys() -> None:
    for placeholder in (PLACEHOLDER, GROQ_KEY_PLACEHOLDER, f"Bearer {GROQ_KEY_PLACEHOLDER}"):
        assert KEY_SHAPE.search(placeholder) is None
        assert BUILT_IN.scan_text(f"Authorization: {placeholder}\nCookie: __cf_bm={PLACEHOLDER}\n") == []
        assert is_placeholder(placeholder.removeprefix("Bearer "))


def test_key_glued_to_more_characters_is_redacted_whole() -> None:
    key = fake_key()
    assert BUILT_IN.redact_text(f"x{key}tail more") == f"x{GROQ_KEY_PLACEHOLDER} more"
    assert BUILT_IN.redact_text(key.replace("_", "%5F")) == GROQ_KEY_PLACEHOLDER


@pytest.mark.parametrize(
    "prose",
    [
        "Use a Bearer token in the Authorization header.",
        "Authorization: Bearer $GROQ_API_KEY",
        "Authorization: Bearer YOUR_API_KEY_HERE",
        "api_key = os.environ['GROQ_API_KEY']",
        "Cookies: none of them; cookie jar",
        "gsk_ followed by 52 letters",
        "export GROQ_API_KEY=<your key>",
    ],
)
def test_prose_is_not_flagged(prose: str) -> None:
    assert BUILT_IN.scan_text(prose) == []
    assert BUILT_IN.redact_text(prose) == prose


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Authorization: Bearer abcDEF1234567890xyzQ", "authorization-header"),
        ("curl -H 'authorization: bearer abcDEF1234567890xyzQ'", "authorization-header"),
        ("token sent as Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.sig12345", "bearer-token"),
        ('{"apiKey": "sk-proj-1234567890abcdefgh"}', "api-key"),
        ("Set-Cookie: sid=31d4d96e407aad42; Path=/", "set-cookie"),
        ("see __cf_bm=abc.def-1760555157-1.0.1.1-xyz", "cloudflare-cookie"),
        ("https://user:hunter2@example.com/x", "url-password"),
    ],
)
def test_text_rules(text: str, rule: str) -> None:
    findings = BUILT_IN.scan_text(text)
    assert [f.rule for f in findings] == [rule]
    redacted = BUILT_IN.redact_text(text)
    assert PLACEHOLDER in redacted
    assert BUILT_IN.scan_text(redacted) == []


# --- the seeds ------------------------------------------------------------------------------------------


def fake_seed(rng: random.Random) -> tuple[str, str, list[str]]:
    """Seed 000 with a fresh fake key and fake cookies where the live ones were."""
    template = (SEEDS / "000_f3df5dee32a3ef46.redacted.txt").read_text(encoding="utf-8")
    key = fake_key(rng)
    cookies: list[str] = []

    def cookie(_: re.Match[str]) -> str:
        cookies.append(fake_cf_bm(rng))
        return "__cf_bm=" + cookies[-1]

    text = re.sub(r"__cf_bm=REDACTED", cookie, template.replace(GROQ_KEY_PLACEHOLDER, key))
    return text, key, cookies


def test_redacted_seed_copy_holds_no_secret() -> None:
    template = (SEEDS / "000_f3df5dee32a3ef46.redacted.txt").read_text(encoding="utf-8")
    assert KEY_SHAPE.search(template) is None
    assert template.count(GROQ_KEY_PLACEHOLDER) == 3
    assert template.count(f"__cf_bm={PLACEHOLDER}") == 3


def test_seed_key_and_cookies_are_found_and_removed() -> None:
    text, key, cookies = fake_seed(random.Random(7))
    findings = BUILT_IN.scan_text(text, source="seed.txt")
    assert [(f.line, f.rule) for f in findings] == [
        (10, "groq-api-key"),
        (11, "cookie"),
        (67, "groq-api-key"),
        (68, "cookie"),
        (86, "groq-api-key"),
        (87, "cookie"),
    ]
    for finding in findings:
        assert key not in str(finding)
        assert all(cookie[:20] not in str(finding) for cookie in cookies)
    redacted = BUILT_IN.redact_text(text)
    assert redacted == (SEEDS / "000_f3df5dee32a3ef46.redacted.txt").read_text(encoding="utf-8")
    assert BUILT_IN.scan_text(redacted) == []


@pytest.mark.parametrize(
    "name",
    [
        "000_f3df5dee32a3ef46.redacted.txt",
        "001_08ee6aacc6ac15fd.txt",
        "002_fd51fc7b398d1be7.rate-limits.md",
        "003_a49bbb46ab0e677b.txt",
    ],
)
def test_legitimate_seed_content_is_not_flagged(name: str) -> None:
    text = (SEEDS / name).read_text(encoding="utf-8")
    assert BUILT_IN.scan_text(text) == []
    assert BUILT_IN.redact_text(text) == text


def test_legitimate_ids_and_image_data_survive_redaction() -> None:
    text, _, _ = fake_seed(random.Random(3))
    redacted = BUILT_IN.redact_text(text)
    for legit in ("req_01k7mm7e13eaka52z3wx5c51d1", "chatcmpl-2c409135-59dd-47df-8f53-d846d496a4f9", "fp_4913bcd64f"):
        assert legit in redacted
    image = re.search(r"data:image/png;base64,[A-Za-z0-9+/=]+", text)
    assert image is not None
    assert len(image.group()) > 1000
    assert image.group() in redacted


# --- user rules -----------------------------------------------------------------------------------------


def test_user_rules() -> None:
    rules = RedactionRules(
        headers=("X-Internal-Token",),
        json_fields=("password", "metadata.user.token", "items[*].secret"),
        query_params=("sig",),
        patterns=(r"sk-live-[A-Za-z0-9]{8}", r"acct=(?P<secret>\d{6})"),
    )
    redactor = Redactor(rules)
    assert redactor.redact_header("x-internal-token", "abc") == PLACEHOLDER
    assert redactor.redact_url("https://h/p?a=1&SIG=xyz&b=2") == "https://h/p?a=1&SIG=REDACTED&b=2"
    body = (
        '{"password": "hunter2", "metadata": {"user": {"token": {"a": 1}, "name": "n"}, "token": "keep"},'
        ' "items": [{"secret": 1}, {"secret": "REDACTED"}], "note": "sk-live-ABCdef12 acct=123456"}'
    )
    assert redactor.redact_body(body, "application/json") == (
        '{"password": "REDACTED", "metadata": {"user": {"token": "REDACTED", "name": "n"}, "token": "keep"},'
        ' "items": [{"secret": "REDACTED"}, {"secret": "REDACTED"}], "note": "REDACTED acct=REDACTED"}'
    )
    sse = 'data: {"password":"x"}\n\ndata: [DONE]\n\n'
    assert redactor.redact_body(sse, "text/event-stream") == 'data: {"password":"REDACTED"}\n\ndata: [DONE]\n\n'
    assert redactor.redact_body("password=a&b=c", "application/x-www-form-urlencoded") == "password=REDACTED&b=c"
    # without the rules, the same content is left alone
    assert Redactor().redact_body(body, "application/json") == body


def test_rules_merge_and_validation() -> None:
    merged = RedactionRules(headers=("A",), patterns=("x+",)).merged(RedactionRules(headers=("A", "B")))
    assert merged == RedactionRules(headers=("A", "B"), patterns=("x+",))
    with pytest.raises(GroqVcrError, match=r"not a valid regular expression"):
        RedactionRules(patterns=("(",))
    with pytest.raises(GroqVcrError, match=r"matches the empty string"):
        RedactionRules(patterns=("a*",))
    with pytest.raises(GroqVcrError, match=r"not a valid JSON path"):
        RedactionRules(json_fields=("a..b",))
    with pytest.raises(GroqVcrError, match=r"vcr_config: unknown key 'header'; the known keys are headers"):
        RedactionRules.from_mapping({"header": ["x"]}, where="vcr_config")
    assert RedactionRules.from_mapping({"json-fields": "password"}) == RedactionRules(json_fields=("password",))


# --- scanning and the fail-closed check -----------------------------------------------------------------


def _cassette_with_secrets(key: str) -> Cassette:
    return Cassette(
        [
            interaction(
                Request(
                    url="https://api.groq.com/openai/v1/chat/completions",
                    headers={"Authorization": ["Bearer sk-other-token"], "Content-Type": ["application/json"]},
                    body='{"model":"m"}',
                )
            ),
            interaction(
                response=Response(
                    code=401,
                    body='{"error":{"message":"Invalid API Key: ' + key + '"}}',
                    headers={"Content-Type": ["application/json"]},
                )
            ),
            interaction(response=Response(body=b"\xff\x00" + key.encode())),
        ]
    )


def test_scan_names_interaction_field_and_rule() -> None:
    key = fake_key()
    text = dump(_cassette_with_secrets(key))
    findings = BUILT_IN.scan_text(text, source="c.yaml")
    summary = [(f.interaction, f.field, f.rule) for f in findings]
    assert summary == [
        (0, "request.headers.Authorization[0]", "authorization-header"),
        (1, "response.body", "groq-api-key"),
        (2, "response.body", "groq-api-key"),
    ]
    lines = text.splitlines()
    assert "Bearer sk-other-token" in lines[findings[0].line - 1]
    assert key in lines[findings[1].line - 1]
    for finding in findings:
        assert key not in str(finding)
        assert "sk-other-token" not in str(finding)
        assert str(finding).startswith(f"c.yaml:{finding.line}: {finding.rule}: ")


def test_save_is_refused_when_a_hook_puts_a_secret_back() -> None:
    key = fake_key()
    redacted = BUILT_IN.redact_cassette(_cassette_with_secrets(key))
    assert BUILT_IN.scan_text(dump(redacted)) == []

    def before_save_hook(cassette: Cassette) -> Cassette:
        cassette.interactions[1].response.headers["X-Debug"] = [f"key={key}"]
        return cassette

    text = dump(before_save_hook(redacted))
    with pytest.raises(SecretFoundError) as raised:
        BUILT_IN.assert_clean(text, "cassettes/test_chat.yaml")
    message = str(raised.value)
    assert message.startswith("Refusing to write cassettes/test_chat.yaml: it still holds 1 secret, so nothing")
    assert "interaction 1, response.headers.X-Debug[0]: rule groq-api-key" in message
    assert key not in message
    assert "[tool.groq-vcr.redact]" in message


def test_scan_flags_header_structure_in_other_yaml_layouts() -> None:
    text = "interactions:\n- request:\n    headers: {authorization: [opaque-value]}\n    uri: http://x\n"
    findings = BUILT_IN.scan_text(text)
    assert [(f.line, f.interaction, f.field, f.rule) for f in findings] == [
        (3, 0, "request.headers.authorization[0]", "authorization-header")
    ]


def test_mask_never_shows_the_whole_secret() -> None:
    key = fake_key()
    masked = mask_secret(key)
    assert masked == f"{key[:8]}…(56 chars)"
    assert mask_secret("ab") == "…(2 chars)"


# --- properties -----------------------------------------------------------------------------------------

keys = st.text(alphabet=ALNUM, min_size=52, max_size=52).map(lambda s: "gsk_" + s)
filler = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
snippets = st.sampled_from(
    [
        "Authorization: Bearer ",
        "Cookie: a=",
        "Set-Cookie: __cf_bm=",
        "api_key=",
        '"api_key": "',
        "Bearer ",
        "https://u:",
        "@h/",
        "; ",
        "\n",
        "data: ",
        "{",
        "}",
        "x" * 20 + "1",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(filler, snippets, keys), max_size=12).map("".join))
def test_text_redaction_is_clean_idempotent_and_consistent_with_the_scan(text: str) -> None:
    redacted = BUILT_IN.redact_text(text)
    assert KEY_SHAPE.search(redacted) is None
    assert BUILT_IN.scan_text(redacted) == []
    assert BUILT_IN.redact_text(redacted) == redacted
    if not BUILT_IN.scan_text(text):
        assert redacted == text


FIELDS = (
    "url",
    "request_uri",
    "request header",
    "response header",
    "request body",
    "json body",
    "sse body",
    "binary body",
    "form",
    "status",
)


@st.composite
def cassettes_with_planted_keys(draw: st.DrawFn) -> tuple[Cassette, list[str]]:
    count = draw(st.integers(1, 3))
    cassette = Cassette(
        [
            Interaction(
                request=Request(
                    method="POST",
                    url="https://api.groq.com/openai/v1/chat/completions?x=1",
                    headers={"Content-Type": ["application/json"], "User-Agent": ["Groq/Python 1.7.0"]},
                    body='{"model":"llama","messages":[{"role":"user","content":"hi"}]}',
                ),
                response=Response(
                    body='data: {"id":"chatcmpl-1","choices":[]}\n\ndata: [DONE]\n\n',
                    headers={"Content-Type": ["text/event-stream"]},
                ),
                id=index,
            )
            for index in range(count)
        ]
    )
    planted = draw(st.lists(keys, min_size=1, max_size=4))
    for key in planted:
        target = cassette.interactions[draw(st.integers(0, count - 1))]
        where = draw(st.sampled_from(FIELDS))

        def insert(value: str, key: str = key) -> str:
            at = draw(st.integers(0, len(value)))
            return value[:at] + key + value[at:]

        def insert_body(body: Body, key: str = key) -> Body:
            if isinstance(body, str):
                return insert(body)
            at = draw(st.integers(0, len(body)))
            return body[:at] + key.encode() + body[at:]

        if where == "url":
            target.request.url = insert(target.request.url)
        elif where == "request_uri":
            target.request.request_uri = insert(target.request.request_uri)
        elif where == "request header":
            name = draw(st.sampled_from(["Authorization", "X-Custom", "cookie", "User-Agent"]))
            target.request.headers.setdefault(name, []).append(insert(draw(filler)))
        elif where == "response header":
            name = draw(st.sampled_from(["Set-Cookie", "X-Groq-Region", "Www-Authenticate"]))
            target.response.headers.setdefault(name, []).append(insert(draw(filler)))
        elif where in ("request body", "json body"):
            target.request.body = insert_body(target.request.body)
        elif where == "sse body":
            target.response.body = insert_body(target.response.body)
        elif where == "binary body":
            data: Body = draw(st.binary(max_size=40))
            assert isinstance(data, bytes)
            at = draw(st.integers(0, len(data)))
            target.response.body = data[:at] + key.encode() + data[at:] + b"\xff"
        elif where == "form":
            target.request.form.setdefault(draw(st.sampled_from(["api_key", "note"])), []).append(insert(draw(filler)))
        else:
            target.response.status = insert(target.response.status)
    return cassette, planted


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cassettes_with_planted_keys())
def test_planted_keys_never_reach_the_written_text(case: tuple[Cassette, list[str]]) -> None:
    cassette, planted = case
    original_text = dump(cassette)
    redacted = BUILT_IN.redact_cassette(cassette)
    written = dump(redacted)

    for key in planted:
        assert key not in written
    assert KEY_SHAPE.search(written) is None
    assert BUILT_IN.scan_text(written) == []
    assert BUILT_IN.redact_cassette(redacted) == redacted

    findings = BUILT_IN.scan_text(original_text)
    assert findings, "the scan must flag a cassette with planted keys"
    flagged_lines = {f.line for f in findings}
    lines = original_text.splitlines()
    for key in planted:
        on_lines = {n for n, line in enumerate(lines, 1) if key in line}
        # a key visible in the text is flagged on its line (keys inside !!binary are flagged at the body)
        assert not on_lines or on_lines & flagged_lines


def test_mask_gives_a_live_request_the_form_it_was_saved_in() -> None:
    """What matching compares: the URL and body as the redactor would have written them, every time."""
    key = fake_key()
    redactor = Redactor(RedactionRules(json_fields=("user",)))
    url = f"https://api.groq.com/openai/v1/models?api_key={key}"
    body = b'{"user": "alice-0f3c9a", "model": "m"}'
    for _ in range(3):  # the URL's masked form is remembered: the answer must not change
        masked_url, masked_body = redactor.mask(url, body, "application/json")
        assert key not in masked_url
        assert masked_url == redactor.redact_url(url)
        assert masked_body == b'{"user": "REDACTED", "model": "m"}'
    assert redactor.mask(url, b"", "") == (redactor.redact_url(url), b"")


def test_the_write_check_sees_decoded_values_whatever_escapes_the_text_uses(tmp_path: Path) -> None:
    key = make_fake_api_key()
    request = Request(url="https://x/", method="POST", body="\ufeff" + key)
    cassette = Cassette(interactions=[Interaction(request, Response(body="ok"), 0)])
    text = groq_vcr.dump_cassette(cassette)
    assert key not in text  # a leading U+FEFF makes the writer escape every character of the scalar
    target = tmp_path / "c.yaml"
    with pytest.raises(SecretFoundError) as info:
        Redactor().assert_clean_cassette(cassette, text, target)
    message = str(info.value)
    assert message.startswith(f"Refusing to write {target}: it still holds 1 secret")
    assert "line 4, interaction 0, request.body: rule groq-api-key" in message
    assert key not in message


def test_the_write_check_passes_a_redacted_cassette_without_parsing_it(tmp_path: Path) -> None:
    key = make_fake_api_key()
    cassette = Cassette(
        interactions=[
            Interaction(
                Request(url="https://x/?api_key=" + key, method="GET", headers={"Authorization": ["Bearer " + key]}),
                Response(body='{"echo": "' + key + '"}', headers={"Content-Type": ["application/json"]}),
                0,
            )
        ]
    )
    redactor = Redactor()
    redacted = redactor.redact_cassette(cassette)
    redactor.assert_clean_cassette(redacted, "not YAML at all: [", tmp_path / "c.yaml")  # no text is parsed
    with pytest.raises(SecretFoundError):
        redactor.assert_clean_cassette(cassette, groq_vcr.dump_cassette(cassette), tmp_path / "c.yaml")
