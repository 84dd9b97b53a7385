"""groq-vcr performance benchmark: replay, load, memory, pytest overhead and streaming, against the floor and vcrpy.

Run from the project's virtualenv::

    python tools/bench.py            # full run, under 5 minutes on a 2-core machine
    python tools/bench.py --quick    # smoke run, under 30 s (N of 100 and 1,000, fewer repetitions)

Everything is measured in the same run on the same machine, and printed as ONE markdown table (also written to
``tools/bench-results.md``):

- **replay**: N chat-completion requests (3 in 4 JSON, 1 in 4 SSE streams, all distinct) replayed in order
  through an ``httpx.Client``: ``httpx.MockTransport`` with a dict lookup (the floor), groq-vcr
  (``activate(CassetteSession(...))``), and vcrpy with its own YAML format, matching on
  method+URI+body and on method+URI. vcrpy's cost per request grows with the request's position in the cassette,
  so where a full pass would blow the time budget it is timed on a stratified sample of positions, the
  cassette being advanced to each one by marking the earlier interactions as played (as replaying them would);
  the table says where.
- **load**: each measurement runs in a fresh child process, which also reports its peak RSS above the
  interpreter's baseline (``VmHWM`` before/after). groq-vcr *cold* = first load (parse + cache store),
  *warm* = unchanged file in a new process (answered from the parsed-cassette cache); reference: ``json.loads``
  of the same interactions as JSON; vcrpy: ``vcr.cassette.Cassette.load`` of its own format.
  The floor of a YAML load is libyaml's bare event scan of the same file (``yaml.parse`` with ``CSafeLoader``).
- **other-client bodies**: the same replay against a cassette whose JSON request bodies are equal as JSON but
  not byte-identical (keys in another order, other spacing), as another client or language records them.
- **save**: redact + secret check + emit + atomic write of N interactions (over the file the previous save
  wrote), against emitting the same cassette alone.
- **vision**: one request whose JSON body carries a multi-MB base64 image.
- **pytest**: generated projects of 200 and 1,000 tests (and 1,000 under ``pytest -n 2``), one cassette each
  and one session-wide ``httpx.Client``, run in subprocesses: the floor answers the same tests with
  ``httpx.MockTransport`` and loads no cassette plugin (``-p no:groq_vcr -p no:recording``); then
  ``@pytest.mark.vcr`` with groq-vcr, and with vcrpy + pytest-recording (groq-vcr's plugin off).
- **streaming**: time from the server writing the first SSE event to the caller reading it, live vs recording.
- **plugin import**: what loading groq-vcr's pytest plugin adds to ``import pytest`` (``python -X importtime``
  in fresh processes): pytest loads it in every run of every project that has groq-vcr installed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import dataclasses
import gc
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

import groq_vcr
from groq_vcr import Cassette, Interaction, Request, Response

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "tools" / "bench-results.md"
CHAT_URL = "https://api.groq.com/openai/v1/chat/completions"
MODELS = ("llama-3.3-70b-versatile", "openai/gpt-oss-20b", "llama-3.1-8b-instant", "qwen/qwen3-32b")
_SENTENCE = (
    "the quick brown fox jumps over a lazy dog while groq serves tokens at remarkable speed and every "
    "cassette replays offline in milliseconds without a key or network"
)
WORDS = tuple(_SENTENCE.split(" "))
SEND_HEADERS = {"content-type": "application/json", "authorization": "Bearer test-key", "user-agent": "bench"}


# ------------------------------------------------------------------------------------------------- workload


@dataclasses.dataclass(frozen=True)
class Call:
    """One request the client makes, and whether it streams."""

    url: str
    body: bytes
    stream: bool


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _request_headers(body: bytes, stream: bool) -> dict[str, list[str]]:
    return {
        "Accept": ["text/event-stream" if stream else "application/json"],
        "Accept-Encoding": ["gzip, deflate"],
        "Authorization": ["Bearer REDACTED"],
        "Connection": ["keep-alive"],
        "Content-Length": [str(len(body))],
        "Content-Type": ["application/json"],
        "User-Agent": ["Groq/Python 1.7.0"],
        "X-Stainless-Arch": ["x64"],
        "X-Stainless-Async": ["false"],
        "X-Stainless-Lang": ["python"],
        "X-Stainless-Os": ["Linux"],
        "X-Stainless-Package-Version": ["1.7.0"],
        "X-Stainless-Read-Timeout": ["600"],
        "X-Stainless-Retry-Count": ["0"],
        "X-Stainless-Runtime": ["CPython"],
        "X-Stainless-Runtime-Version": ["3.11.7"],
    }


def _response_headers(index: int, stream: bool) -> dict[str, list[str]]:
    request_id = hashlib.sha256(f"req{index}".encode()).hexdigest()[:26]
    headers = {
        "Alt-Svc": ['h3=":443"; ma=86400'],
        "Cache-Control": ["private, max-age=0, no-store, no-cache, must-revalidate"],
        "Cf-Cache-Status": ["DYNAMIC"],
        "Cf-Ray": [f"{request_id[:16]}-SJC"],
        "Content-Type": ["text/event-stream" if stream else "application/json"],
        "Date": ["Mon, 12 May 2025 10:00:00 GMT"],
        "Server": ["cloudflare"],
        "Set-Cookie": ["__cf_bm=REDACTED; path=/; expires=Mon, 12-May-25 10:30:00 GMT; domain=.groq.com; HttpOnly"],
        "Vary": ["Origin, Accept-Encoding"],
        "Via": ["1.1 google"],
        "X-Groq-Region": ["us-west-1"],
        "X-Ratelimit-Limit-Requests": ["14400"],
        "X-Ratelimit-Limit-Tokens": ["6000"],
        "X-Ratelimit-Remaining-Requests": [str(14399 - index % 14000)],
        "X-Ratelimit-Remaining-Tokens": [str(5900 - index % 5000)],
        "X-Ratelimit-Reset-Requests": ["6s"],
        "X-Ratelimit-Reset-Tokens": ["1.02s"],
        "X-Request-Id": [f"req_{request_id}"],
    }
    if stream:
        headers["Transfer-Encoding"] = ["chunked"]
    return headers


def _completion_id(index: int) -> str:
    return "chatcmpl-" + hashlib.sha256(f"c{index}".encode()).hexdigest()[:24]


def _usage(rng: random.Random) -> dict[str, Any]:
    prompt, completion = rng.randint(20, 80), rng.randint(20, 120)
    return {
        "queue_time": round(rng.random() / 100, 6),
        "prompt_tokens": prompt,
        "prompt_time": round(rng.random() / 100, 6),
        "completion_tokens": completion,
        "completion_time": round(rng.random() / 5, 6),
        "total_tokens": prompt + completion,
        "total_time": round(rng.random() / 4, 6),
    }


def _json_response(index: int, model: str, rng: random.Random) -> str:
    payload = {
        "id": _completion_id(index),
        "object": "chat.completion",
        "created": 1747044000 + index,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": _text(rng, 60)},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(rng),
        "usage_breakdown": None,
        "system_fingerprint": "fp_" + hashlib.sha256(model.encode()).hexdigest()[:10],
        "x_groq": {"id": "req_" + hashlib.sha256(f"x{index}".encode()).hexdigest()[:26]},
        "service_tier": "on_demand",
    }
    return json.dumps(payload, separators=(",", ":")) + "\n"


def _sse_response(index: int, model: str, rng: random.Random) -> str:
    base = {
        "id": _completion_id(index),
        "object": "chat.completion.chunk",
        "created": 1747044000 + index,
        "model": model,
        "system_fingerprint": "fp_" + hashlib.sha256(model.encode()).hexdigest()[:10],
    }
    events = []
    for k in range(10):
        delta: dict[str, Any] = {"content": " " + _text(rng, 3)}
        if k == 0:
            delta = {"role": "assistant", "content": ""}
        chunk: dict[str, Any] = {
            **base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}],
        }
        if k == 0:
            chunk["x_groq"] = {"id": "req_" + hashlib.sha256(f"x{index}".encode()).hexdigest()[:26]}
        events.append(chunk)
    last = {**base, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]}
    last["x_groq"] = {"id": events[0]["x_groq"]["id"], "usage": _usage(rng)}
    events.append(last)
    return "".join(f"data: {json.dumps(e, separators=(',', ':'))}\n\n" for e in events) + "data: [DONE]\n\n"


def make_workload(n: int, seed: int = 7) -> list[tuple[Call, Interaction]]:
    """``n`` distinct chat-completion calls (1 in 4 streamed) and the interactions that answer them."""
    rng = random.Random(seed)
    out = []
    for index in range(n):
        stream = index % 4 == 3
        model = MODELS[index % len(MODELS)]
        body_obj = {
            "messages": [
                {"role": "system", "content": "You are a concise assistant."},
                {"role": "user", "content": f"Question {index}: {_text(rng, 12)}?"},
            ],
            "model": model,
            "temperature": 0.2,
            "max_completion_tokens": 256,
            **({"stream": True} if stream else {}),
        }
        body = json.dumps(body_obj).encode()
        text = _sse_response(index, model, rng) if stream else _json_response(index, model, rng)
        request = Request(
            proto="HTTP/1.1",
            proto_major=1,
            proto_minor=1,
            content_length=len(body),
            body=body.decode(),
            headers=_request_headers(body, stream),
            url=CHAT_URL,
            method="POST",
        )
        response = Response(
            proto="HTTP/2.0",
            proto_major=2,
            proto_minor=0,
            content_length=-1 if stream else len(text.encode()),
            uncompressed=not stream,
            body=text,
            headers=_response_headers(index, stream),
            status="200 OK",
            code=200,
            duration=rng.randint(80_000_000, 400_000_000),
        )
        out.append((Call(CHAT_URL, body, stream), Interaction(request, response, id=index)))
    return out


def make_vision(megabytes: int) -> tuple[Call, Interaction]:
    """One OCR-by-vision request whose body carries a ``megabytes`` MB base64 image."""
    rng = random.Random(11)
    image = base64.b64encode(rng.randbytes(megabytes * 1024 * 1024 * 3 // 4)).decode()
    body_obj = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Transcribe the text in this image."},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64," + image}},
                ],
            }
        ],
        "model": "meta-llama/llama-4-scout-17b-16e-instruct",
    }
    body = json.dumps(body_obj).encode()
    text = _json_response(0, "meta-llama/llama-4-scout-17b-16e-instruct", rng)
    request = Request(
        content_length=len(body), body=body.decode(), headers=_request_headers(body, False), url=CHAT_URL, method="POST"
    )
    response = Response(
        proto="HTTP/2.0",
        proto_major=2,
        proto_minor=0,
        content_length=len(text),
        body=text,
        headers=_response_headers(0, False),
        status="200 OK",
        code=200,
        duration=1_200_000_000,
    )
    return Call(CHAT_URL, body, False), Interaction(request, response)


# ------------------------------------------------------------------------------------------------ cassettes


@dataclasses.dataclass
class Files:
    """The same interactions in every format the benchmark loads."""

    n: int
    groq: Path
    vcrpy: Path
    json: Path


def write_groq(path: Path, interactions: Sequence[Interaction]) -> None:

    path.write_text(groq_vcr.dump_cassette(Cassette(interactions=list(interactions))), encoding="utf-8")


def vcrpy_records(interactions: Sequence[Interaction]) -> tuple[list[Any], list[dict[str, Any]]]:
    """The (requests, responses) vcrpy's httpx stub would have recorded for these interactions."""
    from vcr.request import Request as VcrRequest

    requests, responses = [], []
    for interaction in interactions:
        req, resp = interaction.request, interaction.response
        headers = {name.lower(): values[0] for name, values in req.headers.items()}
        requests.append(VcrRequest(req.method, req.url, req.body_bytes, headers))
        responses.append(
            {
                "status": {"code": resp.code, "message": resp.status.partition(" ")[2]},
                "headers": {name.lower(): list(values) for name, values in resp.headers.items()},
                "body": {"string": resp.body_bytes},
            }
        )
    return requests, responses


