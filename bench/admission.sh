#!/usr/bin/env bash
# Latency of admissionCheck against one list (the Wuqia list), with the response
# cache off (LVZHI_RESPONSE_CACHE_BYTES=0: every request parses, resolves the list,
# fetches its duties and items, indexes them and judges the task), on PostgreSQL,
# with the Wuqia list alone and with N synthetic towns beside it. Each request
# checks another task of tests/admission/wuqia.toml, one at a time over HTTP;
# the report gives p50, p90 and p99 and the SQL statements per request.
# Target: p50 ≤ 20 ms at 1,000 towns. Writes bench/results/YYYY-MM-DD-admission.md.
#
# Environment (all optional):
#   ADMISSION_TOWNS     synthetic town counts to run            (default "0 1000")
#   ADMISSION_REQUESTS  requests per run                        (default 400)
#   ADMISSION_DB        database to (re)create for each run     (default lvzhi_admission)
#   ADMISSION_PG        PostgreSQL server URL, no database      (default postgres://postgres@127.0.0.1:5432)
#   ADMISSION_PORT      port lvzhi listens on                   (default 18790)
#   ADMISSION_BIN       an lvzhi binary instead of building the release one
#   ADMISSION_GENERATE_BIN  with ADMISSION_BIN: lvzhi-generate  (default: beside ADMISSION_BIN)
#   CARGO_TARGET_DIR    honoured by the release build
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
TOWNS="${ADMISSION_TOWNS:-0 1000}"
REQUESTS="${ADMISSION_REQUESTS:-400}"
DB="${ADMISSION_DB:-lvzhi_admission}"
PG="${ADMISSION_PG:-postgres://postgres@127.0.0.1:5432}"
PG="${PG%/}"
PORT="${ADMISSION_PORT:-18790}"

die() { echo "admission-bench: $*" >&2; exit 1; }
log() { echo "admission-bench: $*" >&2; }

