#!/usr/bin/env bash
# Shared helpers of the TaskFlow backup scripts (sourced, not run).
#
# Layout:   $BACKUP_ROOT/<target>/<class>/<name>_<class>_<UTC timestamp>.<ext>[.enc]  + .sha256 sidecar
#           class is `full` (kept BACKUP_RETENTION_FULL_DAYS, default 30) or `incremental`
#           (kept BACKUP_RETENTION_INCREMENTAL_DAYS, default 7).
# Encryption (optional): set BACKUP_ENCRYPTION_KEY_FILE (a readable file) or BACKUP_ENCRYPTION_KEY;
#           archives are then AES-256-CBC encrypted with a PBKDF2-derived key (openssl enc -pbkdf2).
# Events:   system.backup.started / system.backup.completed to Kafka when KAFKA_BROKERS is set; a backup
#           never fails because Kafka is unreachable (it says so and continues).
# Metrics:  taskflow_backup_last_success_timestamp_seconds / taskflow_backup_failures_total per target in
#           $BACKUP_METRICS_DIR (default $BACKUP_ROOT/metrics, node_exporter textfile format), and pushed
#           to PROMETHEUS_PUSHGATEWAY_URL when set.
# Off-site: BACKUP_OFFSITE_COMMAND, if set, runs with the archive path and its .sha256 path as $1 and $2.
set -euo pipefail

BACKUP_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BACKUP_LIB_DIR/../.." && pwd)"
BACKUP_ROOT="${BACKUP_ROOT:-$REPO_ROOT/.infra/backups}"
BACKUP_FULL_HOUR="${BACKUP_FULL_HOUR:-02}"
OPENSSL_ITER="${BACKUP_PBKDF2_ITER:-200000}"