def write_vcrpy(path: Path, interactions: Sequence[Interaction]) -> None:
    from vcr.serialize import serialize
    from vcr.serializers import yamlserializer

    requests, responses = vcrpy_records(interactions)
    path.write_text(serialize({"requests": requests, "responses": responses}, yamlserializer), encoding="utf-8")


def write_json(path: Path, interactions: Sequence[Interaction]) -> None:
    data = {"version": 2, "interactions": [dataclasses.asdict(i) for i in interactions]}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def write_files(folder: Path, name: str, interactions: Sequence[Interaction], *, vcrpy: bool = True) -> Files:
    files = Files(len(interactions), folder / f"{name}.yaml", folder / f"{name}.vcrpy.yaml", folder / f"{name}.json")
    write_groq(files.groq, interactions)
    write_json(files.json, interactions)
    if vcrpy:
        write_vcrpy(files.vcrpy, interactions)
    return files


# ---------------------------------------------------------------------------------------- child processes


def _rss_bytes() -> int:
    """Peak resident set size of this process so far.

    ``VmHWM`` rather than ``ru_maxrss``: after ``fork`` + ``exec`` Linux carries the parent's peak into the
    child's ``ru_maxrss``, which would hide a child's whole load behind a large parent.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child_main(spec: dict[str, Any]) -> dict[str, Any]:
    """Runs in a fresh interpreter: load one file ``runs`` times; report times and peak RSS above baseline."""
    kind, path, runs = spec["kind"], Path(spec["path"]), int(spec["runs"])
    load: Callable[[], object]
    if kind == "json":

        def load() -> object:
            return json.loads(path.read_text(encoding="utf-8"))

    elif kind == "yaml-events":
        import yaml

        def load() -> object:
            with open(path, "rb") as handle:
                return sum(1 for _ in yaml.parse(handle, Loader=yaml.CSafeLoader))

    elif kind == "vcrpy":
        from vcr.cassette import Cassette as VcrCassette

        def load() -> object:
            return VcrCassette.load(path=str(path))

    else:
        from groq_vcr.cassette import cached_load, clear_cache

        def load() -> object:
            clear_cache(disk=False)
            return cached_load(path, groq_vcr.load_cassette)

    shared_cache = os.environ.get("GROQ_VCR_CACHE_DIR", "")
    gc.collect()
    baseline = _rss_bytes()
    times = []
    first_peak = 0
    for run_index in range(runs):
        scratch = None
        if kind == "groq-cold":  # a first run: nothing cached anywhere
            scratch = Path(tempfile.mkdtemp(prefix="cold-cache-", dir=os.path.dirname(shared_cache) or None))
            os.environ["GROQ_VCR_CACHE_DIR"] = str(scratch)
        started = time.perf_counter()
        value = load()
        times.append(time.perf_counter() - started)
        if run_index == 0:
            # The first load in a fresh process is the scenario; later ones only add timings (their peaks
            # would also measure how the allocator reuses what the earlier loads freed).
            first_peak = _rss_bytes() - baseline
        del value
        gc.collect()
        if scratch is not None:
            if run_index == runs - 1 and shared_cache:  # what the last cold load stored serves the warm child
                for stored in scratch.glob("*/*.pickle"):
                    target = Path(shared_cache) / stored.relative_to(scratch)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(stored, target)
            shutil.rmtree(scratch, ignore_errors=True)
    return {"times": times, "peak": first_peak}


def run_child(kind: str, path: Path, runs: int, env: dict[str, str] | None = None) -> dict[str, Any]:
    spec = json.dumps({"kind": kind, "path": str(path), "runs": runs})
    completed = subprocess.run(
        [sys.executable, __file__, "--child", spec],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark child {kind} {path} failed:\n{completed.stderr}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


# ----------------------------------------------------------------------------------------------- replay


def consume(client: httpx.Client, call: Call) -> None:
    """Send one call and read the whole response (a stream line by line, as the SDKs do)."""
    if call.stream:
        with client.stream("POST", call.url, content=call.body, headers=SEND_HEADERS) as response:
            for _ in response.iter_lines():
                pass
    else:
        response = client.post(call.url, content=call.body, headers=SEND_HEADERS)
        response.read()


def _timed_pass(client: httpx.Client, calls: Sequence[Call]) -> float:
    # The parent holds every workload (millions of objects): freezing them keeps each collection, here and
    # during the pass, from scanning them all. Mock and groq-vcr passes run under the same collector state.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    for call in calls:
        consume(client, call)
    return (time.perf_counter() - started) / len(calls)


def replay_mock(workload: Sequence[tuple[Call, Interaction]]) -> float:
    """Seconds per request through ``httpx.MockTransport`` answering from a dict (the floor)."""
    answers: dict[tuple[str, str, bytes], collections.deque[Response]] = {}
    for call, interaction in workload:
        answers.setdefault(("POST", call.url, call.body), collections.deque()).append(interaction.response)

    def handler(request: httpx.Request) -> httpx.Response:
        recorded = answers[(request.method, str(request.url), request.content)].popleft()
        headers = [(name, value) for name, values in recorded.headers.items() for value in values]
        return httpx.Response(recorded.code, headers=headers, content=recorded.body_bytes)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        return _timed_pass(client, [call for call, _ in workload])


def other_client_bodies(interactions: Sequence[Interaction]) -> list[Interaction]:
    """The interactions as another client would have recorded them: every JSON request body equal as JSON but
    not byte-identical (keys in reverse order, other spacing), so replay cannot match on the bytes."""
    out = []
    for interaction in interactions:
        body = interaction.request.body
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        try:
            value = json.loads(text)
        except ValueError:
            out.append(interaction)
            continue
        if isinstance(value, dict):
            value = dict(reversed(value.items()))
        other = json.dumps(value, indent=1, separators=(",", " : "))
        request = dataclasses.replace(interaction.request, body=other, content_length=len(other.encode()))
        out.append(dataclasses.replace(interaction, request=request))
    return out


def open_groq(path: Path) -> Any:
    """A groq-vcr session on ``path`` (this loads the cassette; callers time it apart)."""
    from groq_vcr.engine import CassetteSession

    return CassetteSession(path)


def replay_groq(session: Any, calls: Sequence[Call]) -> tuple[float, Any]:
    """Seconds per request through groq-vcr; each pass starts from a fresh player (nothing played, no index)."""
    from groq_vcr.engine import Player, activate

    options = session.options
    session.player = Player(
        session.cassette.interactions, allow_repeats=options.allow_repeats, mask=options.redactor.mask
    )
    with httpx.Client() as client, activate(session):
        per_request = _timed_pass(client, calls)
    return per_request, session.player.stats


class MemoryPersister:
    """A vcrpy persister that hands over already-deserialised interactions (their load is measured apart)."""

    def __init__(self, requests: list[Any], responses: list[dict[str, Any]]) -> None:
        self.requests, self.responses = requests, responses

    def load_cassette(self, cassette_path: str, serializer: Any) -> tuple[list[Any], list[dict[str, Any]]]:
        return self.requests, self.responses

    def save_cassette(self, cassette_path: str, cassette_dict: Any, serializer: Any) -> None:
        raise AssertionError("the benchmark never records")


def replay_vcrpy(
    records: tuple[list[Any], list[dict[str, Any]]], calls: Sequence[Call], match_on: Sequence[str], sample: int | None
) -> float:
    """Seconds per request through vcrpy; with ``sample``, the mean over that many stratified positions."""
    import vcr

    my_vcr = vcr.VCR(record_mode="none", match_on=tuple(match_on))
    my_vcr.register_persister(MemoryPersister(*records))
    with my_vcr.use_cassette("bench-in-memory.yaml") as cassette, httpx.Client() as client:
        if sample is None or sample >= len(calls):
            return _timed_pass(client, calls)
        n = len(calls)
        positions = sorted({int((k + 0.5) * n / sample) for k in range(sample)})
        times, marked = [], 0
        for position in positions:
            for earlier in range(marked, position):  # as if the calls before this one had been replayed
                cassette.play_counts[earlier] = 1
            marked = position + 1
            started = time.perf_counter()
            consume(client, calls[position])
            times.append(time.perf_counter() - started)
        return statistics.fmean(times)


# ------------------------------------------------------------------------------------------- pytest suite

_SUITE_COMMON = """
import json
import httpx
import pytest

