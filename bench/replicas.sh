#!/usr/bin/env bash
# Read replicas and several processes, on this machine: a PostgreSQL 15 primary
# and a streaming replica as two new clusters on free ports (pg_createcluster,
# pg_basebackup -R; the existing clusters are left alone), the release build,
# N generated towns imported on the primary, and two `lvzhi serve` processes,
# each with DATABASE_URL=primary, DATABASE_READ_URL=replica and the response
# cache off. It shows:
#   (a) reads spread over the replica: pg_stat_database (xact_commit,
#       tup_returned) on both clusters around a load run, and each process's
#       lvzhi_reads_total{database};
#   (b) an import on the primary (one more town, `lvzhi import`) visible
#       through both processes: the time from the import's end until each
#       process answers with the new list;
#   (c) throughput of the Page question (bench/run.sh's) with wrk against one
#       process, then against both at once (two wrk runs in parallel, summed);
#       and, for reference, one process without a replica.
# Both clusters are dropped at the end, also on failure. Prints a markdown
# report and writes it to bench/results/YYYY-MM-DD-replicas.md.
#
# Environment (all optional):
#   REPL_TOWNS        generated towns imported before serving      (default 100)
#   REPL_DURATION     seconds per wrk run                          (default 10)
#   REPL_WARMUP       seconds of unrecorded load before each run   (default 2)
#   REPL_CONNECTIONS  wrk connections per process                  (default 32)
#   REPL_ROUNDS       rounds of the three throughput runs          (default 2)
#   REPL_SEED         generator seed                               (default: lvzhi-generate's)
#   REPL_RESULTS_DIR  where the report goes                        (default bench/results)
#   CARGO_TARGET_DIR  honoured by the release build
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
TOWNS="${REPL_TOWNS:-100}"
DURATION="${REPL_DURATION:-10}"
WARMUP="${REPL_WARMUP:-2}"
CONNECTIONS="${REPL_CONNECTIONS:-32}"
ROUNDS="${REPL_ROUNDS:-2}"
SEED="${REPL_SEED:-}"
RESULTS_DIR="${REPL_RESULTS_DIR:-$BENCH_DIR/results}"
PG_MAJOR=15
DB=lvzhi
# Cluster names of this run: never the existing ones.
PRIMARY="lvzhi_primary_$$"
REPLICA="lvzhi_replica_$$"

die() { echo "replicas: $*" >&2; exit 1; }
log() { echo "replicas: $*" >&2; }

[[ "$TOWNS" =~ ^[0-9]+$ && "$TOWNS" -ge 1 && "$TOWNS" -le 9999 ]] || die "REPL_TOWNS must be 1..9999"
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 1 && "$DURATION" -le 600 ]] || die "REPL_DURATION must be 1..600"
[[ "$WARMUP" =~ ^[0-9]+$ && "$WARMUP" -le 600 ]] || die "REPL_WARMUP must be 0..600"
[[ "$CONNECTIONS" =~ ^[0-9]+$ && "$CONNECTIONS" -ge 1 && "$CONNECTIONS" -le 1000 ]] || die "REPL_CONNECTIONS must be 1..1000"
[[ -z "$SEED" || "$SEED" =~ ^[0-9]+$ ]] || die "REPL_SEED must be a number"
[[ "$ROUNDS" =~ ^[0-9]+$ && "$ROUNDS" -ge 1 && "$ROUNDS" -le 10 ]] || die "REPL_ROUNDS must be 1..10"
[[ "$(id -u)" == 0 ]] || die "run as root: clusters are made with pg_createcluster and run as postgres"

# --- tools ------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
command -v pg_createcluster >/dev/null || missing+=(postgresql-common)
[[ -x "/usr/lib/postgresql/$PG_MAJOR/bin/pg_basebackup" ]] || missing+=("postgresql-$PG_MAJOR")
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- clean-up, also on failure ----------------------------------------------
WORK="$(mktemp -d /tmp/lvzhi-replicas.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for cluster in "$REPLICA" "$PRIMARY"; do
    if pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$cluster"; then
      pg_dropcluster --stop "$PG_MAJOR" "$cluster" >/dev/null 2>&1 || log "could not drop cluster $cluster"
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now() { date +%s.%N; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", (b - a) * 1000}'; }

# --- release build ------------------------------------------------------------
log "building the release binaries (CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-<default>})"
cargo build --release --manifest-path "$ROOT/Cargo.toml" --bin lvzhi --bin lvzhi-generate >&2
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | jq -r .target_directory)"
BIN="$TARGET_DIR/release/lvzhi"
GEN_BIN="$TARGET_DIR/release/lvzhi-generate"
[[ -x "$BIN" && -x "$GEN_BIN" ]] || die "no release binaries in $TARGET_DIR/release"

