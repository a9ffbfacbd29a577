#!/usr/bin/env bash
# Restore drill: back up the live database, restore into a scratch database, verify it is identical.
#   restore-drill.sh postgres [--keep]     (DATABASE_URL = the live database)
#   restore-drill.sh mongo    [--keep]     (MONGO_URL = the live audit database; needs MongoDB Database Tools)
#   restore-drill.sh pitr                  (point-in-time recovery on a private cluster; needs the server binaries)
# Prints backup size, backup time and restore time; exits non-zero when anything differs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
target="${1:-postgres}"
shift || true
case "$target" in
  postgres) run_ops_ts restore-drill postgres "$@" ;;
  mongo) run_ops_ts mongo-restore-drill "$@" ;;
  pitr) run_ops_ts pitr-drill "$@" ;;
  *) die "unknown drill target $target (postgres|mongo|pitr)" ;;
esac
