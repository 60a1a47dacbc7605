#!/usr/bin/env bash
# Debian's chromium for the HTML report's browser test. Installed only when missing and when we can
# (root + apt-get); playwright drives it directly, it never downloads a browser of its own.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then exit 1; fi
echo "setup: installing Debian's chromium (once)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
