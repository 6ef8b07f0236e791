#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; it never
# downloads a browser of its own).
set -euo pipefail
if command -v chromium >/dev/null; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-chromium: run as root or install Debian's chromium package" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
