#!/usr/bin/env bash
# Restores a Redis RDB snapshot (optionally .enc) after checking its sha256.
#   restore-redis.sh <archive> <redis data dir> [dbfilename]
# Redis must be STOPPED while the file is replaced. With AOF on (our setting) Redis loads the AOF, not
# the RDB, at start: this script moves the AOF directory aside so the snapshot is loaded; re-enable AOF
# afterwards with:  redis-cli CONFIG SET appendonly yes   (rewrites the AOF from the loaded data)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

archive="${1:?usage: restore-redis.sh <archive> <redis data dir> [dbfilename]}"
data_dir="${2:?usage: restore-redis.sh <archive> <redis data dir> [dbfilename]}"
dbfilename="${3:-dump.rdb}"
plain="$(prepare_restore_input "$archive")"

if [[ -n "${REDIS_URL:-}" ]] && redis-cli -u "$REDIS_URL" --no-auth-warning PING > /dev/null 2>&1; then
  die "Redis at REDIS_URL still answers: stop it before restoring the snapshot"
fi
stamp="$(utc_stamp)"
if [[ -f "$data_dir/$dbfilename" ]]; then mv "$data_dir/$dbfilename" "$data_dir/$dbfilename.before-restore-$stamp"; fi
for aof in "$data_dir/appendonlydir" "$data_dir/appendonly.aof"; do
  if [[ -e "$aof" ]]; then
    mv "$aof" "$aof.before-restore-$stamp"
    log "moved $aof aside: start Redis with --appendonly no, then CONFIG SET appendonly yes"
  fi
done
cp "$plain" "$data_dir/$dbfilename"
if [[ "$plain" != "$archive" ]]; then rm -f "$plain"; fi
log "restored $(basename "$archive") to $data_dir/$dbfilename; start Redis now"
