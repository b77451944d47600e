#!/usr/bin/env bash
# Benchmark lvzhi's query API on the release build over PostgreSQL: requests/s,
# p50/p99 latency (wrk) and SQL statements per request (/metrics) of the Bureau,
# Page and search queries, plus `{ __typename }` as the HTTP floor. See bench/README.md.
#
# Environment (all optional):
#   BENCH_DURATION     seconds per load run                       (default 10)
#   BENCH_WARMUP       seconds of unrecorded load before a query  (default 2)
#   BENCH_CONCURRENCY  connection counts to run                   (default "1 8 32")
#   BENCH_SEQ_REQUESTS sequential requests for SQL/request        (default 200)
#   BENCH_DB           database to (re)create                     (default lvzhi_bench)
#   BENCH_PG           PostgreSQL server URL, no database         (default postgres://postgres@127.0.0.1:5432)
#   CARGO_TARGET_DIR   honoured by the release build
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-2}"
CONCURRENCY="${BENCH_CONCURRENCY:-1 8 32}"
SEQ_REQUESTS="${BENCH_SEQ_REQUESTS:-200}"
DB="${BENCH_DB:-lvzhi_bench}"
PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
PG="${PG%/}"

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

[[ "$DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB=$DB is not a plain identifier"
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 1 && "$DURATION" -le 600 ]] || die "BENCH_DURATION must be 1..600 seconds"
[[ "$WARMUP" =~ ^[0-9]+$ && "$WARMUP" -le 600 ]] || die "BENCH_WARMUP must be 0..600 seconds"
[[ "$SEQ_REQUESTS" =~ ^[0-9]+$ && "$SEQ_REQUESTS" -ge 1 ]] || die "BENCH_SEQ_REQUESTS must be a positive number"
for c in $CONCURRENCY; do [[ "$c" =~ ^[0-9]+$ && "$c" -ge 1 ]] || die "bad concurrency $c"; done

# --- tools ------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
command -v psql >/dev/null || missing+=(postgresql)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- PostgreSQL ---------------------------------------------------------------
if ! pg_isready -d "$PG/postgres" -q; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_isready -d "$PG/postgres" -q && break; sleep 1; done
fi
psql "$PG/postgres" -qAtc 'select 1' >/dev/null || die "cannot reach PostgreSQL at $PG"
PG_VERSION="$(psql "$PG/postgres" -qAtc 'select version()')"
log "recreating database $DB"
psql "$PG/postgres" -v ON_ERROR_STOP=1 -q \
  -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
  -c "CREATE DATABASE $DB" >/dev/null

# --- release build ------------------------------------------------------------
log "building the release binary (CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-<default>})"
cargo build --release --manifest-path "$ROOT/Cargo.toml" --bin lvzhi >&2
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | jq -r .target_directory)"
BIN="$TARGET_DIR/release/lvzhi"
[[ -x "$BIN" ]] || die "no binary at $BIN"

# --- server -------------------------------------------------------------------
WORK="$(mktemp -d /tmp/lvzhi-bench.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run from an empty directory so no .env is picked up.
(cd "$WORK" && exec env -u LVZHI_BIND -u LVZHI_DEPARTMENTS \
  DATABASE_URL="$PG/$DB" LVZHI_LOG=warn "$BIN" serve --bind 127.0.0.1:0 \
  >"$WORK/server.out" 2>"$WORK/server.err") &
SERVER_PID=$!
log "started lvzhi (pid $SERVER_PID); waiting for it to migrate and import"
ADDR=""
for _ in $(seq 1 600); do
  ADDR="$(sed -n 's|^lvzhi serves GraphQL at http://\([^/]*\)/graphql.*|\1|p' "$WORK/server.out" | head -n1)"
  [[ -n "$ADDR" ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; die "lvzhi exited before it was ready"; }
  sleep 0.5
done
[[ -n "$ADDR" ]] || { cat "$WORK/server.err" >&2; die "lvzhi was not ready within 300 s"; }
case "$ADDR" in 127.0.0.1:*) ;; *) die "unexpected address $ADDR";; esac
URL="http://$ADDR/graphql"
HWM_START="$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")"
log "lvzhi ready at $URL (VmHWM after start-up ${HWM_START} kB)"

