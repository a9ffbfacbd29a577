#!/usr/bin/env bash
# Restores a mongodump archive (optionally .enc) after checking its sha256.
#   restore-mongo.sh <archive> [--into <database>]
# Without --into: restores in place (--drop replaces the collections), replaying the oplog when the
# archive has one. With --into: restores the TaskFlow audit database under another name (drills).
# Connection: MONGO_URL.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${MONGO_URL:?MONGO_URL is required}"
command -v mongorestore > /dev/null || die "mongorestore not found: install MongoDB Database Tools"

archive="${1:?usage: restore-mongo.sh <archive> [--into <database>]}"
into=""
if [[ "${2:-}" == "--into" ]]; then into="${3:?--into needs a database name}"; fi
source_db="${MONGO_SOURCE_DB:-$(basename "${MONGO_URL%%\?*}")}"
plain="$(prepare_restore_input "$archive")"
cleanup() { if [[ "$plain" != "$archive" ]]; then rm -f "$plain"; fi; }
trap cleanup EXIT

args=(--uri="$MONGO_URL" --archive="$plain" --gzip --drop)
if [[ -n "$into" ]]; then
  args+=(--nsInclude="${source_db}.*" --nsFrom="${source_db}.*" --nsTo="${into}.*")
elif mongorestore --help 2> /dev/null | grep -q -- --oplogReplay; then
  args+=(--oplogReplay)
fi
started=$(date +%s%N)
mongorestore "${args[@]}"
log "restored $(basename "$archive") in $((($(date +%s%N) - started) / 1000000)) ms"
