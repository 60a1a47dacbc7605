#!/usr/bin/env bash
# Create or reuse the project's virtual environment (.venv) and install the project into it.
# Usage: scripts/bootstrap.sh [runtime|dev]   (dev adds the test/lint tools)
# Re-installs only when pyproject.toml changed since the last install (stamp file in .venv).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extra="${1:-runtime}"
venv="$root/.venv"
py="${PYTHON:-python3}"

if ! command -v "$py" >/dev/null 2>&1; then
  echo "error: $py not found; install Python 3.11 or newer" >&2
  exit 2
fi
if ! "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "error: Python 3.11 or newer is required ($("$py" --version 2>&1) found)" >&2
  exit 2
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating virtual environment in .venv" >&2
  "$py" -m venv "$venv"
fi
want="$(sha256sum "$root/pyproject.toml" | cut -c1-16)-$extra"
stamp="$venv/.installed"
if [ "$extra" = runtime ] && [ -f "$stamp" ] && grep -q -- "-dev$" "$stamp" \
   && [ "$(cut -d- -f1 "$stamp")" = "${want%%-*}" ]; then
  exit 0   # a dev install already contains the runtime one
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing the project into .venv ($extra)" >&2
  spec="$root"
  [ "$extra" = dev ] && spec="$root[dev]"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec" 2>&1 \
    | { grep -v "^WARNING: Location .* is ignored" || true; } >&2
  echo "$want" > "$stamp"
fi
