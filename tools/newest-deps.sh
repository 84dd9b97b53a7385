#!/usr/bin/env bash
# Run a command with the newest release of every dependency instead of the versions pinned in uv.lock: a
# virtual environment of its own (uv.lock and .venv are not touched) with groq-vcr installed editable with its
# dev extra, first on PATH. A new release that breaks the suite shows here before users meet it.
#
#   tools/newest-deps.sh pytest -n auto          # the whole test suite on the newest releases
#   tools/newest-deps.sh tools/ci-replay.sh      # the replay run of CI on the newest releases
#
# The command runs from the repository root, with GROQ_VCR_RUN="" (the scripts under tools/ then use the
# commands of this environment instead of `uv run`).
# GROQ_VCR_NEWEST_VENV  where the environment goes (default: a new temporary folder)
# GROQ_VCR_PINS         requirements that override "newest" (e.g. "vcrpy==8.2.0": CI's oldest-vcrpy run)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -eq 0 ]; then
    echo "usage: tools/newest-deps.sh COMMAND [ARGS...]" >&2
    exit 2
fi

venv="${GROQ_VCR_NEWEST_VENV:-$(mktemp -d)/venv}"
uv venv --quiet --allow-existing "${venv}"
# shellcheck disable=SC2086  # GROQ_VCR_PINS is a space-separated list of requirements
uv pip install --quiet --python "${venv}" --resolution highest --upgrade --editable ".[dev]" ${GROQ_VCR_PINS:-}
echo "newest releases: $(uv pip freeze --quiet --python "${venv}" --exclude-editable | paste -sd ' ' -)"

export VIRTUAL_ENV="${venv}"
export PATH="${venv}/bin:${PATH}"
export GROQ_VCR_RUN=""
exec "$@"
