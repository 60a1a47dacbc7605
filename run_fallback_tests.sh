#!/usr/bin/env bash
# The main job: run the quick (default) or full scenario suite through the cascade and write reports.
# With no ANTHROPIC_API_KEY it runs offline against the bundled emulator, replaying bundled samples.
# Usage: ./run_fallback_tests.sh [quick|full] [extra `harness run` options]
# It never prints the key, nor any part of it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
suite="${1:-quick}"
[ $# -gt 0 ] && shift
bash "$root/scripts/bootstrap.sh" runtime
cd "$root"
exec "$root/.venv/bin/harness" run "$suite" "$@"
