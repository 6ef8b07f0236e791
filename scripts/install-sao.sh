#!/usr/bin/env bash
# Install the Tryton web client (tryton-sao, npm registry) with its own
# node_modules inside the package folder, which is what [web] root needs.
set -euo pipefail
version=${1:-8.0.11}
dest=${2:-var/sao}
if [ -f "$dest/package/index.html" ] && [ -d "$dest/package/node_modules/jquery" ]; then
    exit 0
fi
if ! command -v npm >/dev/null; then
    echo "install-sao: npm is required (apt-get install -y npm)" >&2
    exit 1
fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "tryton-sao@$version" >/dev/null)
rm -rf "$dest/package"
tar xzf "$tmp/tryton-sao-$version.tgz" -C "$dest"
# --legacy-peer-deps: a dev dependency's peer range conflicts otherwise
(cd "$dest/package" && npm install --omit=dev --legacy-peer-deps --no-audit \
    --no-fund --loglevel=error >/dev/null)
echo "tryton-sao $version installed in $dest/package"
