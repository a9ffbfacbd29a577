#!/usr/bin/env bash
# Turns on WAL archiving for PITR on a self-managed PostgreSQL (managed services: use the provider's
# PITR setting instead). Run as a superuser; restart PostgreSQL afterwards if it says so.
#   WAL_ARCHIVE_DIR=/backups/postgres/wal scripts/backup/enable-wal-archiving.sh [--dry-run]
# The archive directory must be writable by the postgres server user.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WAL_ARCHIVE_DIR="${WAL_ARCHIVE_DIR:-$BACKUP_ROOT/postgres/wal}"
CONF="$BACKUP_LIB_DIR/postgresql-wal-archiving.conf"
psql_cmd=(psql -v ON_ERROR_STOP=1 -X -q -t -A)
[[ -n "${DATABASE_URL:-}" ]] && psql_cmd+=(--dbname="$DATABASE_URL")

statements=()
while IFS= read -r line; do
  line="${line%%#*}"
  [[ "$line" =~ ^[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*(.+)$ ]] || continue
  name="${BASH_REMATCH[1]}"
  value="$(sed -e "s#WAL_ARCHIVE_DIR#${WAL_ARCHIVE_DIR}#g" -e 's/[[:space:]]*$//' <<< "${BASH_REMATCH[2]}")"
  [[ "$value" == \'*\' ]] || value="'$value'"
  statements+=("ALTER SYSTEM SET $name = $value;")
done < "$CONF"

if [[ "${1:-}" == "--dry-run" ]]; then
  printf '%s\n' "${statements[@]}"
  exit 0
fi
mkdir -p "$WAL_ARCHIVE_DIR"
for statement in "${statements[@]}"; do "${psql_cmd[@]}" -c "$statement"; done
"${psql_cmd[@]}" -c 'SELECT pg_reload_conf();' > /dev/null
pending="$("${psql_cmd[@]}" -c "SELECT string_agg(name, ', ') FROM pg_settings WHERE pending_restart")"
if [[ -n "$pending" ]]; then
  log "restart PostgreSQL to apply: $pending"
else
  log "WAL archiving active: $("${psql_cmd[@]}" -c 'SHOW archive_command')"
fi
