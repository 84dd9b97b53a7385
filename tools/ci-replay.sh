#!/usr/bin/env bash
# CI on every push: the committed cassettes are valid go-vcr v2 files and hold no secret, then the whole test
# suite runs replaying only, with the network blocked, on 2 workers (pytest-xdist). Needs no key.
#
#   tools/ci-replay.sh [PYTEST ARGS...]       # e.g. tools/ci-replay.sh tests/e2e
#
# GROQ_VCR_CASSETTES  folder of cassettes to check and scan (default: cassettes)
# GROQ_VCR_RUN        how commands are run (default: "uv run --extra dev", which installs from the repository;
#                     set it to "" to use the commands of the active virtual environment)
set -euo pipefail
cd "$(dirname "$0")/.."

cassettes="${GROQ_VCR_CASSETTES:-cassettes}"
read -r -a run <<< "${GROQ_VCR_RUN-uv run --extra dev}"

echo "::group::groq-vcr check ${cassettes}"
"${run[@]}" groq-vcr check "${cassettes}"
echo "::endgroup::"
echo "::group::groq-vcr scan ${cassettes}"
"${run[@]}" groq-vcr scan "${cassettes}"
echo "::endgroup::"

# --record-mode=none: a request with no recorded answer fails its test instead of reaching the network.
# --block-network blocks every socket connection; loopback stays allowed because the suite's own tests start
# local servers on 127.0.0.1 (nothing leaves the machine).
"${run[@]}" pytest -n 2 --record-mode=none --block-network --allowed-hosts='^(127\.0\.0\.1|localhost|::1)$' "$@"