[[ "$DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "ADMISSION_DB=$DB is not a plain identifier"
[[ "$REQUESTS" =~ ^[0-9]+$ && "$REQUESTS" -ge 10 && "$REQUESTS" -le 100000 ]] || die "ADMISSION_REQUESTS must be 10..100000"
for n in $TOWNS; do [[ "$n" =~ ^[0-9]+$ && "$n" -le 9999 ]] || die "bad town count $n (0..9999)"; done
for tool in jq curl psql; do command -v "$tool" >/dev/null || die "needs $tool"; done
sql() { PGOPTIONS="-c client_min_messages=warning" psql "$PG/${2:-postgres}" -v ON_ERROR_STOP=1 -qAtc "$1"; }
sql 'select 1' >/dev/null || die "cannot reach PostgreSQL at $PG"

if [[ -n "${ADMISSION_BIN:-}" ]]; then
  BIN="$ADMISSION_BIN"
  GEN_BIN="${ADMISSION_GENERATE_BIN:-$(dirname "$BIN")/lvzhi-generate}"
else
  log "building the release binaries"
  cargo build --release --manifest-path "$ROOT/Cargo.toml" --bin lvzhi --bin lvzhi-generate >&2
  TARGET_DIR="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | jq -r .target_directory)"
  BIN="$TARGET_DIR/release/lvzhi"
  GEN_BIN="$TARGET_DIR/release/lvzhi-generate"
fi
[[ -x "$BIN" ]] || die "no binary at $BIN"
for n in $TOWNS; do ((n == 0)) || [[ -x "$GEN_BIN" ]] || die "no lvzhi-generate at $GEN_BIN"; done

WORK="$(mktemp -d /tmp/lvzhi-admission.XXXXXX)"
SERVER=""
cleanup() {
  if [[ -n "$SERVER" ]] && kill -0 "$SERVER" 2>/dev/null; then kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The tasks: every task of the labelled Wuqia set, as request bodies.
QUERY='query($task: String!, $list: ID!) { admissionCheck(task: $task, listId: $list) {
  verdict confidence reason duty { kind seq name }
  matches { duty { kind seq } score coverage side departments { name }
    evidence { text highlights { start length } } townItems { text } departmentItems { text } } } }'
grep -E '^task = ' "$ROOT/tests/admission/wuqia.toml" | sed -E 's/^task = "(.*)"$/\1/' >"$WORK/tasks.txt"
TASKS="$(wc -l <"$WORK/tasks.txt")"
((TASKS > 0)) || die "no tasks in tests/admission/wuqia.toml"

REPORT="$BENCH_DIR/results/$(date +%F)-admission.md"
{
  echo "# admissionCheck latency, response cache off"
  echo
  echo "$(date -u +%FT%TZ), commit $(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores; PostgreSQL $(sql 'show server_version');"
  echo "\`bash bench/admission.sh\` (ADMISSION_REQUESTS=$REQUESTS): one request at a time over HTTP (curl, a new"
  echo "connection each), each another of the $TASKS tasks of tests/admission/wuqia.toml, against the Wuqia list by \`listId\`."
  echo
  echo "| lists in the database | checks against | requests | p50 | p90 | p99 | mean | SQL statements/request |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|"
} >"$REPORT"

for n in $TOWNS; do
  log "run with $n synthetic towns"
  sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
  sql "CREATE DATABASE $DB" >/dev/null
  export DATABASE_URL="$PG/$DB"
  files=("$ROOT/seeds/wuqia-town-duty-list-2025-07.txt")
  registry=""
  if ((n > 0)); then
    "$GEN_BIN" --towns "$n" --out "$WORK/towns-$n" >&2
    registry="$WORK/towns-$n/departments.toml"
    files+=("$WORK/towns-$n"/*.txt)
  fi
  (cd "$WORK" && LVZHI_DEPARTMENTS="$registry" "$BIN" import "${files[@]}" >/dev/null)
  # exec: $! is lvzhi itself, so the kill below stops it.
  (cd "$WORK" && LVZHI_DEPARTMENTS="$registry" LVZHI_RESPONSE_CACHE_BYTES=0 LVZHI_LOG=warn \
    exec "$BIN" serve --bind "127.0.0.1:$PORT" >"$WORK/server-$n.log" 2>&1) &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  kill -0 "$SERVER" 2>/dev/null && curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null ||
    die "lvzhi did not start: $(tail -5 "$WORK/server-$n.log")"
  lists="$(sql 'select count(*) from duty_list' "$DB")"
  list="$(curl -s "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
    -d '{"query":"{ dutyLists { id town county } }"}' | jq -r '.data.dutyLists[] | select(.town == "乌恰镇" and .county == "乌恰县") | .id')"
  [[ -n "$list" ]] || die "no Wuqia list"
  body() { jq -cn --arg q "$QUERY" --arg t "$1" --arg l "$2" '{query: $q, variables: {task: $t, list: $l}}'; }
  post() { curl -s -o "$WORK/last.json" -w '%{time_total}\n' "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' --data-binary @"$1"; }
  statements() { curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1 == "lvzhi_sql_statements_total" {print $2}'; }
  # Phase `warm`: the Wuqia list, indexed by the first request and kept.
  i=0
  while IFS= read -r task; do body "$task" "$list" >"$WORK/body-$i.json"; i=$((i + 1)); done <"$WORK/tasks.txt"
  for w in $(seq 0 19); do post "$WORK/body-$((w % TASKS)).json" >/dev/null; done
  jq -e '.data.admissionCheck.verdict' "$WORK/last.json" >/dev/null || die "bad answer: $(cat "$WORK/last.json")"
  measure() { # name, body prefix, count
    local before after
    before="$(statements)"
    : >"$WORK/times.txt"
    for r in $(seq 0 $(($3 - 1))); do post "$WORK/$2-$((r % $4)).json" >>"$WORK/times.txt"; done
    after="$(statements)"
    sort -n "$WORK/times.txt" >"$WORK/sorted.txt"
    pct() { awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p+0.5); if (i<1) i=1; if (i>NR) i=NR; printf "%.1f ms", a[i]*1000}' "$WORK/sorted.txt"; }
    local mean per
    mean="$(awk '{s+=$1} END {printf "%.1f ms", s/NR*1000}' "$WORK/sorted.txt")"
    per="$(awk -v a="$after" -v b="$before" -v r="$3" 'BEGIN {printf "%.1f", (a-b)/r}')"
    echo "| $lists | $1 | $3 | $(pct 0.5) | $(pct 0.9) | $(pct 0.99) | $mean | $per |" >>"$REPORT"
    log "$lists lists, $1: p50 $(pct 0.5), p99 $(pct 0.99)"
  }
  measure "Wuqia, indexed list kept" body "$REQUESTS" "$TASKS"
  # Phase `first check`: every request against another list, none of them kept
  # (more lists than the server keeps): each fetches and indexes its list.
  if ((lists > 300)); then
    curl -s "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
      -d '{"query":"{ dutyLists { id } }"}' | jq -r '.data.dutyLists[].id' >"$WORK/lists.txt"
    j=0
    while IFS= read -r other; do
      body "$(sed -n "$((j % TASKS + 1))p" "$WORK/tasks.txt")" "$other" >"$WORK/cold-$j.json"
      j=$((j + 1))
    done <"$WORK/lists.txt"
    measure "another list each request (fetched and indexed)" cold "$REQUESTS" "$j"
  fi
  kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
done
sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
echo >>"$REPORT"
echo "Target: p50 ≤ 20 ms per task at 1,000 towns, cache off." >>"$REPORT"
log "wrote ${REPORT#"$ROOT"/}"
cat "$REPORT"