URL = "https://api.groq.com/openai/v1/chat/completions"
HEADERS = {"content-type": "application/json", "authorization": "Bearer test-key"}


def body(k):
    return json.dumps({"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": f"test {k}"}]})
"""

_SUITE_MOCK = (
    _SUITE_COMMON
    + """

def _answer(request):
    k = json.loads(request.content)["messages"][0]["content"].split()[1]
    return httpx.Response(200, json={"id": f"chatcmpl-{k}", "choices": [{"message": {"content": f"answer {k}"}}]})


@pytest.fixture(scope="session")
def client():
    with httpx.Client(transport=httpx.MockTransport(_answer)) as c:
        yield c
"""
)

_SUITE_VCR = (
    _SUITE_COMMON
    + """

@pytest.fixture(scope="session")
def client():
    with httpx.Client() as c:
        yield c
"""
)

_SUITE_TEST = """

{marker}def test_{k}(client):
    response = client.post(URL, content=body({k}), headers=HEADERS)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "answer {k}"
"""


def _suite_interaction(k: int) -> Interaction:
    body = json.dumps({"model": "llama-3.3-70b-versatile", "messages": [{"role": "user", "content": f"test {k}"}]})
    answer = json.dumps({"id": f"chatcmpl-{k}", "choices": [{"message": {"content": f"answer {k}"}}]})
    return Interaction(
        Request(
            content_length=len(body), body=body, headers=_request_headers(body.encode(), False), url=CHAT_URL,
            method="POST",
        ),
        Response(
            proto="HTTP/2.0", proto_major=2, proto_minor=0, content_length=len(answer), body=answer,
            headers=_response_headers(k, False), status="200 OK", code=200, duration=150_000_000,
        ),
    )  # fmt: skip


def write_suite(root: Path, tests: int) -> None:
    """A project with the same ``tests`` tests three ways: MockTransport, groq-vcr cassettes, vcrpy cassettes."""
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    for module, header, marker in (
        ("test_mock", _SUITE_MOCK, ""),
        ("test_groq_vcr", _SUITE_VCR, "@pytest.mark.vcr\n"),
        ("test_vcrpy", _SUITE_VCR, "@pytest.mark.vcr\n"),
    ):
        text = header + "".join(_SUITE_TEST.format(k=k, marker=marker) for k in range(tests))
        (root / f"{module}.py").write_text(text)
    for module, writer in (("test_groq_vcr", write_groq), ("test_vcrpy", write_vcrpy)):
        folder = root / "cassettes" / module
        folder.mkdir(parents=True)
        for k in range(tests):
            writer(folder / f"test_{k}.yaml", [_suite_interaction(k)])


SUITE_MODES = ("floor", "groq-vcr", "vcrpy")
"""The three runs of one suite: MockTransport with no cassette plugin loaded, groq-vcr, vcrpy + pytest-recording."""


def suite_args(mode: str, workers: int) -> list[str]:
    """The pytest command line of one mode: the floor loads neither groq-vcr's plugin nor pytest-recording."""
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"]
    if workers:
        args += ["-n", str(workers)]
    if mode == "floor":
        return [*args, "test_mock.py", "-p", "no:groq_vcr", "-p", "no:recording"]
    if mode == "vcrpy":
        return [*args, "test_vcrpy.py", "-p", "no:groq_vcr", "--record-mode=none"]
    return [*args, "test_groq_vcr.py", "--record-mode=none"]


