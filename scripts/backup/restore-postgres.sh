#!/usr/bin/env bash
# Restores a pg_dump archive (optionally .enc) into a database, after checking its sha256.
#   restore-postgres.sh <archive> [target-database]
# The target database (default: PGDATABASE or the one in DATABASE_URL) must exist; objects in it are
# dropped and re-created (--clean --if-exists). For a disaster restore into a fresh server, create the
# database first:  createdb -T template0 taskflow
# Connection: DATABASE_URL (its database is replaced by the target) or PGHOST/PGPORT/PGUSER/PGPASSWORD.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

archive="${1:?usage: restore-postgres.sh <archive> [target-database]}"
target="${2:-}"
plain="$(prepare_restore_input "$archive")"
cleanup() { if [[ "$plain" != "$archive" ]]; then rm -f "$plain"; fi; }
trap cleanup EXIT

conn=()
if [[ -n "${DATABASE_URL:-}" ]]; then
  base="${DATABASE_URL%%\?*}"
  query=""
  [[ "$DATABASE_URL" == *\?* ]] && query="?${DATABASE_URL#*\?}"
  conn=(--dbname="${base%/*}/${target:-$(basename "$base")}${query}")
else
  conn=(--dbname="${target:-${PGDATABASE:-taskflow}}")
fi

started=$(date +%s%N)
pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error --single-transaction \
  --no-password "${conn[@]}" "$plain"
log "restored $(basename "$archive") into ${target:-default database} in $((($(date +%s%N) - started) / 1000000)) ms"