# --- the primary and its streaming replica -----------------------------------
# Cluster $1 listens on 127.0.0.1 only (its conf.d is read after postgresql.conf).
loopback_only() {
  echo "listen_addresses = '127.0.0.1'" >"/etc/postgresql/$PG_MAJOR/$1/conf.d/lvzhi-bench.conf"
}
PRIMARY_PORT="$(free_port)"
log "creating the primary: cluster $PG_MAJOR/$PRIMARY on 127.0.0.1:$PRIMARY_PORT"
pg_createcluster "$PG_MAJOR" "$PRIMARY" -p "$PRIMARY_PORT" \
  -o wal_level=replica -o max_wal_senders=4 -- --auth=trust >/dev/null
loopback_only "$PRIMARY"
pg_ctlcluster "$PG_MAJOR" "$PRIMARY" start
PG_PRIMARY="postgres://postgres@127.0.0.1:$PRIMARY_PORT"

REPLICA_PORT="$(free_port)"
log "creating the replica: cluster $PG_MAJOR/$REPLICA on 127.0.0.1:$REPLICA_PORT (pg_basebackup -R)"
pg_createcluster "$PG_MAJOR" "$REPLICA" -p "$REPLICA_PORT" -o hot_standby=on -- --auth=trust >/dev/null
loopback_only "$REPLICA"
REPLICA_DATA="$(pg_lsclusters -h | awk -v c="$REPLICA" '$2 == c {print $6}')"
[[ -n "$REPLICA_DATA" && -d "$REPLICA_DATA" ]] || die "no data directory for $REPLICA"
# The replica's data directory becomes a copy of the primary's that follows it.
find "$REPLICA_DATA" -mindepth 1 -delete
runuser -u postgres -- pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
  -D "$REPLICA_DATA" -R -X stream -c fast >/dev/null
pg_ctlcluster "$PG_MAJOR" "$REPLICA" start
PG_REPLICA="postgres://postgres@127.0.0.1:$REPLICA_PORT"
[[ "$(psql "$PG_REPLICA/postgres" -qAtc 'select pg_is_in_recovery()')" == t ]] || die "the replica is not in recovery"
[[ "$(psql "$PG_PRIMARY/postgres" -qAtc 'select count(*) from pg_stat_replication')" -ge 1 ]] || die "the primary streams to no replica"
PG_VERSION="$(psql "$PG_PRIMARY/postgres" -qAtc 'select version()')"