def run_suite(root: Path, mode: str, env: dict[str, str], workers: int = 0) -> float:
    started = time.perf_counter()
    completed = subprocess.run(
        suite_args(mode, workers), cwd=root, capture_output=True, text=True, env={**os.environ, **env}, check=False
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"the {mode} suite failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-2000:]}")
    return elapsed


# ---------------------------------------------------------------------------------------------- streaming


def _sse_app(sent: list[float], events: int, gap: float) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    async def chat(request: StarletteRequest) -> StreamingResponse:
        await request.body()

        async def generate() -> Any:
            for k in range(events):
                if k:
                    await asyncio.sleep(gap)
                chunk = {"id": "chatcmpl-bench", "choices": [{"index": 0, "delta": {"content": f"word{k} "}}]}
                if k == 0:
                    sent.append(time.perf_counter())
                yield f"data: {json.dumps(chunk)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(generate(), media_type="text/event-stream")

    return Starlette(routes=[Route("/openai/v1/chat/completions", chat, methods=["POST"])])


def first_event_latency(runs: int, folder: Path) -> tuple[float, float, float]:
    """Median (live, recording) seconds from the server writing the first event to the caller reading it,
    and the stream's full length (what a drain-then-replay recorder would add)."""
    from groq_vcr.engine import CassetteSession, SessionOptions, activate
    from groq_vcr.servers import run_in_thread

    events, gap = 6, 0.05
    sent: list[float] = []
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}).encode()

    def one(client: httpx.Client, url: str) -> float:
        received = 0.0
        with client.stream("POST", url, content=body, headers=SEND_HEADERS) as response:
            for line in response.iter_lines():
                if not received and line.startswith("data:"):
                    received = time.perf_counter()
        return received - sent[-1]

    with run_in_thread(_sse_app(sent, events, gap)) as server, httpx.Client() as client:
        url = server.base_url + "/openai/v1/chat/completions"
        one(client, url)  # warm the connection
        live, recording = [], []
        for k in range(runs):
            live.append(one(client, url))
            session = CassetteSession(folder / f"rec{k}.yaml", SessionOptions(record_mode="all"))
            with activate(session):
                recording.append(one(client, url))
            recorded = session.recorded
            assert recorded, "the recording session kept nothing"
            assert str(recorded[0].response.body).count("data:") == events + 1
    return statistics.median(live), statistics.median(recording), (events - 1) * gap


