#!/usr/bin/env bash
# Fault drill: stop PostgreSQL under steady load, start it again, and print the
# responses per second before, during and after. Half the client loops repeat a
# question the response cache holds, half ask questions it cannot hold (each
# one new). While PostgreSQL is down lvzhi should keep answering the cached
# question, marked stale (`Lvzhi-Stale` header), answer the others 503
# DATABASE_UNAVAILABLE (never hang, never exit), and serve again by itself once
# it is back.
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

QUESTION='department(name: \"县住建局\") { name cooperations { duty { name } townItems { text } } }'
# Odd loops repeat one question (cached after its first answer); even loops
# make each question new with an alias, so the cache can never answer it.
body() { if (($1 % 2)); then echo "{\"query\":\"query Drill { $QUESTION }\"}"
  else echo "{\"query\":\"query Drill { q$2: $QUESTION }\"}"; fi; }
END=$(($(date +%s) + BEFORE + DOWN + AFTER))
for w in $(seq 1 "$WORKERS"); do
  (i=0; kind=$( (( w % 2 )) && echo cached || echo new)
   while (($(date +%s) < END)); do
     i=$((i + 1))
     out="$(curl -s -o /dev/null -m 10 -w '%{http_code} %header{lvzhi-stale}' -H 'content-type: application/json' --data "$(body "$w" "$i")" "http://$ADDR/graphql" || true)"
     read -r code stale <<<"$out"
     echo "$(date +%s) ${code:-000} $kind ${stale:+stale}"
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
echo "| second | phase | cached: 200 | of them stale | cached: other | new: 200 | new: 503 | new: other |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|"
awk -v s0="$START" -v stop="$STOP_AT" -v start="$START_AT" '
  { t = $1 - s0; if (t > max) max = t
    if ($3 == "cached") { if ($2 == 200) { c[t]++; if ($4 == "stale") st[t]++ } else co[t]++ }
    else { if ($2 == 200) n[t]++; else if ($2 == 503) u[t]++; else no[t]++ } }
  END {
    for (t = 0; t <= max; t++) {
      phase = t + s0 < stop ? "before" : (t + s0 < start ? "down" : "after")
      printf "| %d | %s | %d | %d | %d | %d | %d | %d |\n", t, phase, c[t], st[t], co[t], n[t], u[t], no[t]
    }
  }' "$WORK/all"
echo
awk -v stop="$STOP_AT" -v start="$START_AT" '
  { p = ($1 < stop) ? "before" : ($1 < start ? "down" : "after"); k = $3
    n[p, k]++; if ($2 == 200) ok[p, k]++; if ($2 == 503) u[p, k]++; if ($4 == "stale") s[p, k]++
    if (p == "after" && k == "new" && $2 == 200 && !first) first = $1 }
  END {
    split("before down after", ps, " ")
    for (i = 1; i <= 3; i++) { p = ps[i]
      printf "%-6s cached question: %d requests, %d answered (%d marked stale); new questions: %d requests, %d answered, %d 503\n", \
        p ":", n[p, "cached"], ok[p, "cached"], s[p, "cached"], n[p, "new"], ok[p, "new"], u[p, "new"] }
    printf "first new question answered %ss after PostgreSQL was started\n", first ? first - start : "never"
  }' "$WORK/all"
echo "neither 200 nor 503: $(awk '$2 != 200 && $2 != 503' "$WORK/all" | wc -l)"
echo "lvzhi is still running (pid $SERVER): $(kill -0 "$SERVER" && echo yes)"
