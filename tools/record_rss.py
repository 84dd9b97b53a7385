"""Peak RSS of recording (and replaying) one large response body, above the interpreter's baseline.

Each phase runs in a fresh process: a local HTTP server thread answers ``GET /big`` with ``--mb`` MiB of JSON
text, httpx records it into a cassette through ``groq_vcr.use_cassette`` (redaction, secret check, emit, atomic
write), then another process replays it. The baseline is the RSS after every import, before the request.

    uv run --extra dev python tools/record_rss.py --mb 100
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import groq_vcr

phase, path, size, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


def rss_now():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Big(BaseHTTPRequestHandler):
    def do_GET(self):
        chunk = b'"' + b"a" * (1024 * 1024 - 2) + b'",'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(2 + len(chunk) * size - 1))
        self.end_headers()
        self.wfile.write(b"[")
        for i in range(size):
            self.wfile.write(chunk if i < size - 1 else chunk[:-1])
        self.wfile.write(b"]")

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Big)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}/big"
baseline = rss_now()
mode = "all" if phase == "record" else "none"
with groq_vcr.use_cassette(path, record_mode=mode):
    with httpx.Client() as client:
        length = len(client.get(url, timeout=600).content)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
server.shutdown()
print(json.dumps({"baseline": baseline, "peak": peak, "body": length}))
"""


def measure(phase: str, cassette: Path, mb: int, port: int) -> dict[str, int]:
    """One phase in a fresh process: its baseline and peak RSS (bytes) and the body length."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, phase, str(cassette), str(mb), str(port)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="body size in MiB (default 100)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cassette = Path(folder) / "big.yaml"
        with socket.socket() as probe:  # one port for both phases: the replayed URL must match the recorded one
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        for phase in ("record", "replay"):
            got = measure(phase, cassette, args.mb, port)
            above = got["peak"] - got["baseline"]
            mib = 1024 * 1024
            print(
                f"{phase}: body {got['body'] / mib:.0f} MiB, baseline {got['baseline'] / mib:.0f} MiB, "
                f"peak {got['peak'] / mib:.0f} MiB, above baseline {above / mib:.0f} MiB = "
                f"{above / got['body']:.2f}x the body"
            )


if __name__ == "__main__":
    main()
