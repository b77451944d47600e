#!/usr/bin/env bash
# Fault drill: stop PostgreSQL under steady load, start it again, and print the
# responses per second before, during and after. lvzhi should answer 503
# DATABASE_UNAVAILABLE (never hang, never exit) while PostgreSQL is down, and
# serve again by itself once it is back.
#
# It stops and starts the local PostgreSQL cluster: run it by hand, never in CI.
#
# Environment (all optional):
#   DRILL_BEFORE    seconds of load before the stop      (default 5)
#   DRILL_DOWN      seconds PostgreSQL stays down         (default 5)
#   DRILL_AFTER     seconds of load after the start       (default 8)
#   DRILL_WORKERS   concurrent client loops               (default 4)
#   DRILL_DB        database to (re)create                (default lvzhi_drill)
#   DRILL_PG        server URL, no database               (default postgres://postgres@127.0.0.1:5432)
#   CARGO_TARGET_DIR honoured by the release build
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BEFORE="${DRILL_BEFORE:-5}"
DOWN="${DRILL_DOWN:-5}"
AFTER="${DRILL_AFTER:-8}"
WORKERS="${DRILL_WORKERS:-4}"
DB="${DRILL_DB:-lvzhi_drill}"
PG="${DRILL_PG:-postgres://postgres@127.0.0.1:5432}"
CLUSTER="$(ls /etc/postgresql | head -n1)"
die() { echo "drill: $*" >&2; exit 1; }
log() { echo "drill: $*" >&2; }
[[ "$DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "DRILL_DB must be a plain identifier"
command -v curl >/dev/null && command -v psql >/dev/null || die "needs curl and psql"

pg_up() { pg_ctlcluster --skip-systemctl-redirect "$CLUSTER" main start 2>/dev/null || true
  for _ in $(seq 1 60); do pg_isready -d "$PG/postgres" -q && return 0; sleep 0.5; done; return 1; }
pg_up || die "PostgreSQL does not start"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null

cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin lvzhi
BIN="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/lvzhi"

WORK="$(mktemp -d /tmp/lvzhi-drill.XXXXXX)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  pg_up >/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

(cd "$WORK" && exec env DATABASE_URL="$PG/$DB" LVZHI_LOG=warn LVZHI_DB_ACQUIRE_TIMEOUT_MS=2000 \
  "$BIN" serve --bind 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.err") &
SERVER=$!
PIDS+=("$SERVER")
for _ in $(seq 1 240); do
  ADDR="$(sed -n 's|^lvzhi serves GraphQL at http://\([^/]*\)/graphql.*|\1|p' "$WORK/server.out")"
  [[ -n "$ADDR" ]] && break
  kill -0 "$SERVER" 2>/dev/null || die "lvzhi exited: $(cat "$WORK/server.err")"
  sleep 0.5
done
[[ -n "${ADDR:-}" ]] || die "lvzhi did not start"
log "lvzhi at $ADDR; $WORKERS client loops; PostgreSQL down from ${BEFORE}s to $((BEFORE + DOWN))s"

BODY='{"query":"query Drill { department(name: \"县住建局\") { name cooperations { duty { name } townItems { text } } } }"}'
END=$(($(date +%s) + BEFORE + DOWN + AFTER))
for w in $(seq 1 "$WORKERS"); do
  (while (($(date +%s) < END)); do
     code="$(curl -s -o /dev/null -m 10 -w '%{http_code}' -H 'content-type: application/json' --data "$BODY" "http://$ADDR/graphql" || true)"
     echo "$(date +%s) ${code:-000}"
   done >"$WORK/load.$w") &
  PIDS+=("$!")
done
START=$(date +%s)

sleep "$BEFORE"
log "stopping PostgreSQL"
STOP_AT=$(date +%s)
pg_ctlcluster --skip-systemctl-redirect "$CLUSTER" main stop -m fast
sleep "$DOWN"
log "starting PostgreSQL"
START_AT=$(date +%s)
pg_up || die "PostgreSQL does not come back"
wait "${PIDS[@]:1}" 2>/dev/null || true
kill -0 "$SERVER" 2>/dev/null || die "lvzhi died during the drill: $(tail -n 5 "$WORK/server.err")"

cat "$WORK"/load.* | sort -n >"$WORK/all"
echo "| second | phase | 200 | 503 | other | requests |"
echo "|---:|---|---:|---:|---:|---:|"
awk -v s0="$START" -v stop="$STOP_AT" -v start="$START_AT" '
  { t = $1 - s0; n[t]++; if ($2 == 200) ok[t]++; else if ($2 == 503) u[t]++; else o[t]++; if (t > max) max = t }
  END {
    for (t = 0; t <= max; t++) {
      phase = ($1 < 0) ? "" : (t + s0 < stop ? "before" : (t + s0 < start ? "down" : "after"))
      printf "| %d | %s | %d | %d | %d | %d |\n", t, phase, ok[t], u[t], o[t], n[t]
    }
  }' "$WORK/all"
echo
awk -v stop="$STOP_AT" -v start="$START_AT" '
  { p = ($1 < stop) ? "before" : ($1 < start ? "down" : "after"); n[p]++; if ($2 != 200) e[p]++
    if (p == "after" && $2 == 200 && !first) first = $1 }
  END {
    for (i = split("before down after", ps, " "); i > 0; i--) {}
    printf "before: %d requests, %d not 200\n", n["before"], e["before"]
    printf "down:   %d requests, %d not 200 (all should be 503)\n", n["down"], e["down"]
    printf "after:  %d requests, %d not 200; first 200 %ss after PostgreSQL was started\n", n["after"], e["after"], first ? first - start : "never"
  }' "$WORK/all"
echo "other (neither 200 nor 503): $(awk '$2 != 200 && $2 != 503' "$WORK/all" | wc -l)"
echo "lvzhi is still running (pid $SERVER): $(kill -0 "$SERVER" && echo yes)"