log() { printf '%s [backup] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

utc_stamp() { date -u +%Y%m%dT%H%M%SZ; }

# full when forced, or for the run in the daily full-backup hour; incremental otherwise.
backup_class() {
  if [[ -n "${BACKUP_CLASS:-}" ]]; then
    echo "$BACKUP_CLASS"
  elif [[ "$(date -u +%H)" == "$BACKUP_FULL_HOUR" ]]; then
    echo full
  else
    echo incremental
  fi
}

file_size() { stat -c %s "$1"; }

# Runs a TypeScript tool of libs/ops: the compiled copy (container image) or the source via swc-node.
run_ops_ts() {
  local module="$1"
  shift
  local compiled="$REPO_ROOT/dist/libs/ops/src/backup/$module.js"
  if [[ -f "$compiled" ]]; then
    node "$compiled" "$@"
  else
    (cd "$REPO_ROOT" && node -r @swc-node/register "libs/ops/src/backup/$module.ts" "$@")
  fi
}

# emit_event started|completed --backup-id … --target … [--outcome … --size-bytes … --sha256 … --error …]
emit_event() {
  if [[ "${BACKUP_EVENTS:-on}" == "off" ]]; then
    log "backup events disabled (BACKUP_EVENTS=off)"
    return 0
  fi
  if [[ -z "${KAFKA_BROKERS:-}" ]]; then
    log "WARNING: KAFKA_BROKERS is not set: system.backup.$1 event could not be sent"
    return 0
  fi
  run_ops_ts backup-events "$@" >&2 || log "WARNING: system.backup.$1 event could not be sent"
}

encryption_enabled() {
  [[ -n "${BACKUP_ENCRYPTION_KEY_FILE:-}" && -r "${BACKUP_ENCRYPTION_KEY_FILE}" ]] || [[ -n "${BACKUP_ENCRYPTION_KEY:-}" ]]
}

openssl_pass_arg() {
  if [[ -n "${BACKUP_ENCRYPTION_KEY_FILE:-}" && -r "${BACKUP_ENCRYPTION_KEY_FILE}" ]]; then
    echo "file:${BACKUP_ENCRYPTION_KEY_FILE}"
  else
    echo "env:BACKUP_ENCRYPTION_KEY"
  fi
}

# encrypt_file PLAIN -> prints PLAIN.enc and removes PLAIN
encrypt_file() {
  local plain="$1"
  openssl enc -aes-256-cbc -salt -pbkdf2 -iter "$OPENSSL_ITER" -md sha256 \
    -pass "$(openssl_pass_arg)" -in "$plain" -out "$plain.enc"
  rm -f "$plain"
  echo "$plain.enc"
}

# decrypt_file ENC OUT
decrypt_file() {
  encryption_enabled || die "$1 is encrypted: set BACKUP_ENCRYPTION_KEY_FILE or BACKUP_ENCRYPTION_KEY"
  openssl enc -d -aes-256-cbc -pbkdf2 -iter "$OPENSSL_ITER" -md sha256 \
    -pass "$(openssl_pass_arg)" -in "$1" -out "$2"
}

# write_checksum FILE -> FILE.sha256 (sha256sum format, relative name), prints the digest
write_checksum() {
  local file="$1"
  (cd "$(dirname "$file")" && sha256sum "$(basename "$file")" > "$(basename "$file").sha256")
  cut -d' ' -f1 "$file.sha256"
}

# verify_checksum FILE: fails unless FILE.sha256 exists and matches
verify_checksum() {
  local file="$1"
  [[ -f "$file.sha256" ]] || die "no checksum file $file.sha256"
  (cd "$(dirname "$file")" && sha256sum --check --status "$(basename "$file").sha256") ||
    die "checksum mismatch for $file"
  log "checksum ok: $file"
}

# prepare_restore_input ARCHIVE -> prints a plain file path (decrypts .enc into a temp file)
prepare_restore_input() {
  local archive="$1"
  [[ -f "$archive" ]] || die "backup file not found: $archive"
  verify_checksum "$archive"
  if [[ "$archive" == *.enc ]]; then
    local plain
    plain="$(mktemp "${TMPDIR:-/tmp}/taskflow-restore.XXXXXX")"
    decrypt_file "$archive" "$plain"
    echo "$plain"
  else
    echo "$archive"
  fi
}

# record_backup_metrics TARGET succeeded|failed: keeps the last success time and the failure count.
record_backup_metrics() {
  local target="$1" outcome="$2"
  local dir="${BACKUP_METRICS_DIR:-$BACKUP_ROOT/metrics}"
  local file="$dir/taskflow_backup_${target}.prom"
  local last_success=0 failures=0
  mkdir -p "$dir"
  if [[ -f "$file" ]]; then
    last_success="$(sed -n 's/^taskflow_backup_last_success_timestamp_seconds{[^}]*} //p' "$file")"
    failures="$(sed -n 's/^taskflow_backup_failures_total{[^}]*} //p' "$file")"
  fi
  if [[ "$outcome" == "succeeded" ]]; then last_success="$(date +%s)"; else failures=$((${failures:-0} + 1)); fi
  cat > "$file.tmp" << METRICS
# HELP taskflow_backup_last_success_timestamp_seconds Unix time of the last successful backup.
# TYPE taskflow_backup_last_success_timestamp_seconds gauge
taskflow_backup_last_success_timestamp_seconds{target="$target"} ${last_success:-0}
# HELP taskflow_backup_failures_total Failed backups since the metrics file was created.
# TYPE taskflow_backup_failures_total counter
taskflow_backup_failures_total{target="$target"} ${failures:-0}
METRICS
  mv "$file.tmp" "$file"
  if [[ -n "${PROMETHEUS_PUSHGATEWAY_URL:-}" ]]; then
    curl -fsS --max-time 10 --data-binary "@$file" \
      "${PROMETHEUS_PUSHGATEWAY_URL%/}/metrics/job/taskflow_backup/target/$target" ||
      log "WARNING: could not push backup metrics to $PROMETHEUS_PUSHGATEWAY_URL"
  fi
  return 0
}

# The common backup life cycle around a target-specific dump function.
#   run_backup TARGET NAME EXT DUMP_FUNCTION
# DUMP_FUNCTION is called with the output path and must write the plain archive there.
run_backup() {
  local target="$1" name="$2" ext="$3" dump="$4"
  local class stamp dir out backup_id started final sha size
  class="$(backup_class)"
  stamp="$(utc_stamp)"
  dir="$BACKUP_ROOT/$target/$class"
  mkdir -p "$dir"
  out="$dir/${name}_${class}_${stamp}.${ext}"
  backup_id="${target}-${stamp}-$$"
  started=$(date +%s%N)

  log "$target backup $backup_id ($class) -> $out"
  emit_event started --backup-id "$backup_id" --target "$target"

  local error_file
  error_file="$(mktemp)"
  if ! "$dump" "$out" 2> "$error_file"; then
    local reason
    cat "$error_file" >&2
    reason="$(tail -c 500 "$error_file" | tr '\n' ' ')"
    rm -f "$out" "$error_file"
    record_backup_metrics "$target" failed
    emit_event completed --backup-id "$backup_id" --target "$target" --outcome failed --error "${reason:-dump failed}"
    die "$target backup failed: ${reason:-dump failed}"
  fi
  cat "$error_file" >&2
  rm -f "$error_file"

  final="$out"
  if encryption_enabled; then
    final="$(encrypt_file "$out")"
    log "encrypted with AES-256-CBC (PBKDF2): $final"
  fi
  chmod 600 "$final"
  sha="$(write_checksum "$final")"
  size="$(file_size "$final")"
  local elapsed_ms=$((($(date +%s%N) - started) / 1000000))
  log "$target backup done: $(basename "$final") size=${size} bytes sha256=${sha} time=${elapsed_ms} ms"

  if [[ -n "${BACKUP_OFFSITE_COMMAND:-}" ]]; then
    log "copying off-site: $BACKUP_OFFSITE_COMMAND"
    bash -c "$BACKUP_OFFSITE_COMMAND" offsite "$final" "$final.sha256" ||
      log "WARNING: off-site copy failed for $final (the local backup is kept)"
  fi
  record_backup_metrics "$target" succeeded
  emit_event completed --backup-id "$backup_id" --target "$target" --outcome succeeded \
    --size-bytes "$size" --sha256 "$sha"
  # The one line on stdout: the archive path, for callers (restore drill, backup-all).
  echo "$final"
}