body_file() { jq -nc --arg q "$1" '{query: $q}' >"$2"; }
post() { curl -sS --fail-with-body -H 'content-type: application/json' -H 'accept: application/json' --data-binary @"$1" "$URL"; }
metric() { curl -sS --fail "http://$ADDR/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# --- the queries ----------------------------------------------------------------
body_file '{ departments(orderBy: COOPERATION_COUNT) { name cooperationCount } }' "$WORK/departments.json"
post "$WORK/departments.json" >"$WORK/departments.out"
jq -e '.errors == null and (.data.departments | length > 0)' "$WORK/departments.out" >/dev/null \
  || die "departments query failed: $(head -c 600 "$WORK/departments.out")"
DEPT="$(jq -r '.data.departments[0].name' "$WORK/departments.out")"
DEPT_COOPS="$(jq -r '.data.departments[0].cooperationCount' "$WORK/departments.out")"
MAX_COOPS="$(jq -r '[.data.departments[].cooperationCount] | max' "$WORK/departments.out")"
[[ "$DEPT_COOPS" == "$MAX_COOPS" ]] || die "departments(orderBy: COOPERATION_COUNT) does not list the busiest first ($DEPT_COOPS < $MAX_COOPS)"
log "busiest department: $DEPT ($DEPT_COOPS cooperations)"
[[ "$DEPT" != *'"'* && "$DEPT" != *'\'* ]] || die "department name needs escaping: $DEPT"

NAMES=(Floor Bureau Page Search1 Search2)
declare -A QUERY CHECK
QUERY[Floor]='{ __typename }'
CHECK[Floor]='.data.__typename == "Query"'
QUERY[Bureau]="query Bureau { department(name: \"$DEPT\") { id name aliases cooperationCount reclaimedCount cooperations { duty { id seq name category { name } } departmentItems { section text } townItems { section text } partners { name } } reclaimedDuties { seq name workingMethod } } }"
CHECK[Bureau]='.data.department.cooperationCount > 0 and (.data.department.cooperations | length) == .data.department.cooperationCount'
QUERY[Page]='query Page { duties(filter: {kind: COOPERATIVE, category: "应急管理及消防"}, first: 5) { totalCount nodes { id kind seq name category { name } } pageInfo { hasNextPage endCursor } } }'
CHECK[Page]='.data.duties.totalCount > 0 and (.data.duties.nodes | length) > 0'
QUERY[Search1]='query Search1 { search(query: "林", first: 10) { totalCount nodes { duty { id seq name } matchedIn departments { name } score snippet } } }'
CHECK[Search1]='.data.search.totalCount > 0'
QUERY[Search2]='query Search2 { search(query: "燃气 入户", first: 10) { totalCount nodes { duty { id seq name } matchedIn departments { name } score snippet } } }'
CHECK[Search2]='.data.search.totalCount > 0'

declare -A SQL_PER_REQ RESP_BYTES
for name in "${NAMES[@]}"; do
  body_file "${QUERY[$name]}" "$WORK/$name.json"
  post "$WORK/$name.json" >"$WORK/$name.out"
  jq -e "(.errors == null) and (.data != null) and (${CHECK[$name]})" "$WORK/$name.out" >/dev/null \
    || die "$name query returned errors or no data: $(head -c 600 "$WORK/$name.out")"
  RESP_BYTES[$name]="$(wc -c <"$WORK/$name.out")"

  # SQL statements per request: a sequential run on one keep-alive connection,
  # every response checked for errors, counters read around it.
  r0="$(metric lvzhi_graphql_requests_total)"; s0="$(metric lvzhi_sql_statements_total)"
  urls=(); for _ in $(seq 1 "$SEQ_REQUESTS"); do urls+=("$URL"); done
  curl -sS --fail-with-body -H 'content-type: application/json' -H 'accept: application/json' \
    --data-binary @"$WORK/$name.json" "${urls[@]}" >"$WORK/$name.seq"
  r1="$(metric lvzhi_graphql_requests_total)"; s1="$(metric lvzhi_sql_statements_total)"
  bad="$(jq -s '[.[] | select(.errors != null or .data == null)] | length' "$WORK/$name.seq")"
  got="$(jq -s 'length' "$WORK/$name.seq")"
  [[ "$bad" == 0 && "$got" == "$SEQ_REQUESTS" ]] || die "$name: $bad of $got sequential responses had errors"
  [[ $((r1 - r0)) == "$SEQ_REQUESTS" ]] || die "$name: /metrics counted $((r1 - r0)) requests, sent $SEQ_REQUESTS"
  SQL_PER_REQ[$name]="$(awk -v s=$((s1 - s0)) -v r=$((r1 - r0)) 'BEGIN {printf "%.2f", s / r}')"
  log "$name: ${RESP_BYTES[$name]} bytes per response, ${SQL_PER_REQ[$name]} SQL statements per request"
done

# --- load ------------------------------------------------------------------------
wrk_run() { # body-file connections seconds -> BENCH line
  local threads=$(($2 < 2 ? $2 : 2))
  BENCH_BODY_FILE="$1" wrk -t"$threads" -c"$2" -d"$3s" --timeout 10s --latency -s "$BENCH_DIR/post.lua" "$URL" \
    | tee -a "$WORK/wrk.log" | grep '^BENCH ' || { tail -n 20 "$WORK/wrk.log" >&2; die "wrk failed"; }
}
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }

ROWS=()
NOTES=()
for name in "${NAMES[@]}"; do
  if ((WARMUP > 0)); then wrk_run "$WORK/$name.json" 8 "$WARMUP" >/dev/null; fi
  for c in $CONCURRENCY; do
    log "$name at concurrency $c for ${DURATION}s"
    r0="$(metric lvzhi_graphql_requests_total)"; s0="$(metric lvzhi_sql_statements_total)"
    line="$(wrk_run "$WORK/$name.json" "$c" "$DURATION")"
    [[ -n "$line" ]] || die "wrk printed no summary"
    r1="$(metric lvzhi_graphql_requests_total)"; s1="$(metric lvzhi_sql_statements_total)"
    n="$(field requests "$line")"; us="$(field duration_us "$line")"
    p50="$(field p50_us "$line")"; p99="$(field p99_us "$line")"
    errors=$(($(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field status "$line") + $(field timeout "$line")))
    rps="$(awk -v n="$n" -v us="$us" 'BEGIN {printf "%.1f", n / (us / 1e6)}')"
    p50ms="$(awk -v v="$p50" 'BEGIN {printf "%.2f", v / 1000}')"
    p99ms="$(awk -v v="$p99" 'BEGIN {printf "%.2f", v / 1000}')"
    load_sql="$(awk -v s=$((s1 - s0)) -v r=$((r1 - r0)) 'BEGIN {if (r > 0) printf "%.2f", s / r; else print "n/a"}')"
    ROWS+=("| $name | $c | $rps | $p50ms | $p99ms | $errors | ${SQL_PER_REQ[$name]} | $load_sql |")
    ((errors == 0)) || NOTES+=("- $name at concurrency $c: $errors errors ($line).")
  done
done

kill -0 "$SERVER_PID" 2>/dev/null || die "lvzhi died during the benchmark"
HWM_END="$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")"
RSS_END="$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")"
if [[ -s "$WORK/server.err" ]]; then
  NOTES+=("- lvzhi wrote $(wc -l <"$WORK/server.err") line(s) to stderr (LVZHI_LOG=warn); first: \`$(head -n1 "$WORK/server.err" | cut -c1-200)\`")
