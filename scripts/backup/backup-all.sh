#!/usr/bin/env bash
# Backs up PostgreSQL, MongoDB and Redis, then prunes; exits non-zero if any backup failed.
# Skip a target with BACKUP_TARGETS="postgres redis" (default: all three).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
failed=()
for target in ${BACKUP_TARGETS:-postgres mongo redis}; do
  bash "$HERE/backup-$target.sh" || failed+=("$target")
done
bash "$HERE/prune-backups.sh" || failed+=(prune)
if ((${#failed[@]} > 0)); then
  echo "backup-all: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "backup-all: all backups succeeded" >&2
