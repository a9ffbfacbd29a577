#!/usr/bin/env bash
# Full logical backup of the TaskFlow PostgreSQL database: pg_dump custom format (-Fc, compressed).
# Connection: DATABASE_URL, or the libpq variables PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE.
# Default class `full` (daily); prints the archive path on stdout.
# Restore: scripts/backup/restore-postgres.sh <archive> [target-database]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${BACKUP_CLASS:=full}"
export BACKUP_CLASS

dump_postgres() {
  local args=(--format=custom --compress=6 --no-password --file="$1")
  if [[ -n "${DATABASE_URL:-}" ]]; then args+=(--dbname="$DATABASE_URL"); fi
  pg_dump "${args[@]}"
}

db_name="${PGDATABASE:-taskflow}"
if [[ -n "${DATABASE_URL:-}" ]]; then db_name="$(basename "${DATABASE_URL%%\?*}")"; fi
run_backup postgres "$db_name" dump dump_postgres
