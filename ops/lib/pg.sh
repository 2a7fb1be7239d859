#!/usr/bin/env bash
# Shared PostgreSQL helpers for ops/run and ops/test. Source it; do not execute it.
# Every function checks its own errors and returns non-zero instead of relying
# on `set -e`, because set -e is suspended inside functions called from `if`/`||`.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
export PG_BIN

_pg_is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Absolute path (the directory may not exist yet); commands run as postgres from /.
_pg_abs() { realpath -m -- "$1"; }

# Install PostgreSQL 15 if its binaries are missing (needs root for apt-get).
pg_ensure_binaries() {
  PG_BIN=/usr/lib/postgresql/15/bin
  export PG_BIN
  if [[ -x "$PG_BIN/initdb" ]]; then
    return 0
  fi
  if ! _pg_is_root; then
    echo "PostgreSQL 15 is not installed ($PG_BIN/initdb is missing)." >&2
    echo "Install it as root:  apt-get update && apt-get install -y postgresql-15" >&2
    return 1
  fi
  echo "Installing PostgreSQL 15 (apt-get)..." >&2
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15; }; then
    echo "Could not install postgresql-15 with apt-get." >&2
    return 1
  fi
  [[ -x "$PG_BIN/initdb" ]] || { echo "postgresql-15 installed but $PG_BIN/initdb is still missing." >&2; return 1; }
}

# The server binaries refuse to run as root, so as root we switch to the postgres user.
# cd / first: postgres usually cannot read the caller's cwd (e.g. /root) and would warn.
pg_as_owner() {
  if _pg_is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Make every ancestor of DIR traversable by postgres; chmod only the ones that are not.
_pg_make_parents_traversable() {
  local dir="$1" path="" part
  _pg_is_root || return 0
  local -a parts
  IFS=/ read -r -a parts <<<"${dir#/}"
  # Top-down, so each check runs with its own parents already traversable.
  for part in "${parts[@]}"; do
    [[ -n "$part" ]] || continue
    path="$path/$part"
    [[ -d "$path" ]] || break
    if ! runuser -u postgres -- test -x "$path" 2>/dev/null; then
      chmod o+x "$path" || { echo "cannot make $path traversable for postgres" >&2; return 1; }
    fi
  done
}

# Create a cluster in DATA_DIR unless one already exists (a second run reuses it).
pg_init() {
  local dir
  dir="$(_pg_abs "${1:?pg_init DATA_DIR}")"
  if [[ -f "$dir/PG_VERSION" ]]; then
    return 0
  fi
  mkdir -p "$dir" || return 1
  if _pg_is_root; then
    chown postgres:postgres "$dir" || return 1
    _pg_make_parents_traversable "$(dirname "$dir")" || return 1
  fi
  chmod 700 "$dir" || return 1
  local -a args=(-D "$dir" -A trust -U postgres --encoding=UTF8)
  local log
  log="$(mktemp /tmp/pg_initdb.XXXXXX)" || return 1
  # C.UTF-8 sorts like C but keeps UTF-8 ctype; not every system has it, so fall back to C.
  # initdb removes what it created when it fails, so the retry starts from an empty dir.
  if ! pg_as_owner "$PG_BIN/initdb" "${args[@]}" --locale=C.UTF-8 >"$log" 2>&1; then
    echo "initdb with locale C.UTF-8 failed; retrying with locale C" >&2
    if ! pg_as_owner "$PG_BIN/initdb" "${args[@]}" --locale=C >>"$log" 2>&1; then
      tail -n 30 "$log" >&2
      rm -f "$log"
      echo "PostgreSQL initdb failed for $dir" >&2
      return 1
    fi
  fi
  rm -f "$log"
}

# 0 when something listens on 127.0.0.1:PORT (or any address, according to ss).
port_in_use() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    if [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]; then
      return 0
    fi
  fi
  # A successful connect means someone is listening (works without ss).
  if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
    return 0
  fi
  return 1
}

# First free port at or above START (tries 200 ports).
port_find_free() {
  local port="${1:?port_find_free START}" end=$(( ${1} + 200 ))
  while (( port < end )); do
    if ! port_in_use "$port"; then
      echo "$port"
      return 0
    fi
    port=$((port + 1))
  done
  echo "no free port found in $1..$((end - 1))" >&2
  return 1
}

_pg_running() {
  pg_as_owner "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1
}

# Start the cluster on 127.0.0.1:PORT with its socket in DATA_DIR.
# A server left running on this data dir by an earlier run is stopped first, so
# every start gets the options (port, PG_EXTRA_OPTS) asked for now.
pg_start() {
  local dir port
  dir="$(_pg_abs "${1:?pg_start DATA_DIR PORT}")"
  port="${2:?pg_start DATA_DIR PORT}"
  if _pg_running "$dir"; then
    echo "Stopping a PostgreSQL server left running on $dir by an earlier run" >&2
    pg_stop "$dir"
  fi
  if port_in_use "$port"; then
    echo "PostgreSQL port $port is already in use (set LEDGER_PG_PORT)" >&2
    return 1
  fi
  # pg_ctl passes -o through /bin/sh, so quote the socket path.
  # WAL: with the defaults (max_wal_size 1GB) the ledger at 1,000 payments/s checkpointed every ~19 s ("checkpoints
  # are occurring too frequently"), and every page touched after a checkpoint goes to the WAL whole: ~28 MB/s of WAL.
  # Checkpoints at most every 15 min or 8 GB, and full-page images compressed (lz4), cut the writes, the CPU spent
  # writing them, and the latency spikes each checkpoint caused (ops/bench/README.md, "WAL and checkpoints").
  local opts="-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB"
  opts="$opts -c max_wal_size=8GB -c checkpoint_timeout=15min -c wal_compression=lz4"
  # Autovacuum looks at each database every 10 s instead of every minute: the fraud pipeline's feature documents are
  # rewritten ~1,000 times a second under load and only a vacuum lets their dead rows' space be reused.
  opts="$opts -c autovacuum_naptime=10s"
  if [[ -n "${PG_EXTRA_OPTS:-}" ]]; then
    opts="$opts $PG_EXTRA_OPTS"
  fi
  if ! pg_as_owner "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null; then
    if [[ -f "$dir/server.log" ]]; then
      echo "---- last lines of $dir/server.log ----" >&2
      tail -n 30 "$dir/server.log" >&2
      echo "----" >&2
    fi
    echo "PostgreSQL could not start" >&2
    return 1
  fi
}

# Fast shutdown; nothing to do when no server runs on DATA_DIR.
pg_stop() {
  local dir
  dir="$(_pg_abs "${1:?pg_stop DATA_DIR}")"
  [[ -f "$dir/PG_VERSION" ]] || return 0
  if _pg_running "$dir"; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
  fi
  return 0
}

# Create database NAME if it does not exist (trust auth over TCP, so any OS user works).
pg_create_db() {
  local port="${1:?pg_create_db PORT NAME}" name="${2:?pg_create_db PORT NAME}"
  if [[ ! "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
    echo "invalid database name: $name" >&2
    return 1
  fi
  local -a psql=("$PG_BIN/psql" -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc)
  local exists
  exists="$("${psql[@]}" "SELECT 1 FROM pg_database WHERE datname = '$name'")" || return 1
  if [[ "$exists" != "1" ]]; then
    "${psql[@]}" "CREATE DATABASE \"$name\"" >/dev/null || return 1
  fi
}