# --- data: N towns imported on the primary, one more kept for (b) -------------
log "generating $((TOWNS + 1)) towns"
DATA="$WORK/towns"
SEED_ARGS=()
[[ -n "$SEED" ]] && SEED_ARGS=(--seed "$SEED")
RUN_DIR="$WORK/run"
mkdir -p "$RUN_DIR"
(cd "$RUN_DIR" && "$GEN_BIN" --towns "$((TOWNS + 1))" --out "$DATA" "${SEED_ARGS[@]}" >/dev/null)
mapfile -t FILES < <(ls "$DATA"/*.txt | sort)
((${#FILES[@]} == TOWNS + 1)) || die "expected $((TOWNS + 1)) generated files, found ${#FILES[@]}"
LAST_FILE="${FILES[-1]}"
unset 'FILES[-1]'

psql "$PG_PRIMARY/postgres" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $DB" >/dev/null
PRIMARY_URL="$PG_PRIMARY/$DB"
REPLICA_URL="$PG_REPLICA/$DB"
cli() { (cd "$RUN_DIR" && env DATABASE_URL="$PRIMARY_URL" LVZHI_DEPARTMENTS="$DATA/departments.toml" LVZHI_LOG=warn "$BIN" "$@"); }
cli migrate >/dev/null
log "importing $TOWNS towns on the primary"
t0="$(now)"
cli import "${FILES[@]}" >"$WORK/import.out"
SEED_S="$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}')"
DUTIES="$(tail -n 1 "$WORK/import.out" | sed -n 's/.*failed): \([0-9]*\) duties.*/\1/p')"
# The replica has everything before the processes start.
until [[ "$(psql "$REPLICA_URL" -qAtc 'select version from data_version' 2>/dev/null)" == \
  "$(psql "$PRIMARY_URL" -qAtc 'select version from data_version')" ]]; do sleep 0.1; done

# --- the processes --------------------------------------------------------------
# `lvzhi serve` on a free port: $1 its name, $2 DATABASE_READ_URL (empty: none).
declare -A ADDRESS
serve() {
  local name="$1" read_url="$2" port
  port="$(free_port)"
  mkdir -p "$WORK/$name"
  (cd "$WORK/$name" && exec env DATABASE_URL="$PRIMARY_URL" ${read_url:+DATABASE_READ_URL="$read_url"} \
    LVZHI_BIND="127.0.0.1:$port" LVZHI_RESPONSE_CACHE_BYTES=0 LVZHI_LOG=warn LVZHI_WEBHOOK_WORKERS=0 \
    LVZHI_DEPARTMENTS="$DATA/departments.toml" "$BIN" serve >"$WORK/$name.out" 2>"$WORK/$name.err") &
  PIDS+=("$!")
  ADDRESS[$name]="http://127.0.0.1:$port"
  local deadline=$((SECONDS + 60))
  until curl -fs "${ADDRESS[$name]}/healthz" >/dev/null; do
    ((SECONDS < deadline)) || { cat "$WORK/$name.err" >&2; die "$name did not start"; }
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$WORK/$name.err" >&2; die "$name exited"; }
    sleep 0.1
  done
}
serve one "$REPLICA_URL"
serve two "$REPLICA_URL"
serve alone ""

# POST a GraphQL query ($2) to process $1; the JSON answer.
ask() { curl -fs -H 'Content-Type: application/json' --data "$(jq -nc --arg q "$2" '{query: $q}')" "${ADDRESS[$1]}/graphql"; }
LISTS='{ dutyLists { id } }'
LIST_ID="$(ask one "$LISTS" | jq -r '.data.dutyLists[0].id')"
[[ -n "$LIST_ID" && "$LIST_ID" != null ]] || die "no list answered"
PAGE="query Page { duties(filter: {listId: \"$LIST_ID\"}, first: 50) { totalCount nodes { id seq name kind category { name } departments { name } } pageInfo { hasNextPage endCursor } } }"
jq -nc --arg q "$PAGE" '{query: $q, operationName: "Page"}' >"$WORK/page.json"
PAGE_BYTES="$(curl -fs -H 'Content-Type: application/json' --data @"$WORK/page.json" "${ADDRESS[one]}/graphql" | wc -c)"
for p in one two alone; do
  b="$(curl -fs -H 'Content-Type: application/json' --data @"$WORK/page.json" "${ADDRESS[$p]}/graphql" | wc -c)"
  [[ "$b" == "$PAGE_BYTES" ]] || die "process $p answers Page with $b bytes, not $PAGE_BYTES"
done

# A metric's value on process $1's /metrics (a line "NAME VALUE").
metric() { curl -fs "${ADDRESS[$1]}/metrics" | awk -v n="$2" '$1 == n {print $2}'; }
reads_of() { metric "$1" "lvzhi_reads_total{database=\"$2\"}"; }
# xact_commit and tup_returned of the database on a cluster ($1: its URL).
pg_stats() { psql "$1/postgres" -qAtF' ' -c "select xact_commit, tup_returned from pg_stat_database where datname = '$DB'"; }

# One wrk run against process $1 for $2 seconds; its BENCH summary line.
load() {
  local log
  log="$(mktemp "$WORK/wrk-$1.XXXXXX")"
  BENCH_BODY_FILE="$WORK/page.json" BENCH_EXPECT_BYTES="$PAGE_BYTES" \
    wrk -t2 -c"$CONNECTIONS" -d"$2s" --timeout 10s --latency -s "$BENCH_DIR/post.lua" "${ADDRESS[$1]}/graphql" \
    >"$log" 2>&1 || { cat "$log" >&2; die "wrk failed against $1"; }
  grep '^BENCH ' "$log" | tail -n 1
}
field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$1"; }
rps() { awk -v n="$(field "$1" requests)" -v us="$(field "$1" duration_us)" 'BEGIN {printf "%.0f", n / (us / 1e6)}'; }
ms() { awk -v us="$(field "$1" "$2")" 'BEGIN {printf "%.1f", us / 1000}'; }
bad() { echo $(($(field "$1" connect) + $(field "$1" read) + $(field "$1" write) + $(field "$1" status) + $(field "$1" timeout) + $(field "$1" gql) + $(field "$1" size))); }
# PostgreSQL 15 backends flush their counts to pg_stat_database at most once a
# second while busy, and an idle one within 10 s: read them after 11 s of quiet.
settled_stats() {
  sleep 11
  pg_stats "$1"
}
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- (c) throughput, and (a) where the reads went during it ------------------------
log "warming up"
((WARMUP > 0)) && { load one "$WARMUP" >/dev/null; load two "$WARMUP" >/dev/null; load alone "$WARMUP" >/dev/null; }

# Rounds of: one process without a replica (reference), one with, both at
# once; interleaved, so a change in what else runs on the machine shows
# across rounds instead of favouring one configuration.
both() {
  load one "$1" >"$WORK/both-one" &
  local w1=$!
  load two "$1" >"$WORK/both-two" &
  local w2=$!
  wait "$w1" "$w2"
  echo "$(cat "$WORK/both-one")|$(cat "$WORK/both-two")"
}
P0="$(settled_stats "$PG_PRIMARY")"; R0="$(pg_stats "$PG_REPLICA")"
ONE_REPLICA0="$(reads_of one replica)"; ONE_PRIMARY0="$(reads_of one primary)"
TWO_REPLICA0="$(reads_of two replica)"; TWO_PRIMARY0="$(reads_of two primary)"
ALONE_PRIMARY0="$(reads_of alone primary)"
ALONE=(); ONE=(); BOTH=()
for round in $(seq 1 "$ROUNDS"); do
  log "(c) round $round: Page against one process without a replica for ${DURATION}s"
  ALONE+=("$(load alone "$DURATION")")
  log "(c) round $round: Page against one process with the replica for ${DURATION}s"
  ONE+=("$(load one "$DURATION")")
  log "(c) round $round: Page against both processes at once for ${DURATION}s"
  BOTH+=("$(both "$DURATION")")
done
P1="$(settled_stats "$PG_PRIMARY")"; R1="$(pg_stats "$PG_REPLICA")"
ONE_REPLICA1="$(reads_of one replica)"; ONE_PRIMARY1="$(reads_of one primary)"
TWO_REPLICA1="$(reads_of two replica)"; TWO_PRIMARY1="$(reads_of two primary)"
ALONE_PRIMARY1="$(reads_of alone primary)"

for run in "${ALONE[@]}" "${ONE[@]}" "${BOTH[@]%|*}" "${BOTH[@]#*|}"; do
  [[ -n "$run" ]] || die "a wrk run printed no summary (see $WORK)"
  (($(bad "$run") == 0)) || log "a run had failed or wrong answers: $run"
done
delta() { awk -v a="$1" -v b="$2" -v i="$3" 'BEGIN {split(a, x, " "); split(b, y, " "); print y[i] - x[i]}'; }
P_XACT="$(delta "$P0" "$P1" 1)"; P_TUP="$(delta "$P0" "$P1" 2)"
R_XACT="$(delta "$R0" "$R1" 1)"; R_TUP="$(delta "$R0" "$R1" 2)"

# --- (b) an import on the primary, visible through both processes --------------------
log "(b) importing one more town on the primary"
NEW_COUNT=$((TOWNS + 1))
lists_of() { ask "$1" '{ dutyLists { id } }' | jq '.data.dutyLists | length'; }
[[ "$(lists_of one)" == "$TOWNS" && "$(lists_of two)" == "$TOWNS" ]] || die "the processes do not answer $TOWNS lists before the import"
# From before the import until each answers with the new list (at most 60 s),
# each process is asked the lists as fast as it answers, one question at a
# time; "alone" reads the primary directly, so it shows when the commit became
# visible. Writes per process the time (Unix s) its first answer with the new
# list was asked, and the ms since its question before (the resolution).
python3 - "$NEW_COUNT" "$WORK/visible.json" "$WORK/polling" "${ADDRESS[alone]}" "${ADDRESS[one]}" "${ADDRESS[two]}" <<'PY' &
import json, sys, threading, time, urllib.request
count, out, ready, urls = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
body = json.dumps({"query": "{ dutyLists { id } }"}).encode()
start, found, asked_once = time.time(), {}, set()
def follow(url):
    last = None
    while time.time() - start < 60:
        asked = time.time()
        req = urllib.request.Request(url + "/graphql", body, {"Content-Type": "application/json"})
        lists = json.load(urllib.request.urlopen(req))["data"]["dutyLists"]
        asked_once.add(url)
        if len(asked_once) == len(urls):
            open(ready, "w").close()
        if len(lists) == count and last is not None:
            found[url] = {"at": asked, "step_ms": round((asked - last) * 1000, 1)}
            return
        last = asked
threads = [threading.Thread(target=follow, args=(u,)) for u in urls]
for t in threads: t.start()
for t in threads: t.join()
json.dump([found.get(u) for u in urls], open(out, "w"))
PY
POLLER=$!
until [[ -e "$WORK/polling" ]]; do sleep 0.01; done
IMPORT_STARTED="$(now)"
cli import "$LAST_FILE" >"$WORK/import-last.out"
IMPORTED_AT="$(now)"
IMPORT_MS="$(ms_between "$IMPORT_STARTED" "$IMPORTED_AT")"
wait "$POLLER" || die "the poller failed"
visible() { jq -r --argjson t0 "$IMPORT_STARTED" ".[$1] | if . == null then \"never\" else \"\\((.at - \$t0) * 1000 | round) (± \\(.step_ms))\" end" "$WORK/visible.json"; }
gap() { jq -r "if .[0] == null or .[$1] == null then \"?\" else ((.[$1].at - .[0].at) * 1000 | round | tostring) end" "$WORK/visible.json"; }
VISIBLE_PRIMARY="$(visible 0)"; VISIBLE_ONE="$(visible 1)"; VISIBLE_TWO="$(visible 2)"
AFTER_ONE="$(gap 1)"; AFTER_TWO="$(gap 2)"
# When the replica itself had the import (replay), for comparison.
until [[ "$(psql "$REPLICA_URL" -qAtc 'select count(*) from duty_list')" -ge "$NEW_COUNT" ]]; do sleep 0.01; done
REPLAYED="$(ms_between "$IMPORTED_AT" "$(now)")"
SEEN_ONE="$(metric one lvzhi_data_version_seen)"; SEEN_TWO="$(metric two lvzhi_data_version_seen)"
PRIMARY_VERSION="$(psql "$PRIMARY_URL" -qAtc 'select version from data_version')"
BEHIND_ONE="$(metric one 'lvzhi_replica_fallbacks_total{reason="behind"}')"
BEHIND_TWO="$(metric two 'lvzhi_replica_fallbacks_total{reason="behind"}')"

# --- report ------------------------------------------------------------------------
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "$ROOT" status --porcelain -- src entity migration Cargo.toml Cargo.lock 2>/dev/null)" ]]; then
  COMMIT="$COMMIT (working tree has uncommitted changes under src/entity/migration/Cargo.*)"