# ------------------------------------------------------------------------------------------------ plugin import

# What pytest does with the plugin: import the entry point's module, then every module its pytest_plugins lists.
_PLUGIN_IMPORT = (
    "import importlib, pytest, groq_vcr.pytest_plugin as plugin\n"
    "for name in plugin.pytest_plugins:\n"
    "    importlib.import_module(name)\n"
)


def plugin_import_times(runs: int) -> tuple[float, float]:
    """Median (pytest's own import, what the plugin adds after it) in seconds, from ``-X importtime`` runs.

    The plugin's share is every top-level import after pytest's: the plugin modules and all they pull in.
    """
    pytest_times, plugin_times = [], []
    for _ in range(runs):
        child = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", _PLUGIN_IMPORT], capture_output=True, text=True, check=True
        )
        own, added, seen = 0, 0, False
        for line in child.stderr.splitlines():
            if not line.startswith("import time:") or "[us]" in line:
                continue
            _, cumulative, name = line.split("|")
            if name.startswith("  "):  # nested: counted in its top-level import's cumulative time
                continue
            if name.strip() == "pytest":
                own, seen = int(cumulative), True
            elif seen:
                added += int(cumulative)
        pytest_times.append(own / 1e6)
        plugin_times.append(added / 1e6)
    return statistics.median(pytest_times), statistics.median(plugin_times)


# ----------------------------------------------------------------------------------------------- the run


@dataclasses.dataclass
class Plan:
    sizes: tuple[int, ...]
    replay_runs: dict[int, int]
    vcrpy_full_up_to: int
    vcrpy_sample: dict[int, int]
    vcrpy_runs: int
    vcrpy_load_up_to: int
    load_runs: dict[int, int]
    vision_mb: int
    vision_runs: int
    suites: tuple[tuple[int, int], ...]
    """The pytest suites run: (tests, xdist workers; 0 = no xdist)."""
    suite_runs: int
    stream_runs: int
    import_runs: int


FULL = Plan(
    sizes=(10, 100, 1_000, 5_000, 20_000),
    replay_runs={10: 21, 100: 11, 1_000: 7, 5_000: 5, 20_000: 5},
    vcrpy_full_up_to=100,
    vcrpy_sample={1_000: 16, 5_000: 8, 20_000: 3},
    vcrpy_runs=3,
    vcrpy_load_up_to=5_000,
    load_runs={10: 5, 100: 5, 1_000: 3, 5_000: 3, 20_000: 1},
    vision_mb=10,
    vision_runs=3,
    suites=((200, 0), (1_000, 0), (1_000, 2)),
    suite_runs=3,
    stream_runs=10,
    import_runs=11,
)
QUICK = Plan(
    sizes=(100, 1_000),
    replay_runs={100: 3, 1_000: 3},
    vcrpy_full_up_to=100,
    vcrpy_sample={1_000: 4},
    vcrpy_runs=1,
    vcrpy_load_up_to=100,
    load_runs={100: 3, 1_000: 1},
    vision_mb=4,
    vision_runs=1,
    suites=((30, 0),),
    suite_runs=1,
    stream_runs=5,
    import_runs=5,
)


def _ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:.3f} ms" if value < 1 else f"{value:.2f} ms" if value < 100 else f"{value:,.0f} ms"


def _s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _mib(size: float) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


def _peak(peak: int, size: int) -> str:
    if peak < 1024 * 1024:  # the allocator's reuse of pages the interpreter already holds dominates
        return "< 1 MiB"
    return f"{_mib(peak)} = {peak / size:.1f}× file"


def _x(value: float) -> str:
    return f"{value:.2f}×" if value < 10 else f"{value:,.0f}×"


def _check(ok: bool) -> str:
    return "✅" if ok else "❌"


