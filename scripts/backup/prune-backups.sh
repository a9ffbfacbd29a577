#!/usr/bin/env bash
# Retention: deletes archives (and their .sha256) older than the retention of their class.
#   BACKUP_RETENTION_FULL_DAYS (default 30)  for $BACKUP_ROOT/*/full
#   BACKUP_RETENTION_INCREMENTAL_DAYS (default 7) for $BACKUP_ROOT/*/incremental and */wal
#   prune-backups.sh [--dry-run]
# The newest full backup of each target is always kept, however old.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FULL_DAYS="${BACKUP_RETENTION_FULL_DAYS:-30}"
INCREMENTAL_DAYS="${BACKUP_RETENTION_INCREMENTAL_DAYS:-7}"
DRY_RUN="${1:-}"
[[ "$FULL_DAYS" =~ ^[0-9]+$ && "$INCREMENTAL_DAYS" =~ ^[0-9]+$ ]] || die "retention days must be whole numbers"
[[ -d "$BACKUP_ROOT" ]] || {
  log "nothing to prune: $BACKUP_ROOT does not exist"
  exit 0
}

removed=0
prune_dir() {
  local dir="$1" days="$2" keep_newest="$3" newest=""
  [[ -d "$dir" ]] || return 0
  if [[ "$keep_newest" == "yes" ]]; then
    newest="$(find "$dir" -maxdepth 1 -type f ! -name '*.sha256' -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2-)"
  fi
  while IFS= read -r -d '' file; do
    [[ "$file" == "$newest" ]] && continue
    if [[ "$DRY_RUN" == "--dry-run" ]]; then
      log "would delete $file (older than $days days)"
    else
      rm -f "$file" "$file.sha256"
      log "deleted $file (older than $days days)"
    fi
    removed=$((removed + 1))
  done < <(find "$dir" -maxdepth 1 -type f ! -name '*.sha256' -mmin "+$((days * 1440))" -print0)
}

for target_dir in "$BACKUP_ROOT"/*/; do
  prune_dir "${target_dir}full" "$FULL_DAYS" yes
  prune_dir "${target_dir}incremental" "$INCREMENTAL_DAYS" no
  prune_dir "${target_dir}wal" "$INCREMENTAL_DAYS" no
done
# Orphaned checksum files (their archive is gone).
while IFS= read -r -d '' sum; do
  [[ -f "${sum%.sha256}" ]] || { [[ "$DRY_RUN" == "--dry-run" ]] || rm -f "$sum"; }
done < <(find "$BACKUP_ROOT" -type f -name '*.sha256' -print0)
log "pruned $removed archive(s) (full > ${FULL_DAYS} d, incremental > ${INCREMENTAL_DAYS} d)${DRY_RUN:+ [dry run]}"
