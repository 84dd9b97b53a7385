#!/usr/bin/env bash
# Scheduled drift run: re-send every request recorded in the committed cassettes, record the answers into a
# temporary folder, and report the response-schema drift (groq-vcr diff) as Markdown. Exit 1 on breaking drift.
#
#   GROQ_API_KEY=gsk_... tools/drift.sh [CASSETTE_DIR]     # default: cassettes
#
# GROQ_API_KEY          the key the calls are made with (a CI secret); never written to disk
# GROQ_VCR_BASE_URL     send the calls to this Groq-compatible server instead of api.groq.com (tests use a local one)
# GITHUB_STEP_SUMMARY   when set (GitHub Actions), the report is appended to the job summary
# GROQ_VCR_DRIFT_REPORT also write the report to this file (e.g. to upload it as an artifact)
# GROQ_VCR_RUN          how commands are run (default: "uv run --extra dev"; "" = the active virtual environment)
set -euo pipefail
cd "$(dirname "$0")/.."

cassettes="${1:-${GROQ_VCR_CASSETTES:-cassettes}}"
read -r -a run <<< "${GROQ_VCR_RUN-uv run --extra dev}"

if [ -z "${GROQ_API_KEY:-}" ]; then
    echo "error: GROQ_API_KEY is not set; the drift run re-records live calls." >&2
    echo "hint: add it as a repository secret (Settings > Secrets and variables > Actions) named GROQ_API_KEY" >&2
    exit 2
fi
if [ ! -d "${cassettes}" ]; then
    echo "error: ${cassettes} is not a folder of cassettes; pass the folder as the first argument" >&2
    exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
mkdir "${work}/committed"
cp -R "${cassettes}/." "${work}/committed/"
find "${work}/committed" -name '*.lock' -delete

"${run[@]}" python tools/rerecord.py "${work}/committed" "${work}/rerecorded" --notes "${work}/notes.md"

status=0
"${run[@]}" groq-vcr diff "${work}/committed" "${work}/rerecorded" --format markdown > "${work}/drift.md" || status=$?
cat "${work}/notes.md" >> "${work}/drift.md"

cat "${work}/drift.md"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "${work}/drift.md" >> "${GITHUB_STEP_SUMMARY}"
fi
if [ -n "${GROQ_VCR_DRIFT_REPORT:-}" ]; then
    cp "${work}/drift.md" "${GROQ_VCR_DRIFT_REPORT}"
fi
exit "${status}"