class Table:
    COLUMNS = (
        "Measure",
        "N",
        "groq-vcr",
        "floor / reference",
        "vcrpy method+URI+body",
        "vcrpy method+URI",
        "groq-vcr ÷ floor",
        "vcrpy ÷ groq-vcr",
        "target",
    )

    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def add(self, *cells: str) -> None:
        row = list(cells) + [""] * (len(self.COLUMNS) - len(cells))
        self.rows.append(row)
        print("  " + " | ".join(c for c in row if c), file=sys.stderr, flush=True)

    def render(self) -> str:
        lines = ["| " + " | ".join(self.COLUMNS) + " |", "|" + "|".join("---" for _ in self.COLUMNS) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run(plan: Plan, folder: Path) -> tuple[Table, list[str]]:
    table, notes = Table(), []
    cache_dir = folder / "cache"
    os.environ["GROQ_VCR_CACHE_DIR"] = str(cache_dir)
    largest = max(plan.sizes)
    at_100: dict[str, float] = {}
    laps: dict[str, float] = {}
    lap_started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal lap_started
        now = time.perf_counter()
        laps[name] = now - lap_started
        lap_started = now
        print(f"[{name}: {laps[name]:.0f} s]", file=sys.stderr, flush=True)

    workload = make_workload(largest)
    lap("workload")

    # ---- replay, per request
    for n in plan.sizes:
        part = workload[:n]
        calls = [c for c, _ in part]
        files = write_files(folder, f"n{n}", [i for _, i in part], vcrpy=n <= plan.vcrpy_load_up_to)
        mock_times, groq_times = [], []
        stats = None
        session = open_groq(files.groq)
        lap(f"write+open N={n:,}")
        for _ in range(plan.replay_runs[n]):  # interleaved, so drift in machine speed hits both alike
            mock_times.append(replay_mock(part))
            per_request, stats = replay_groq(session, calls)
            groq_times.append(per_request)
        mock, groq = statistics.median(mock_times), statistics.median(groq_times)
        lap(f"replay N={n:,}")
        records = vcrpy_records([i for _, i in part])
        sample = None if n <= plan.vcrpy_full_up_to else plan.vcrpy_sample.get(n)
        vcrpy_cells = []
        for match_on in (("method", "uri", "body"), ("method", "uri")):
            runs = plan.vcrpy_runs if sample is None else 1
            value = statistics.median(replay_vcrpy(records, calls, match_on, sample) for _ in range(runs))
            vcrpy_cells.append((value, sample))
        vb, vu = vcrpy_cells[0][0], vcrpy_cells[1][0]
        lap(f"vcrpy replay N={n:,}")
        tag = f" (sample of {sample})" if sample else ""
        table.add(
            "replay, per request",
            f"{n:,}",
            _ms(groq),
            f"MockTransport {_ms(mock)}",
            _ms(vb) + tag,
            _ms(vu) + tag,
            _x(groq / mock),
            f"{_x(vb / groq)} / {_x(vu / groq)}",
            f"≤ 1.5× floor {_check(groq <= 1.5 * mock)}",
        )
        if stats is not None:
            notes.append(
                f"N={n:,}: last groq-vcr pass made {stats.lookups:,} index lookups, canonicalised "
                f"{stats.bodies_canonicalised:,} recorded bodies, ran {stats.closest_searches} closest searches."
            )
        # ---- the same requests against bodies recorded by another client (equal as JSON, other bytes)
        other_path = folder / f"n{n}-other-client.yaml"
        write_groq(other_path, other_client_bodies([i for _, i in part]))
        other_session = open_groq(other_path)
        mock_times, other_times = [], []
        other_stats = None
        for _ in range(max(3, plan.replay_runs[n] // 2)):
            mock_times.append(replay_mock(part))
            per_request, other_stats = replay_groq(other_session, calls)
            other_times.append(per_request)
        other_mock, other = statistics.median(mock_times), statistics.median(other_times)
        del other_session
        table.add(
            "replay, per request, JSON bodies equal but not byte-identical (another client recorded them)",
            f"{n:,}",
            _ms(other),
            f"MockTransport {_ms(other_mock)}",
            "",
            "",
            _x(other / other_mock),
            "",
            f"≤ 1.2× floor {_check(other <= 1.2 * other_mock)}",
        )
        if other_stats is not None:
            notes.append(
                f"N={n:,}, bodies from another client: last groq-vcr pass made {other_stats.lookups:,} index "
                f"lookups, canonicalised {other_stats.bodies_canonicalised:,} recorded bodies, ran "
                f"{other_stats.closest_searches} closest searches."
            )
        lap(f"replay other-client bodies N={n:,}")
        if n == 100:
            at_100 = {"groq": groq, "mock": mock, "vb": vb, "vu": vu}
        if n == 5_000 and at_100:
            ratio = groq / at_100["groq"]
            table.add(
                "replay scaling: per request at N ÷ at N=100",
                "5,000",
                _x(ratio),
                _x(mock / at_100["mock"]),
                _x(vb / at_100["vb"]),
                _x(vu / at_100["vu"]),
                "",
                "",
                f"≤ 1.3× {_check(ratio <= 1.3)}",
            )

        # ---- load (fresh child process per measurement)
        runs = plan.load_runs[n]
        size = files.groq.stat().st_size
        cold = run_child("groq-cold", files.groq, runs)  # its last run leaves the file in the cache
        warm = run_child("groq-warm", files.groq, runs)
        ref = run_child("json", files.json, runs)
        scan = run_child("yaml-events", files.groq, runs)
        vc = run_child("vcrpy", files.vcrpy, 1 if n >= 1_000 else runs) if n <= plan.vcrpy_load_up_to else None
        t_cold, t_warm, t_json, t_scan = (statistics.median(r["times"]) for r in (cold, warm, ref, scan))
        t_vcrpy = statistics.median(vc["times"]) if vc else None
        vcrpy_size = files.vcrpy.stat().st_size if vc else 0
        table.add(
            "load, cold (first run: parse + cache store)",
            f"{n:,}",
            _s(t_cold),
            f"json.loads {_s(t_json)}",
            f"{_s(t_vcrpy)} (own format)" if t_vcrpy else "not run (time budget)",
            "(same load)",
            _x(t_cold / t_json),
            _x(t_vcrpy / t_cold) if t_vcrpy else "",
            f"vcrpy ≥ 2× groq-vcr {_check(t_vcrpy >= 2 * t_cold)}" if t_vcrpy and n == 5_000 else "",
        )
        table.add(
            "load, cold, against libyaml's bare event scan of the same file",
            f"{n:,}",
            _s(t_cold),
            f"yaml.parse (CSafeLoader) {_s(t_scan)}",
            "",
            "",
            _x(t_cold / t_scan),
            "",
            f"≤ 1.5× event scan {_check(t_cold <= 1.5 * t_scan)}",
        )
        table.add(
            "load, warm (unchanged file, new process)",
            f"{n:,}",
            _s(t_warm),
            f"json.loads {_s(t_json)}",
            "",
            "",
            _x(t_warm / t_json),
            _x(t_vcrpy / t_warm) if t_vcrpy else "",
            f"≤ json.loads {_check(t_warm <= t_json)}",
        )
        peak = cold["peak"] if cold["peak"] >= 1024 * 1024 else None  # below a MiB the ratio is noise
        table.add(
            "peak memory while loading (cold), above baseline",
            f"{n:,}",
            f"{_peak(cold['peak'], size)} ({_mib(size)})",
            f"json.loads {_mib(ref['peak'])}",
            f"{_mib(vc['peak'])} = {vc['peak'] / vcrpy_size:.1f}× its file ({_mib(vcrpy_size)})" if vc else "",
            "",
            "",
            _x(vc["peak"] / peak) if vc and peak else "",
            f"≤ 3× file {_check(cold['peak'] <= 3 * size)}" if n == 5_000 else "",
        )
        table.add(
            "peak memory while loading (warm), above baseline",
            f"{n:,}",
            _peak(warm["peak"], size),
        )
        lap(f"load N={n:,}")

        # ---- save: what a recording test pays at teardown, against emitting the same cassette alone
        cassette = Cassette(interactions=[i for _, i in part])
        redactor = groq_vcr.Redactor()
        target = folder / f"save-n{n}.yaml"

        def check(written: Cassette, text: str, target: Path = target, redactor: groq_vcr.Redactor = redactor) -> None:
            redactor.assert_clean_cassette(written, text, target)

        emit_times, save_times = [], []
        for _ in range(max(2, min(plan.load_runs[n], 3))):  # interleaved
            started = time.perf_counter()
            groq_vcr.dump_cassette(cassette)
            emit_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            groq_vcr.save_cassette(target, redactor.redact_cassette(cassette), check=check)
            save_times.append(time.perf_counter() - started)
        emit, save = statistics.median(emit_times), statistics.median(save_times)
        table.add(
            "save: redact + secret check + emit + atomic write",
            f"{n:,}",
            _s(save),
            f"emit alone {_s(emit)}",
            "",
            "",
            _x(save / emit),
            "",
            f"≤ 2× emit {_check(save <= 2 * emit)}",
        )
        lap(f"save N={n:,}")

    # ---- vision
    call, interaction = make_vision(plan.vision_mb)
    files = write_files(folder, "vision", [interaction])
    mock_times, groq_times = [], []
    session = open_groq(files.groq)
    for _ in range(5):
        mock_times.append(replay_mock([(call, interaction)]))
        groq_times.append(replay_groq(session, [call])[0])
    records = vcrpy_records([interaction])
    vb = statistics.median(replay_vcrpy(records, [call], ("method", "uri", "body"), None) for _ in range(3))
    vu = statistics.median(replay_vcrpy(records, [call], ("method", "uri"), None) for _ in range(3))
    mock, groq = statistics.median(mock_times), statistics.median(groq_times)
    size = files.groq.stat().st_size
    table.add(
        f"vision ({_mib(size)} request body): replay",
        "1",
        _ms(groq),
        f"MockTransport {_ms(mock)}",
        _ms(vb),
        _ms(vu),
        _x(groq / mock),
        f"{_x(vb / groq)} / {_x(vu / groq)}",
    )
    runs = plan.vision_runs
    cold = run_child("groq-cold", files.groq, max(runs, 2))  # its last run fills the cache for the warm one
    warm = run_child("groq-warm", files.groq, runs)
    ref = run_child("json", files.json, runs)
    vc = run_child("vcrpy", files.vcrpy, runs)
    t_cold, t_warm, t_json, t_vcrpy = (statistics.median(r["times"]) for r in (cold, warm, ref, vc))
    table.add(
        "vision: load cold / warm",
        "1",
        f"{_s(t_cold)} / {_s(t_warm)}",
        f"json.loads {_s(t_json)}",
        _s(t_vcrpy),
        "(same load)",
        f"{_x(t_cold / t_json)} / {_x(t_warm / t_json)}",
        f"{_x(t_vcrpy / t_cold)} / {_x(t_vcrpy / t_warm)}",
    )
    table.add(
        "vision: peak memory while loading (cold), above baseline",
        "1",
        _peak(cold["peak"], size),
        f"json.loads {_mib(ref['peak'])}",
        f"{_mib(vc['peak'])}",
    )

    lap("vision")

    # ---- pytest suite
    for tests, workers in plan.suites:
        suite_rows(table, notes, plan, folder, tests, workers)
    lap("pytest suite")

    # ---- plugin import
    own, added = plugin_import_times(plan.import_runs)
    table.add(
        "pytest plugin import: added to `import pytest`",
        str(plan.import_runs),
        _ms(added),
        f"import pytest {_ms(own)}",
        "",
        "",
        f"{added / own:.1%}",
        "",
        f"≤ 25 % of pytest {_check(added <= 0.25 * own)}",
    )
    lap("plugin import")

    # ---- streaming
    live, recording, length = first_event_latency(plan.stream_runs, folder)
    lap("streaming")
    table.add(
        "first SSE event: server write → caller read",
        "1",
        f"{_ms(recording)} recording",
        f"{_ms(live)} live",
        f"(vcrpy drains the stream first: ≥ {_ms(length)})",
        "",
        ("+" if recording >= live else "−") + _ms(abs(recording - live)),
        "",
        f"≤ live + 10 ms {_check(recording - live <= 0.010)}",
    )
    notes.append("Wall time per part: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in laps.items()) + ".")
    return table, notes


def suite_rows(table: Table, notes: list[str], plan: Plan, folder: Path, tests: int, workers: int) -> None:
    """Whole pytest runs of one generated suite: the floor (no cassette plugin), groq-vcr, vcrpy, interleaved."""
    suite = folder / f"suite-{tests}"
    if not suite.exists():
        suite.mkdir()
        write_suite(suite, tests)
    env = {"GROQ_VCR_CACHE_DIR": str(folder / f"suite-cache-{tests}"), "PYTHONDONTWRITEBYTECODE": "1"}
    cold = run_suite(suite, "groq-vcr", env, workers) if not workers else float("nan")  # also warms the OS caches
    load = [os.getloadavg()[0]]
    times: dict[str, list[float]] = {mode: [] for mode in SUITE_MODES}
    for _ in range(plan.suite_runs):
        for mode in SUITE_MODES:
            times[mode].append(run_suite(suite, mode, env, workers))
        load.append(os.getloadavg()[0])
    floor, groq, vcrpy = (statistics.median(times[mode]) for mode in SUITE_MODES)
    over_groq, over_vcrpy = (groq - floor) / tests, (vcrpy - floor) / tests
    how = f", pytest -n {workers}" if workers else ""
    table.add(
        f"pytest suite, one cassette per test, one module-level client (whole run{how})",
        f"{tests:,}",
        _s(groq) + (f" (cache cold: {_s(cold)})" if not workers else ""),
        f"MockTransport, no cassette plugin {_s(floor)}",
        f"{_s(vcrpy)} (vcrpy + pytest-recording, own format)",
        "",
        _x(groq / floor),
        _x(vcrpy / groq),
        f"≤ 1.1× floor {_check(groq <= 1.1 * floor)}",
    )
    table.add(
        f"pytest suite: overhead per test above the floor{how}",
        f"{tests:,}",
        _ms(over_groq),
        "0",
        _ms(over_vcrpy),
        "",
        "",
        _x(over_vcrpy / over_groq) if over_groq > 0 else "groq-vcr at or below the floor",
        f"vcrpy ≥ 3× groq-vcr {_check(over_groq <= 0 or over_vcrpy >= 3 * over_groq)}",
    )
    notes.append(
        f"Suite of {tests:,} tests{how}: runs (s) floor {_runs(times['floor'])}, groq-vcr {_runs(times['groq-vcr'])}, "
        f"vcrpy {_runs(times['vcrpy'])}; 1-minute load average {', '.join(f'{v:.2f}' for v in load)} "
        "(before the first round and after each)."
    )


def _runs(values: list[float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def _counts(values: dict[int, int]) -> str:
    return ", ".join(f"{runs} at N={n:,}" for n, runs in values.items())


def _passes(runs: int) -> str:
    return f"median of {runs} passes" if runs > 1 else "one pass"


def describe(plan: Plan) -> str:
    """The table's notes: how each row was measured and what is sampled, from the plan that ran."""
    samples = ", ".join(f"{k} at N={n:,}" for n, k in plan.vcrpy_sample.items() if n > plan.vcrpy_full_up_to)
    return textwrap.fill(
        "Replay: median of interleaved passes (groq-vcr and MockTransport alternate) of N distinct requests in "
        f"order, 3 in 4 JSON and 1 in 4 SSE read line by line; passes: {_counts(plan.replay_runs)}; cassette load "
        "not included. vcrpy replays every request for N up to "
        f"{plan.vcrpy_full_up_to:,} ({_passes(plan.vcrpy_runs)}); above that its cost per request grows with "
        'the request\'s position, so it is timed on a stratified sample of positions ("sample of k": '
        f"{samples}), the earlier interactions marked as played, one pass. Load and memory: a fresh child process "
        f"per measurement, median of {_counts(plan.load_runs)} loads (each cold load gets an empty cache; the "
        "last one's store then serves the warm child), peak RSS (VmHWM) of the child's first load "
        "above the interpreter's baseline; "
        "the event-scan floor is `yaml.parse` of the groq-vcr file with libyaml, consuming every event; "
        "vcrpy loads the same interactions in its own YAML format (its file size is shown), up to "
        f"N={plan.vcrpy_load_up_to:,}"
        + (", once at N ≥ 1,000" if plan.vcrpy_load_up_to >= 1_000 else "")
        + ". The pytest rows are whole `pytest` runs in a subprocess, median of "
        f"{plan.suite_runs} rounds, each running the floor (the same tests answered by `httpx.MockTransport`, "
        "with `-p no:groq_vcr -p no:recording`: no cassette plugin loaded), groq-vcr and vcrpy + "
        "pytest-recording (`-p no:groq_vcr`) in turn; every test posts once through a session-wide "
        "`httpx.Client`; the cache-cold groq-vcr run comes first and is not in the median."
        + f" First SSE event: median of {plan.stream_runs}. Plugin import: median of {plan.import_runs} fresh "
        "`python -X importtime` processes importing pytest, then `groq_vcr.pytest_plugin` and the modules its "
        "`pytest_plugins` lists (as pytest does); the plugin's figure is everything imported after pytest.",
        width=110,
    )


def machine() -> str:
    import vcr
    import yaml

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, httpx {httpx.__version__}, "
        f"vcrpy {vcr.__version__}, PyYAML {yaml.__version__} (libyaml {'yes' if yaml.__with_libyaml__ else 'no'})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: N of 100 and 1,000, fewer repetitions (< 30 s)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"markdown file to write (default: {RESULTS})")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child_main(json.loads(args.child))))
        return 0
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="groq-vcr-bench-") as tmp:
        table, notes = run(plan, Path(tmp))
    elapsed = time.perf_counter() - started
    command = "python tools/bench.py" + (" --quick" if args.quick else "")
    text = "\n".join(
        [
            f"`{command}` — {when}, {machine()}; 1-minute load average {load_before:.2f} at the start, "
            f"{os.getloadavg()[0]:.2f} at the end; whole run {elapsed:.0f} s.",
            "",
            table.render(),
            "",
            describe(plan),
            "",
            *[f"- {note}" for note in notes],
            "",
        ]
    )
    print(text)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
