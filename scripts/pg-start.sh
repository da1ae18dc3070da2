#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests and prints its DSN on
# stdout (everything else goes to stderr), e.g.
#
#   export GUILDHALL_TEST_PG_DSN=$(./scripts/pg-start.sh)
#
# The cluster lives in a fresh directory under /tmp (PG_DIR to choose it),
# listens on 127.0.0.1 and a Unix socket in that directory, on a free port
# (PG_PORT to choose it), trusts local connections and is tuned for tests,
# not durability (fsync off). Stop it with
#
#   ./scripts/pg-start.sh -stop <dir>      (the dir is printed on stderr)
#
# PostgreSQL refuses to run as root: as root, the cluster is owned by and
# run as the `postgres` OS user (runuser). PG_BIN names the server's bin
# directory (default: the newest /usr/lib/postgresql/*/bin, else PATH).
set -euo pipefail

pg_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$d" ]]; then echo "$d"; return; fi
  dirname "$(command -v initdb)"
}
BIN=$(pg_bin)
if [[ ! -x "$BIN/initdb" ]]; then
  echo "pg-start: no initdb under $BIN (install postgresql-15, or set PG_BIN)" >&2
  exit 1
fi

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if [[ "${1:-}" == "-stop" ]]; then
  dir=${2:?usage: pg-start.sh -stop <dir>}
  as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  rm -rf "$dir"
  exit 0
fi

dir=${PG_DIR:-$(mktemp -d /tmp/guildhall-pg.XXXXXX)}
mkdir -p "$dir"
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$dir"
fi
chmod 0700 "$dir"

port=${PG_PORT:-}
if [[ -z "$port" ]]; then
  # A free port: a random one nothing listens on. Racy in principle
  # (another process may take it before the server does); the server's
  # start fails loudly then, and a rerun picks another.
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
  [[ -n "$port" ]] || { echo "pg-start: no free port found" >&2; exit 1; }
fi

as_owner "$BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}
# Tests create and drop a database each; durability is not the point.
as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >&2 || {
  cat "$dir/server.log" >&2
  exit 1
}
echo "pg-start: cluster in $dir on port $port (stop: $0 -stop $dir)" >&2
echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