fi

# --- report ------------------------------------------------------------------------
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "$ROOT" status --porcelain -- src entity migration Cargo.toml Cargo.lock 2>/dev/null)" ]]; then
  COMMIT="$COMMIT (working tree has uncommitted changes under src/entity/migration/Cargo.*)"
fi
CPU="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
MEM="$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
DATE="$(date +%F)"
OUT_DIR="$BENCH_DIR/results"
OUT="$OUT_DIR/$DATE-query-api.md"
mkdir -p "$OUT_DIR"

{
  echo "# lvzhi query API benchmark, $DATE"
  echo
  echo "- Machine: $(nproc) CPUs ($CPU), $MEM memory, $(uname -sr)"
  echo "- PostgreSQL: $PG_VERSION (same machine, 127.0.0.1)"
  echo "- lvzhi: commit $COMMIT, release build"
  echo "- Load: $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), threads = min(connections, 2), ${DURATION} s per run after a ${WARMUP} s warm-up per query, client on the same machine"
  echo "- Bureau department: $DEPT ($DEPT_COOPS cooperations); response sizes: $(for n in "${NAMES[@]}"; do printf '%s %s B; ' "$n" "${RESP_BYTES[$n]}"; done)"
  echo "- SQL/req: Δlvzhi_sql_statements_total / Δlvzhi_graphql_requests_total; *seq* over $SEQ_REQUESTS sequential requests (the exact per-request figure), *load* over that load run (DataLoaders are per request, so the two agree)"
  echo "- lvzhi peak RSS (VmHWM): $(mib "$HWM_START") after start-up (migrate + import), $(mib "$HWM_END") at the end; RSS at the end $(mib "$RSS_END")"
  echo
  echo "| Query | Connections | Req/s | p50 ms | p99 ms | Errors | SQL/req seq | SQL/req load |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  if ((${#NOTES[@]})); then
    echo
    echo "Notes:"
    echo
    printf '%s\n' "${NOTES[@]}"
  fi
  echo
  echo "Queries:"
  echo
  for name in "${NAMES[@]}"; do echo "- $name: \`${QUERY[$name]}\`"; done
  echo
  echo "Reproduce: \`CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target} BENCH_DURATION=$DURATION BENCH_WARMUP=$WARMUP bench/run.sh\`"
} >"$OUT"

cat "$OUT"
log "wrote ${OUT#"$ROOT"/}"
