#!/usr/bin/env bash
# Redis backup: a fresh RDB snapshot copied next to the other backups.
#   REDIS_RDB_MODE=local (default): BGSAVE, wait until LASTSAVE moves, copy <CONFIG GET dir>/<dbfilename>
#                                   (REDIS_RDB_PATH overrides the path, e.g. a mounted volume).
#   REDIS_RDB_MODE=remote:          `redis-cli --rdb` streams a snapshot over the network (for a server
#                                   whose data directory this host cannot read, e.g. in Kubernetes).
# Connection: REDIS_URL (default redis://127.0.0.1:6379).
# Restore: scripts/backup/restore-redis.sh <archive> <redis data dir>
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
rcli() { redis-cli -u "$REDIS_URL" --no-auth-warning "$@"; }

dump_redis() {
  local out="$1"
  if [[ "${REDIS_RDB_MODE:-local}" == "remote" ]]; then
    rcli --rdb "$out" > /dev/null
    return
  fi
  local before saves_before dir file path done=no
  # LASTSAVE has one-second resolution; rdb_saves (Redis >= 7) counts snapshots exactly.
  before="$(rcli LASTSAVE)"
  saves_before="$(rcli INFO persistence | sed -n 's/^rdb_saves:\([0-9]*\).*/\1/p')"
  if ! rcli BGSAVE | grep -q -E 'Background saving started|already in progress'; then
    # A BGSAVE refused because an AOF rewrite runs: "SCHEDULE" starts it right after.
    rcli BGSAVE SCHEDULE > /dev/null
  fi
  for _ in $(seq 1 $((${REDIS_BGSAVE_TIMEOUT_S:-300} * 5))); do
    local info saves_now
    info="$(rcli INFO persistence)"
    saves_now="$(sed -n 's/^rdb_saves:\([0-9]*\).*/\1/p' <<< "$info")"
    if grep -q 'rdb_bgsave_in_progress:0' <<< "$info" &&
      { [[ -n "$saves_now" && "$saves_now" != "$saves_before" ]] || [[ "$(rcli LASTSAVE)" != "$before" ]]; }; then
      done=yes
      break
    fi
    sleep 0.2
  done
  [[ "$done" == yes ]] || { echo "BGSAVE did not finish in time" >&2; return 1; }
  rcli INFO persistence | grep -q 'rdb_last_bgsave_status:ok' || { echo "BGSAVE failed" >&2; return 1; }
  if [[ -n "${REDIS_RDB_PATH:-}" ]]; then
    path="$REDIS_RDB_PATH"
  else
    dir="$(rcli CONFIG GET dir | sed -n 2p)"
    file="$(rcli CONFIG GET dbfilename | sed -n 2p)"
    path="$dir/$file"
  fi
  [[ -r "$path" ]] || { echo "cannot read $path (use REDIS_RDB_MODE=remote)" >&2; return 1; }
  cp "$path" "$out"
}

run_backup redis redis rdb dump_redis
