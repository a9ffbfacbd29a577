#!/usr/bin/env bash
# Physical base backup for point-in-time recovery (pg_basebackup, tar format, gzip), to combine with
# the WAL archive (enable-wal-archiving.sh). Class `incremental`: kept as long as the WAL (7 days).
# Needs a role with REPLICATION and a pg_hba.conf entry for replication connections.
# PITR restore (on a stopped, empty data directory; drilled by libs/ops/src/backup/pitr-drill.ts):
#   check the .sha256 (and decrypt a .enc), then: tar -xf <archive>.tar -C "$WORK"   # holds base.tar.gz
#   tar -xzf "$WORK/base.tar.gz" -C "$PGDATA"   # --wal-method=fetch: the WAL needed is inside base.tar.gz
#   echo "restore_command = 'cp /backups/postgres/wal/%f %p'"        >> "$PGDATA/postgresql.auto.conf"
#   echo "recovery_target_time = '2026-01-01 12:00:00+00'"           >> "$PGDATA/postgresql.auto.conf"
#   touch "$PGDATA/recovery.signal"; chown -R postgres: "$PGDATA"; chmod 700 "$PGDATA"
#   start PostgreSQL; SELECT pg_wal_replay_resume(); when satisfied
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${BACKUP_CLASS:=incremental}"
export BACKUP_CLASS

dump_base() {
  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/taskflow-basebackup.XXXXXX")"
  local args=(--pgdata="$dir" --format=tar --gzip --wal-method=fetch --checkpoint=fast --no-password)
  [[ -n "${DATABASE_URL:-}" ]] && args+=(--dbname="$DATABASE_URL")
  pg_basebackup "${args[@]}" || { rm -rf "$dir"; return 1; }
  tar -C "$dir" -cf "$1" . && rm -rf "$dir"
}
run_backup postgres base tar dump_base
