#!/usr/bin/env bash
# Instructions lvzhi executes per request, with the response cache off, counted
# by valgrind's callgrind: unlike req/s on this shared 2-core machine, the count
# is the same from run to run for the same binary and data, so it shows what a
# change to lvzhi's own work saved (PostgreSQL's work is not in it). The server
# runs under callgrind with instrumentation off; for each question it is asked
# a few times unmeasured, then INSTR_REQUESTS times measured, one at a time.
# Prints one line per question: the instructions per request, and writes each
# question's callgrind profile (callgrind_annotate reads them) to INSTR_OUT.
#
# Environment (all optional):
#   INSTR_BIN        the lvzhi binary         (default: the release build, built if needed)
#   INSTR_DB         database to (re)create with the Wuqia list, unless INSTR_REUSE_DB=1
#                                            (default lvzhi_instructions)
#   INSTR_REUSE_DB   1: ask INSTR_DB as it is (e.g. a database of bench/run.sh at scale)
#   INSTR_PG         PostgreSQL server URL, no database (default postgres://postgres@127.0.0.1:5432)
#   INSTR_QUESTIONS  questions to count       (default "Floor Bureau Page Duty Search1 SearchPair Search2")
#   INSTR_REQUESTS   measured requests per question (default 50)
#   INSTR_OUT        where the profiles go    (default a new temporary directory)
#   CARGO_TARGET_DIR honoured by the release build
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG="${INSTR_PG:-postgres://postgres@127.0.0.1:5432}"
DB="${INSTR_DB:-lvzhi_instructions}"
QUESTIONS="${INSTR_QUESTIONS:-Floor Bureau Page Duty Search1 SearchPair Search2}"
N="${INSTR_REQUESTS:-50}"
OUT="${INSTR_OUT:-$(mktemp -d /tmp/lvzhi-instructions.XXXXXX)}"
mkdir -p "$OUT"
die() { echo "instructions: $*" >&2; exit 1; }
log() { echo "instructions: $*" >&2; }

[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "INSTR_REQUESTS must be a positive number, not '$N'"
missing=()
for tool in valgrind callgrind_control curl jq psql python3; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  log "installing valgrind, curl, jq, postgresql-client"
  apt-get update -qq && apt-get install -y -qq valgrind curl jq postgresql-client >/dev/null
fi

BIN="${INSTR_BIN:-}"
if [[ -z "$BIN" ]]; then
  (cd "$ROOT" && cargo build --release --quiet --bin lvzhi)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/lvzhi"
fi
[[ -x "$BIN" ]] || die "no lvzhi binary at $BIN"

if [[ "${INSTR_REUSE_DB:-0}" != 1 ]]; then
  log "recreating $DB with the Wuqia list"
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  (cd "$ROOT" && DATABASE_URL="$PG/$DB" "$BIN" import seeds/wuqia-town-duty-list-2025-07.txt >/dev/null 2>&1) ||
    die "importing the Wuqia list into $DB failed"
fi

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT/graphql"
(cd "$ROOT" && exec env DATABASE_URL="$PG/$DB" LVZHI_ENV=production LVZHI_RESPONSE_CACHE_BYTES=0 \
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/callgrind.%p" \
  "$BIN" serve --bind "127.0.0.1:$PORT" >"$OUT/server.log" 2>&1) &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break
  kill -0 "$SERVER" 2>/dev/null || die "the server exited: $(tail -5 "$OUT/server.log")"
  sleep 0.5
done

ask() { curl -s -H 'content-type: application/json' --data "$(jq -nc --arg q "$1" '{query: $q}')" "$URL"; }
LIST_ID="$(ask '{ dutyLists { id town } }' | jq -r '[.data.dutyLists[] | select(.town == "乌恰镇")][0].id')"
DUTY_ID="$(ask "{ duties(filter: {listId: \"$LIST_ID\", kind: COOPERATIVE}, first: 100) { nodes { id seq } } }" |
  jq -r '.data.duties.nodes[] | select(.seq == 31) | .id')"
DEPT_ID="$(ask '{ department(name: "乌恰县市场监督管理局") { id } }' | jq -r '.data.department.id')"
[[ "$LIST_ID" != null && -n "$DUTY_ID" && "$DEPT_ID" != null ]] || die "the Wuqia list is not in $DB"

# The questions of bench/run.sh, for the Wuqia list.
declare -A Q
Q[Floor]='{ __typename }'
Q[Bureau]="query Bureau { department(id: \"$DEPT_ID\") { id name aliases cooperationCount reclaimedCount cooperations { duty { id seq name category { name } } departmentItems { section text } townItems { section text } partners { name } } reclaimedDuties { seq name workingMethod } } }"
Q[Page]="query Page { duties(filter: {listId: \"$LIST_ID\"}, first: 50) { totalCount nodes { id seq name kind category { name } departments { name } } pageInfo { hasNextPage endCursor } } }"
Q[Duty]="query Duty { duty(id: \"$DUTY_ID\") { id kind seq name category { name } departments { name } departmentItems { section text departments { name } } townItems { section text } workingMethod } }"
Q[Search1]='query Search1 { search(query: "林", first: 10) { totalCount nodes { duty { id seq name } matchedIn departments { name } score snippet } } }'
Q[SearchPair]='query SearchPair { search(query: "燃气", first: 10) { totalCount nodes { duty { id seq name } matchedIn departments { name } score snippet } } }'
Q[Search2]='query Search2 { search(query: "燃气 入户", first: 10) { totalCount nodes { duty { id seq name } matchedIn departments { name } score snippet } } }'

printf '| Question | instructions per request |\n|---|---:|\n'
for name in $QUESTIONS; do
  [[ -n "${Q[$name]:-}" ]] || die "no question $name (known: ${!Q[*]})"
  body="$(jq -nc --arg q "${Q[$name]}" '{query: $q}')"
  answer="$(curl -s -H 'content-type: application/json' --data "$body" "$URL")"
  jq -e '.data and (.errors | not)' <<<"$answer" >/dev/null || die "$name failed: ${answer:0:300}"
  for _ in 1 2 3 4 5; do curl -s -o /dev/null -H 'content-type: application/json' --data "$body" "$URL"; done
  callgrind_control --zero "$SERVER" >/dev/null 2>&1
  callgrind_control --instr=on "$SERVER" >/dev/null 2>&1
  for _ in $(seq 1 "$N"); do curl -s -o /dev/null -H 'content-type: application/json' --data "$body" "$URL"; done
  callgrind_control --instr=off "$SERVER" >/dev/null 2>&1
  before="$(ls "$OUT" | grep -c '^callgrind\.[0-9]*\.' || true)"
  callgrind_control --dump="$name" "$SERVER" >/dev/null 2>&1
  for _ in $(seq 1 100); do
    (($(ls "$OUT" | grep -c '^callgrind\.[0-9]*\.' || true) > before)) && break
    sleep 0.1
  done
  profile="$(ls -t "$OUT"/callgrind.*.* | head -n1)"
  total="$(awk '/^totals:/ {print $2; exit}' "$profile")"
  mv "$profile" "$OUT/$name.callgrind"
  printf '| %s | %s |\n' "$name" "$(awk -v t="$total" -v n="$N" 'BEGIN {printf "%d", t / n}')"
done
log "profiles: $OUT/*.callgrind (callgrind_annotate --inclusive=yes FILE)"
