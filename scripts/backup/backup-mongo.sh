#!/usr/bin/env bash
# MongoDB backup (audit event store): mongodump --archive --gzip, with --oplog when the server is a
# replica set member (a consistent point-in-time dump of the whole deployment); without a replica set,
# only the database named in MONGO_URL is dumped.
# Class: hourly runs are `incremental`, the run in BACKUP_FULL_HOUR (default 02 UTC) is `full`.
# Restore: scripts/backup/restore-mongo.sh <archive>
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${MONGO_URL:?MONGO_URL is required, e.g. mongodb://user:pass@host:27017/taskflow_audit?authSource=admin}"
command -v mongodump > /dev/null || die "mongodump not found: install MongoDB Database Tools (the backup image has them)"

dump_mongo() {
  local topology
  topology="$(run_ops_ts mongo-topology)" || return 1
  if [[ "$topology" == "replset" ]]; then
    # --oplog dumps the whole deployment: drop the database from the URI path, keep the options.
    local base="${MONGO_URL%%\?*}" query=""
    [[ "$MONGO_URL" == *\?* ]] && query="?${MONGO_URL#*\?}"
    local host_part="${base#mongodb://}"
    host_part="${host_part#mongodb+srv://}"
    local scheme="${base%%://*}://"
    log "replica set detected: consistent dump with --oplog"
    mongodump --uri="${scheme}${host_part%%/*}/${query}" --archive="$1" --gzip --oplog
  else
    log "standalone server: dumping the database of MONGO_URL (no oplog available)"
    mongodump --uri="$MONGO_URL" --archive="$1" --gzip
  fi
}

db_name="$(basename "${MONGO_URL%%\?*}")"
run_backup mongo "${db_name:-taskflow_audit}" archive.gz dump_mongo
