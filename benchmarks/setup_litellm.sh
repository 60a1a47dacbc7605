#!/usr/bin/env bash
# Creates benchmarks/.venv-litellm (gitignored) with a pinned LiteLLM, for bench_overhead.py's peer column.
# LiteLLM lives in its own venv so its dependency pins never touch the project's environment.
#
#   bash benchmarks/setup_litellm.sh            # idempotent: reuses the venv when the pin already matches
set -euo pipefail

LITELLM_VERSION="1.110.2"   # pinned; 1.107.0 was a compromised release and is never to be used
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv-litellm"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c \
    "import importlib.metadata as m, sys; sys.exit(m.version('litellm') != '$LITELLM_VERSION')" 2>/dev/null; then
  echo "litellm $LITELLM_VERSION already in $VENV"
  exit 0
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "litellm==$LITELLM_VERSION"
"$VENV/bin/python" -c "import importlib.metadata as m; print('litellm', m.version('litellm'), 'installed in $VENV')"