fi
CPU="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
MEM="$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
DATE="$(date +%F)"
mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/$DATE-replicas.md"
COMMAND="CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target} REPL_TOWNS=$TOWNS REPL_DURATION=$DURATION REPL_WARMUP=$WARMUP REPL_CONNECTIONS=$CONNECTIONS REPL_ROUNDS=$ROUNDS${SEED:+ REPL_SEED=$SEED} bash bench/replicas.sh"
row() { echo "| $1 | $(rps "$2") | $(ms "$2" p50_us) | $(ms "$2" p99_us) | $(field "$2" requests) | $(bad "$2") |"; }
{
  echo "# lvzhi with a read replica and two processes, $DATE"
  echo
  echo "- Machine: $(nproc) CPUs ($CPU), $MEM memory, $(uname -sr); both clusters, the three lvzhi processes and wrk share it; load average $LOAD_BEFORE before the runs, $(cut -d' ' -f1-3 /proc/loadavg) after"
  echo "- PostgreSQL: $PG_VERSION; primary: a new cluster on 127.0.0.1:$PRIMARY_PORT; replica: a new cluster on 127.0.0.1:$REPLICA_PORT made with \`pg_basebackup -R -X stream\` (asynchronous streaming replication, hot standby); default settings otherwise; both dropped after the run"
  echo "- lvzhi: commit $COMMIT, release build; each process \`lvzhi serve\` with DATABASE_URL=primary, DATABASE_READ_URL=replica, LVZHI_RESPONSE_CACHE_BYTES=0, LVZHI_WEBHOOK_WORKERS=0, default pool (10 connections to each database), default LVZHI_RESPONSE_CACHE_POLL_MS (1000)"
  echo "- Data: \`lvzhi-generate --towns $((TOWNS + 1))${SEED:+ --seed $SEED}\`; $TOWNS towns imported before serving ($DUTIES duties, ${SEED_S} s), the last one kept for (b)"
  echo "- Question: Page (bench/run.sh's: 50 duties of one list with total, categories and departments), $(wc -c <"$WORK/page.json") bytes POSTed, answer $PAGE_BYTES bytes, checked on every response (bench/post.lua)"
  echo
  echo "## (a) Where the reads went"
  echo
  echo "During the load runs of (c) ($ROUNDS rounds; the reference process reads the primary, the others the replica):"
  echo
  echo "| | primary | replica |"
  echo "|---|---:|---:|"
  echo "| pg_stat_database xact_commit delta | $P_XACT | $R_XACT |"
  echo "| pg_stat_database tup_returned delta | $P_TUP | $R_TUP |"
  echo "| process one: lvzhi_reads_total delta | $((ONE_PRIMARY1 - ONE_PRIMARY0)) | $((ONE_REPLICA1 - ONE_REPLICA0)) |"
  echo "| process two: lvzhi_reads_total delta | $((TWO_PRIMARY1 - TWO_PRIMARY0)) | $((TWO_REPLICA1 - TWO_REPLICA0)) |"
  echo "| reference process (no replica): lvzhi_reads_total delta | $((ALONE_PRIMARY1 - ALONE_PRIMARY0)) | – |"
  echo
  echo "A Page question is one transaction per statement (2 statements). The primary's transactions are the reference process's questions, and each process's data-version checks (cache watcher and replica follower, about once a second each)."
  echo
  echo "## (b) An import on the primary, seen through both processes"
  echo
  echo "\`lvzhi import\` of one more town on the primary (it took $IMPORT_MS ms, its ANALYZE included); from before it started, each process was asked \`{ dutyLists { id } }\` over and over, one question at a time, until it answered $NEW_COUNT lists. The process without a replica reads the primary, so it shows when the commit became visible:"
  echo
  echo "| | first answer with the new list, ms after the import started (± ms between questions) | ms after the primary showed it |"
  echo "|---|---:|---:|"
  echo "| the primary (process without a replica) | $VISIBLE_PRIMARY | 0 |"
  echo "| process one (replica) | $VISIBLE_ONE | $AFTER_ONE |"
  echo "| process two (replica) | $VISIBLE_TWO | $AFTER_TWO |"
  echo
  echo "The replica itself had the new list at most $REPLAYED ms after the import's end (checked after the above)."
  echo
  echo "The bound: a process hears of the commit by PostgreSQL's NOTIFY (\`lvzhi_changes\`), reads the primary's data version and from then on reads the primary until the replica has replayed that version; were the notification lost, its poll (LVZHI_RESPONSE_CACHE_POLL_MS, 1 s) does the same. Data version afterwards: primary $PRIMARY_VERSION, seen by one $SEEN_ONE, by two $SEEN_TWO; queries sent to the primary because the replica was behind, since start: one ${BEHIND_ONE:-0}, two ${BEHIND_TWO:-0}."
  echo
  echo "## (c) Throughput of Page, cache off, $CONNECTIONS connections per process, ${DURATION} s per run"
  echo
  echo "| run | req/s | p50 ms | p99 ms | requests | failed or wrong |"
  echo "|---|---:|---:|---:|---:|---:|"
  for i in "${!ONE[@]}"; do
    round=$((i + 1))
    first="${BOTH[$i]%|*}"; second="${BOTH[$i]#*|}"
    row "$round: one process, no replica (reference)" "${ALONE[$i]}"
    row "$round: one process, replica" "${ONE[$i]}"
    row "$round: both at once, process one" "$first"
    row "$round: both at once, process two" "$second"
    echo "| **$round: both at once, sum** | **$(($(rps "$first") + $(rps "$second")))** | | | $(($(field "$first" requests) + $(field "$second" requests))) | |"
  done
  echo
  echo "All of it on $(nproc) cores: the processes, both PostgreSQL servers and wrk compete for them, so a second process cannot add CPU that is not there; across machines each process and each replica brings its own."
  echo
  echo "Command: \`$COMMAND\`"
} >"$OUT"
cat "$OUT"
log "wrote ${OUT#"$ROOT"/}"
