#!/usr/bin/env bash
# The project's test command: lint, type-check and run every test (unit, integration against the
# bundled emulator, sandbox, browser). Creates/reuses .venv and installs what the tests need.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh dev
bash scripts/install-chromium.sh || echo "setup: chromium unavailable; browser tests will be skipped" >&2
venv="$root/.venv/bin"
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN  # tests never talk to the real API
echo "== ruff"
"$venv/ruff" check harness validators reports tests benchmarks
echo "== mypy --strict"
"$venv/mypy"
echo "== pytest"
"$venv/python" -m pytest -n "${TEST_WORKERS:-2}" "$@"
