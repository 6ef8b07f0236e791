#!/usr/bin/env bash
# Run the whole suite on the backend of $TRYTOND_DATABASE_URI (default
# SQLite). Each run gets a fresh database cache and filestore.
set -euo pipefail
cd "$(dirname "$0")/.."
export TRYTOND_DATABASE_URI=${TRYTOND_DATABASE_URI:-sqlite://}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DB_CACHE=${DB_CACHE:-$work/cache}
export TRYTOND_DATABASE__PATH=$work/filestore
mkdir -p "$DB_CACHE" "$TRYTOND_DATABASE__PATH" test-output
echo "== tests on ${TRYTOND_DATABASE_URI%%:*}"
exec pytest "$@"
