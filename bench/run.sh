#!/usr/bin/env bash
# Benchmark lvzhi against PostGraphile v4 on the same PostgreSQL database: the same
# questions (Bureau, Page, Duty, `{ __typename }`) asked of every server, their
# answers checked to be the same data, then requests/s, p50/p99 latency (wrk),
# errors, peak memory and SQL statements per request of each server. lvzhi runs
# twice: `lvzhi` with its default configuration (response cache on) and
# `lvzhi-nocache` (LVZHI_RESPONSE_CACHE_BYTES=0), so the report shows both what
# repeated requests cost and what a miss costs. lvzhi's search queries run for
# lvzhi alone. See bench/README.md.
#
# Environment (all optional):
#   BENCH_DURATION           seconds per load run                              (default 10)
#   BENCH_WARMUP             seconds of unrecorded load per server and query   (default 2)
#   BENCH_CONCURRENCY        connection counts to run                          (default "1 8 32")
#   BENCH_QUERIES            questions to load   (default "Floor Bureau Page Duty Search1 SearchPair
#                            Search2 Stats Workloads Network";
#                            with BENCH_TOWNS > 0 also BureauList, after Bureau)
#   BENCH_SERVERS            servers to run      (default "lvzhi lvzhi-nocache postgraphile";
#                            at least one lvzhi variant)
#   BENCH_TOWNS              synthetic towns imported besides Wuqia            (default 0)
#   BENCH_SEED               seed for `lvzhi-generate`                         (default: its own)
#   BENCH_EDITIONS           editions of the Wuqia list (1..12): each one after the first
#                            rewords a few duties and is a month later          (default 1)
#   BENCH_BASELINE           a single-town report (.md) of this script: its Bureau and Page
#                            p50 at 1 connection are compared with BureauList's and Page's
#   BENCH_POOL_SIZE          database connections of each server               (default 10)
#   BENCH_SEQ_REQUESTS       sequential requests per statement count           (default 100)
#   BENCH_PG_STAT_STATEMENTS 1: also count statements under load with pg_stat_statements,
#                            loading it (ALTER SYSTEM + cluster RESTART) if needed (default 0)
#   BENCH_ALLOW_MISMATCH     1: report a data mismatch instead of stopping     (default 0)
#   BENCH_REUSE_DB           1: keep BENCH_DB if it holds BENCH_TOWNS + 1 lists (no import)  (default 0)
#   BENCH_MAX_LIST_ITEMS     the servers' LVZHI_MAX_LIST_ITEMS (the setup lists every
#                            department)                                       (default 100000)
#   BENCH_DB                 database to (re)create; ${BENCH_DB}_sql too       (default lvzhi_bench)
#   BENCH_PG                 PostgreSQL server URL, no database  (default postgres://postgres@127.0.0.1:5432)
#   BENCH_BIN                an lvzhi binary to use instead of building the release one
#   BENCH_GENERATE_BIN       with BENCH_BIN: the lvzhi-generate binary   (default: beside BENCH_BIN)
#   BENCH_RESULTS_DIR        where the report goes                             (default bench/results)
#   CARGO_TARGET_DIR         honoured by the release build
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-2}"
CONCURRENCY="${BENCH_CONCURRENCY:-1 8 32}"
QUERIES="${BENCH_QUERIES:-}"
SERVERS_ARG="${BENCH_SERVERS:-lvzhi lvzhi-nocache postgraphile}"
TOWNS="${BENCH_TOWNS:-0}"
EDITIONS="${BENCH_EDITIONS:-1}"
SEED="${BENCH_SEED:-}"
BASELINE="${BENCH_BASELINE:-}"
POOL="${BENCH_POOL_SIZE:-10}"
SEQ_REQUESTS="${BENCH_SEQ_REQUESTS:-100}"
PGSS="${BENCH_PG_STAT_STATEMENTS:-0}"
ALLOW_MISMATCH="${BENCH_ALLOW_MISMATCH:-0}"
REUSE="${BENCH_REUSE_DB:-0}"
MAX_LIST_ITEMS="${BENCH_MAX_LIST_ITEMS:-100000}"
DB="${BENCH_DB:-lvzhi_bench}"
SQL_DB="${DB}_sql"
PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
PG="${PG%/}"
RESULTS_DIR="${BENCH_RESULTS_DIR:-$BENCH_DIR/results}"
PGX_DIR="$BENCH_DIR/postgraphile"
SEED_LIST="$ROOT/seeds/wuqia-town-duty-list-2025-07.txt"

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

[[ "$DB" =~ ^[a-z_][a-z0-9_]{0,50}$ ]] || die "BENCH_DB=$DB is not a plain identifier of at most 51 characters"
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 1 && "$DURATION" -le 600 ]] || die "BENCH_DURATION must be 1..600 seconds"
[[ "$WARMUP" =~ ^[0-9]+$ && "$WARMUP" -le 600 ]] || die "BENCH_WARMUP must be 0..600 seconds"
[[ "$SEQ_REQUESTS" =~ ^[0-9]+$ && "$SEQ_REQUESTS" -ge 1 && "$SEQ_REQUESTS" -le 10000 ]] || die "BENCH_SEQ_REQUESTS must be 1..10000"
[[ "$TOWNS" =~ ^[0-9]+$ && "$TOWNS" -le 9999 ]] || die "BENCH_TOWNS must be 0..9999"
[[ "$EDITIONS" =~ ^[0-9]+$ && "$EDITIONS" -ge 1 && "$EDITIONS" -le 12 ]] || die "BENCH_EDITIONS must be 1..12"
[[ -z "$SEED" || "$SEED" =~ ^[0-9]+$ ]] || die "BENCH_SEED must be a number"
[[ "$POOL" =~ ^[0-9]+$ && "$POOL" -ge 1 && "$POOL" -le 200 ]] || die "BENCH_POOL_SIZE must be 1..200"
[[ "$PGSS" == 0 || "$PGSS" == 1 ]] || die "BENCH_PG_STAT_STATEMENTS must be 0 or 1"
[[ "$ALLOW_MISMATCH" == 0 || "$ALLOW_MISMATCH" == 1 ]] || die "BENCH_ALLOW_MISMATCH must be 0 or 1"
for c in $CONCURRENCY; do [[ "$c" =~ ^[0-9]+$ && "$c" -ge 1 ]] || die "bad concurrency $c"; done
ALL_QUERIES=(Floor Bureau BureauList Page Duty Search1 SearchPair Search2 Stats Workloads Network)
# BureauList is Bureau for one list: with synthetic towns the busiest department spans
# a county, so Bureau grows with it while BureauList stays the single-town answer
# (at BENCH_TOWNS=0 the two are the same question, so it is left out by default).
if [[ -z "$QUERIES" ]]; then
  QUERIES="Floor Bureau Page Duty Search1 SearchPair Search2 Stats Workloads Network"
  if ((TOWNS > 0)); then QUERIES="Floor Bureau BureauList Page Duty Search1 SearchPair Search2 Stats Workloads Network"; fi
fi
NAMES=()
for q in $QUERIES; do
  [[ " ${ALL_QUERIES[*]} " == *" $q "* ]] || die "unknown query $q in BENCH_QUERIES (known: ${ALL_QUERIES[*]})"
  NAMES+=("$q")
done
((${#NAMES[@]})) || die "BENCH_QUERIES is empty"
# The servers, always in this order (tables read the same whatever the order given).
# Both lvzhi variants are the same binary on the same database; lvzhi-nocache only
# turns the response cache off.
ALL_SERVERS=(lvzhi lvzhi-nocache postgraphile)
for s in $SERVERS_ARG; do
  [[ " ${ALL_SERVERS[*]} " == *" $s "* ]] || die "unknown server $s in BENCH_SERVERS (known: ${ALL_SERVERS[*]})"
done
SERVERS=() LV_SERVERS=() HAS_PGX=0
for s in "${ALL_SERVERS[@]}"; do
  [[ " $SERVERS_ARG " == *" $s "* ]] || continue
  SERVERS+=("$s")
  if [[ "$s" == postgraphile ]]; then HAS_PGX=1; else LV_SERVERS+=("$s"); fi
done
# The questions are picked through lvzhi's API (IDs, the busiest department).
((${#LV_SERVERS[@]})) || die "BENCH_SERVERS must name lvzhi or lvzhi-nocache (the questions are picked through lvzhi)"
if [[ -n "$BASELINE" ]]; then
  [[ -f "$BASELINE" && -r "$BASELINE" ]] || die "BENCH_BASELINE=$BASELINE is not a readable file"
  BASELINE="$(cd "$(dirname "$BASELINE")" && pwd)/$(basename "$BASELINE")"
fi
[[ -f "$SEED_LIST" ]] || die "no $SEED_LIST"

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
PGX_VERSION="" PGX_INFLECTOR_VERSION=""
if ((HAS_PGX)); then
  { command -v node >/dev/null && command -v npm >/dev/null; } || die "PostGraphile needs Node.js (>= 18) and npm"
  NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
  ((NODE_MAJOR >= 18)) || die "PostGraphile needs Node.js >= 18, found $(node --version)"

  # PostGraphile, pinned by bench/postgraphile/package-lock.json; `npm ci` reinstalls
  # it whenever the lock file differs from the one installed.
  if ! cmp -s "$PGX_DIR/package-lock.json" "$PGX_DIR/node_modules/.bench-installed-lock.json" 2>/dev/null; then
    log "installing PostGraphile (npm ci in ${PGX_DIR#"$ROOT"/})"
    (cd "$PGX_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
    cp "$PGX_DIR/package-lock.json" "$PGX_DIR/node_modules/.bench-installed-lock.json"
  fi
  PGX_CLI="$PGX_DIR/node_modules/postgraphile/cli.js"
  [[ -f "$PGX_CLI" ]] || die "no PostGraphile at $PGX_CLI"
  PGX_VERSION="$(jq -r .version "$PGX_DIR/node_modules/postgraphile/package.json")"
  PGX_INFLECTOR_VERSION="$(jq -r .version "$PGX_DIR/node_modules/@graphile-contrib/pg-simplify-inflector/package.json")"
fi

# --- PostgreSQL ---------------------------------------------------------------
pg_port="$(sed -n 's|^postgres[a-z]*://[^/]*:\([0-9]*\)$|\1|p' <<<"$PG")"
pg_port="${pg_port:-5432}"
# The local cluster serving that port (Debian's pg_lsclusters), if there is one.
CLUSTER="" LOG_FILE=""
if command -v pg_lsclusters >/dev/null; then
  read -r cl_ver cl_name cl_log < <(pg_lsclusters --no-header 2>/dev/null | awk -v p="$pg_port" '$3 == p {print $1, $2, $7; exit}') || true
  if [[ -n "${cl_ver:-}" ]]; then CLUSTER="$cl_ver $cl_name"; LOG_FILE="${cl_log:-}"; fi
fi
cluster_ctl() { # start|restart
  if [[ -n "$CLUSTER" ]]; then
    # shellcheck disable=SC2086
    pg_ctlcluster --skip-systemctl-redirect $CLUSTER "$1"
  else
    pg_ctlcluster --skip-systemctl-redirect "$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | head -n1)" main "$1"
  fi
}
wait_pg() { for _ in $(seq 1 60); do pg_isready -d "$PG/postgres" -q && return 0; sleep 1; done; return 1; }
if ! pg_isready -d "$PG/postgres" -q; then
  log "starting PostgreSQL"
  cluster_ctl start || true
  wait_pg || true
fi
sql() { PGOPTIONS="-c client_min_messages=warning" psql "$PG/${2:-postgres}" -v ON_ERROR_STOP=1 -qAtc "$1"; }
sql 'select 1' >/dev/null || die "cannot reach PostgreSQL at $PG"

if [[ "$PGSS" == 1 ]]; then
  has_pgss() { [[ "$(sql "select 'pg_stat_statements' = any(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))")" == t ]]; }
  if ! has_pgss; then
    [[ -n "$CLUSTER" ]] || die "BENCH_PG_STAT_STATEMENTS=1: pg_stat_statements is not loaded and no local cluster serves port $pg_port to restart"
    libs="$(sql 'show shared_preload_libraries')"
    libs="${libs:+$libs,}pg_stat_statements"
    log "loading pg_stat_statements: ALTER SYSTEM SET shared_preload_libraries = '$libs' and RESTARTING cluster $CLUSTER"
    sql "ALTER SYSTEM SET shared_preload_libraries = '$libs'" >/dev/null
    cluster_ctl restart
    wait_pg || die "PostgreSQL did not come back after the restart"
    has_pgss || die "pg_stat_statements is still not loaded after the restart"
  fi
fi
PG_VERSION="$(sql 'select version()')"

# --- release build ------------------------------------------------------------
if [[ -n "${BENCH_BIN:-}" ]]; then
  BIN="$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")"
  GEN_BIN="${BENCH_GENERATE_BIN:-$(dirname "$BIN")/lvzhi-generate}"
  log "using BENCH_BIN=$BIN (no build)"
else
  log "building the release binaries (CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-<default>})"
  cargo build --release --manifest-path "$ROOT/Cargo.toml" --bin lvzhi --bin lvzhi-generate >&2
  TARGET_DIR="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | jq -r .target_directory)"
  BIN="$TARGET_DIR/release/lvzhi"
  GEN_BIN="$TARGET_DIR/release/lvzhi-generate"
fi
[[ -x "$BIN" ]] || die "no binary at $BIN"

# --- processes and clean-up -----------------------------------------------------
WORK="$(mktemp -d /tmp/lvzhi-bench.XXXXXX)"
mkdir -p "$WORK/run" # servers and commands run here: no .env is picked up
SERVER_PIDS=()
stop_pid() {
  local pid="$1"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# lvzhi with a clean environment: only what the benchmark sets.
DEPARTMENTS=""
# Each server connects with its own application_name, so its backends can be told
# apart in pg_stat_activity and in the statement log.
app_name() { echo "bench_${1//-/_}"; }
# Variables of the caller's environment lvzhi reads; unset so only the benchmark's
# settings apply (`lvzhi` runs with the response cache's default size).
LVZHI_UNSET=(-u LVZHI_BIND -u LVZHI_DEPARTMENTS -u DATABASE_URL -u LVZHI_RESPONSE_CACHE_BYTES)
lvzhi_env() { # database [server] -> env assignments
  local s="${2:-lvzhi}"
  # The setup lists every department with its counts (22,000 at 10,000 towns):
  # above lvzhi's default ceiling on a list's length, and longer than its
  # default timeouts. The questions loaded stay far below both.
  local e=(DATABASE_URL="$PG/$1" LVZHI_LOG=warn LVZHI_ENV=production LVZHI_DB_MAX_CONNECTIONS="$POOL" PGAPPNAME="$(app_name "$s")"
    LVZHI_MAX_LIST_ITEMS="$MAX_LIST_ITEMS" LVZHI_DB_STATEMENT_TIMEOUT_MS=120000 LVZHI_REQUEST_TIMEOUT_MS=120000)
  [[ -n "$DEPARTMENTS" ]] && e+=(LVZHI_DEPARTMENTS="$DEPARTMENTS")
  [[ "$s" == lvzhi-nocache ]] && e+=(LVZHI_RESPONSE_CACHE_BYTES=0)
  printf '%s\n' "${e[@]}"
}
lvzhi_cmd() { # database args... (runs to completion)
  local db="$1"; shift
  local envs; mapfile -t envs < <(lvzhi_env "$db")
  (cd "$WORK/run" && env "${LVZHI_UNSET[@]}" "${envs[@]}" "$BIN" "$@")
}

# --- data -------------------------------------------------------------------------
# BENCH_REUSE_DB=1 keeps $DB when it already holds the lists this run would
# import (a run that stopped after its import), so a large run need not import
# again; the report then says the import was not measured.
REUSED=0
if [[ "$REUSE" == 1 ]] && [[ "$(sql "select count(*) from duty_list" "$DB" 2>/dev/null || echo 0)" == "$((TOWNS + 1))" ]]; then
  REUSED=1
  log "reusing database $DB ($((TOWNS + 1)) lists); recreating $SQL_DB"
  sql "DROP DATABASE IF EXISTS $SQL_DB WITH (FORCE)" >/dev/null
else
  log "recreating databases $DB and $SQL_DB"
  sql "DROP DATABASE IF EXISTS $SQL_DB WITH (FORCE)" >/dev/null
  sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
  sql "CREATE DATABASE $DB" >/dev/null
fi

if ((TOWNS > 0)); then
  [[ -x "$GEN_BIN" ]] || die "BENCH_TOWNS=$TOWNS needs lvzhi-generate, not found at $GEN_BIN"
  gen=(--towns "$TOWNS" --out "$WORK/towns")
  [[ -n "$SEED" ]] && gen+=(--seed "$SEED")
  log "generating $TOWNS synthetic towns: lvzhi-generate ${gen[*]}"
  # The generator needs no database or configuration.
  (cd "$WORK/run" && "$GEN_BIN" "${gen[@]}") >"$WORK/generate.log" 2>&1 || { tail -n 20 "$WORK/generate.log" >&2; die "lvzhi-generate failed"; }
  DEPARTMENTS="$WORK/towns/departments.toml"
  [[ -f "$DEPARTMENTS" ]] || die "lvzhi-generate wrote no $DEPARTMENTS"
  shopt -s nullglob
  TOWN_FILES=("$WORK"/towns/*.txt)
  shopt -u nullglob
  ((${#TOWN_FILES[@]})) || die "lvzhi-generate wrote no .txt files"
else
  TOWN_FILES=()
fi
log "importing the Wuqia list${TOWN_FILES[*]:+ and ${#TOWN_FILES[@]} synthetic lists} into $DB"
import_help="$(lvzhi_cmd "$DB" import --help 2>&1 || true)"
IMPORT_STARTED=$(date +%s.%N)
if ((REUSED)); then
  log "the import is skipped (BENCH_REUSE_DB=1)"
elif ((${#TOWN_FILES[@]} == 0)) || [[ "$import_help" =~ \<FILES?\>\.\.\. ]]; then
  # One command: its wall time and peak memory (GNU time's %M, KiB) are reported.
  mapfile -t import_env < <(lvzhi_env "$DB")
  timer=(); [[ -x /usr/bin/time ]] && timer=(/usr/bin/time -f "%M" -o "$WORK/import.rss")
  (cd "$WORK/run" && "${timer[@]}" env "${LVZHI_UNSET[@]}" "${import_env[@]}" "$BIN" import "$SEED_LIST" "${TOWN_FILES[@]}") >"$WORK/import.log" 2>&1 \
    || { tail -n 30 "$WORK/import.log" >&2; die "lvzhi import failed"; }
else # an lvzhi whose import takes one file
  for f in "$SEED_LIST" "${TOWN_FILES[@]}"; do
    lvzhi_cmd "$DB" import "$f" >>"$WORK/import.log" 2>&1 \
      || { tail -n 30 "$WORK/import.log" >&2; die "lvzhi import $f failed"; }
  done
fi
# Later editions of the Wuqia list: edition r is published r-1 months after the
# first and rewords r duties (a suffix on their names), so the importer matches
# every duty to its predecessor and the history holds EDITIONS full lists.
for ((r = 2; r <= EDITIONS && !REUSED; r++)); do
  month=$((7 + r - 1)); year=2025
  if ((month > 12)); then month=$((month - 12)); year=2026; fi
  edition="$WORK/wuqia-edition-$r.txt"
  awk -F'\t' -v OFS='\t' -v r="$r" -v date="$year 年 $month 月" '
    $0 == "2025 年 7 月" { print date; next }
    /^[0-9]+\t/ && NF >= 3 && ++n % 23 == 0 && n / 23 <= r { $3 = $3 "（第" r "版调整）" }
    { print }' "$SEED_LIST" >"$edition"
  lvzhi_cmd "$DB" import "$edition" >>"$WORK/import.log" 2>&1 \
    || { tail -n 30 "$WORK/import.log" >&2; die "lvzhi import of edition $r failed"; }
done
IMPORT_SECONDS="$(awk -v a="$IMPORT_STARTED" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')"
((REUSED)) && IMPORT_SECONDS="(not measured: BENCH_REUSE_DB reused the database)"
IMPORT_RSS="$( [[ -s "$WORK/import.rss" ]] && awk 'END {printf "%.0f MiB", $1 / 1024}' "$WORK/import.rss" || echo "not measured")"
DB_SIZE="$(sql "select pg_size_pretty(pg_database_size('$DB'))")"
DATASET="$(sql "select format('%s lists, %s duties, %s responsibility items, %s departments in %s counties',
  (select count(*) from duty_list), (select count(*) from duty), (select count(*) from responsibility_item),
  (select count(*) from department), (select count(*) from county))" "$DB")"
log "dataset: $DATASET"
LIST_KEY="$(sql "select l.id from duty_list l join county c on c.id = l.county_id
  where c.name = '乌恰县' and l.town = '乌恰镇' and l.valid_until is null limit 1" "$DB")"
[[ "$LIST_KEY" =~ ^[0-9]+$ ]] || die "the Wuqia list is not in $DB"
# The Duty question: the Wuqia duty with the most items (and so sections and item departments).
read -r DUTY_KEY DUTY_KIND DUTY_SEQ DUTY_ITEMS < <(sql "select d.id, d.kind, d.seq, count(*) from duty d
  join responsibility_item i on i.duty_id = d.id where d.list_id = $LIST_KEY
  group by d.id, d.kind, d.seq order by count(*) desc, d.kind, d.seq limit 1" "$DB" | tr '|' ' ')
[[ "${DUTY_KEY:-}" =~ ^[0-9]+$ ]] || die "the Wuqia list has no duty with items"
# The BureauList question: the department with the most cooperative duties within the
# Wuqia list (ties by name, byte order, as departments(orderBy: COOPERATION_COUNT)
# breaks them), so at BENCH_TOWNS=0 it is Bureau's department; with its cooperative
# and reclaimed duties in that list, which its answer must have.
read -r BLIST_KEY BLIST_COOPS BLIST_RECLAIMED < <(sql "select dp.id, count(*) filter (where d.kind = 'COOPERATIVE'),
  (select count(*) from duty r join duty_department rd on rd.duty_id = r.id
    where r.list_id = $LIST_KEY and r.kind = 'RECLAIMED' and rd.department_id = dp.id)
  from duty d join duty_department dd on dd.duty_id = d.id join department dp on dp.id = dd.department_id
  where d.list_id = $LIST_KEY group by dp.id, dp.name
  order by count(*) filter (where d.kind = 'COOPERATIVE') desc, dp.name collate \"C\", dp.id limit 1" "$DB" | tr '|' ' ')
[[ "${BLIST_KEY:-}" =~ ^[0-9]+$ && "${BLIST_COOPS:-0}" -gt 0 ]] || die "the Wuqia list has no cooperative duty with a department"

# Statements per request are counted on a copy of the database whose sessions log
# every statement (ALTER DATABASE ... SET log_statement = 'all'), by counting the
# lines the PostgreSQL log gains; with pg_stat_statements loaded and no readable
# log, by its calls instead. The load runs use $DB, which logs nothing.
COUNT_METHOD=""
LOG_HAS_DB=0 LOG_HAS_PID=0
prefix="$(sql 'show log_line_prefix')"
if [[ "$prefix" == *%d* ]]; then LOG_HAS_DB=1; fi
if [[ "$prefix" == *"[%p]"* ]]; then LOG_HAS_PID=1; fi
# The log is usable when it is the file pg_lsclusters names and statements of other
# databases either are not logged or can be told apart (%d in the prefix).
if [[ -n "$LOG_FILE" && -r "$LOG_FILE" && "$(sql 'show logging_collector')" == off ]] \
  && [[ "$(sql 'show log_statement')" == none || "$LOG_HAS_DB" == 1 ]]; then
  COUNT_METHOD=log
elif [[ "$(sql "select count(*) from pg_settings where name = 'shared_preload_libraries' and setting like '%pg_stat_statements%'")" == 1 ]]; then
  COUNT_METHOD=pgss
else
  log "no readable PostgreSQL log (${LOG_FILE:-none found}) and no pg_stat_statements: PostGraphile's statements will not be counted"
fi
sql "CREATE DATABASE $SQL_DB TEMPLATE $DB" >/dev/null
[[ "$COUNT_METHOD" == log ]] && sql "ALTER DATABASE $SQL_DB SET log_statement = 'all'" >/dev/null
if [[ "$PGSS" == 1 || "$COUNT_METHOD" == pgss ]]; then
  sql "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" "$DB" >/dev/null
  sql "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" "$SQL_DB" >/dev/null
fi

# pg_stat_statements: statements run in a database so far (its own reads excluded).
pgss_calls() {
  sql "select coalesce(sum(calls), 0) from pg_stat_statements
       where dbid = (select oid from pg_database where datname = '$1') and query not like '%pg_stat_statements%'" "$1"
}
count_mark() { # database -> a mark
  case "$COUNT_METHOD" in
    log) stat -c %s "$LOG_FILE" ;;
    pgss) pgss_calls "$1" ;;
    *) echo 0 ;;
  esac
}
# The server's connections to a database: their backend pids, from the
# application_name each server sets (PGAPPNAME).
server_pids() { # server database
  sql "select string_agg(pid::text, ' ') from pg_stat_activity where datname = '$2' and application_name = '$(app_name "$1")'"
}
count_since() { # server database mark -> statements since the mark
  case "$COUNT_METHOD" in
    log)
      sleep 0.3 # the server writes its log unbuffered; give the last lines a moment
      local end pids
      end="$(stat -c %s "$LOG_FILE")"
      pids=""
      if ((LOG_HAS_PID)); then pids="$(server_pids "$1" "$2")"; fi
      # Lines of a statement's start (continuation lines begin with a tab) in this
      # database, from this server's backends when the prefix names pids; not the
      # reads of the data version lvzhi's response cache makes once a second to stay
      # fresh (a timer's, not a request's).
      tail -c "+$(($3 + 1))" "$LOG_FILE" >"$WORK/log.part"
      head -c "$((end - $3))" "$WORK/log.part" \
        | awk -v db="@$2 " -v bydb="$LOG_HAS_DB" -v pids=" $pids " '
            /^[^ \t].* LOG:  (statement|execute [^:]*): / {
              if (bydb && index($0, db) == 0) next
              if ($0 ~ /: SELECT version FROM data_version WHERE/) next
              if (pids != "  ") { match($0, /\[[0-9]+\]/); if (index(pids, " " substr($0, RSTART + 1, RLENGTH - 2) " ") == 0) next }
              n++
            }
            END { print n + 0 }'
      ;;
    pgss) echo $(($(pgss_calls "$2") - $3)) ;;
    *) echo "" ;;
  esac
}

# --- servers ------------------------------------------------------------------------
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
# CPU time of a process, all threads, in clock ticks (utime + stime of /proc/PID/stat).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
CLK_TCK="$(getconf CLK_TCK)"
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
declare -A URL METRICS_URL PID HWM_START

start_lvzhi() { # server database
  local s="$1" db="$2"
  local envs; mapfile -t envs < <(lvzhi_env "$db" "$s")
  (cd "$WORK/run" && exec env "${LVZHI_UNSET[@]}" "${envs[@]}" \
    "$BIN" serve --bind 127.0.0.1:0 >"$WORK/$s-$db.out" 2>"$WORK/$s-$db.err") &
  PID[$s]=$!
  SERVER_PIDS+=("${PID[$s]}")
  local addr=""
  for _ in $(seq 1 600); do
    # (the file may not exist yet: the subshell above creates it when it gets to run)
    addr="$(sed -n 's|^lvzhi serves GraphQL at http://\([^/]*\)/graphql.*|\1|p' "$WORK/$s-$db.out" 2>/dev/null | head -n1 || true)"
    [[ -n "$addr" ]] && break
    kill -0 "${PID[$s]}" 2>/dev/null || { cat "$WORK/$s-$db.err" >&2; die "$s exited before it was ready"; }
    sleep 0.5
  done
  [[ -n "$addr" ]] || { cat "$WORK/$s-$db.err" >&2; die "$s was not ready within 300 s"; }
  case "$addr" in 127.0.0.1:*) ;; *) die "unexpected address $addr";; esac
  URL[$s]="http://$addr/graphql"
  METRICS_URL[$s]="http://$addr/metrics"
  HWM_START[$s]="$(hwm_kb "${PID[$s]}")"
  log "$s (pid ${PID[$s]}) serves $db at ${URL[$s]}"
}

# PostGraphile with production options: no GraphiQL, no query log, no watch mode,
# no mutations (lvzhi has none), the simplify inflector for readable names.
PGX_OPTIONS=(--schema public --max-pool-size "$POOL" --disable-graphiql --disable-query-log
  --dynamic-json --no-setof-functions-contain-nulls --no-ignore-rbac --disable-default-mutations
  --legacy-relations omit --append-plugins @graphile-contrib/pg-simplify-inflector)
start_postgraphile() { # database
  local port; port="$(free_port)"
  (cd "$PGX_DIR" && exec env NODE_ENV=production PGAPPNAME="$(app_name postgraphile)" \
    node "$PGX_CLI" --connection "$PG/$1" --host 127.0.0.1 --port "$port" "${PGX_OPTIONS[@]}" \
    >"$WORK/postgraphile-$1.out" 2>"$WORK/postgraphile-$1.err") &
  PID[postgraphile]=$!
  SERVER_PIDS+=("${PID[postgraphile]}")
  URL[postgraphile]="http://127.0.0.1:$port/graphql"
  for _ in $(seq 1 240); do
    grep -q 'server listening on port' "$WORK/postgraphile-$1.out" 2>/dev/null && break
    kill -0 "${PID[postgraphile]}" 2>/dev/null || { cat "$WORK/postgraphile-$1.out" "$WORK/postgraphile-$1.err" >&2; die "PostGraphile exited before it was ready"; }
    sleep 0.5
  done
  grep -q "server listening on port $port" "$WORK/postgraphile-$1.out" \
    || { cat "$WORK/postgraphile-$1.out" "$WORK/postgraphile-$1.err" >&2; die "PostGraphile was not ready on port $port within 120 s"; }
  HWM_START[postgraphile]="$(hwm_kb "${PID[postgraphile]}")"
  log "PostGraphile $PGX_VERSION (pid ${PID[postgraphile]}) serves $1 at ${URL[postgraphile]}"
}
# Every server of BENCH_SERVERS, all at once; they are asked and loaded one at a time,
# the others idle meanwhile (no requests; lvzhi's response cache still reads the data
# version once a second, a trivial statement).
start_servers() { # database
  local s
  for s in "${SERVERS[@]}"; do
    if [[ "$s" == postgraphile ]]; then start_postgraphile "$1"; else start_lvzhi "$s" "$1"; fi
  done
}
stop_servers() {
  local s
  for s in "${SERVERS[@]}"; do [[ -n "${PID[$s]:-}" ]] && stop_pid "${PID[$s]}"; PID[$s]=""; done
}
is_lvzhi() { [[ "$1" != postgraphile ]]; }
joined() { local IFS=';'; local j="$*"; echo "${j//;/; }"; } # items -> "a; b; c"
listed() { # words -> "a, b and c"
  local out="$1"; shift
  while (($# > 1)); do out="$out, $1"; shift; done
  if (($#)); then out="$out and $1"; fi
  echo "$out"
}
# The report's name of a server.
label() { if [[ "$1" == postgraphile ]]; then echo PostGraphile; else echo "$1"; fi; }

body_file() { jq -nc --arg q "$1" '{query: $q}' >"$2"; }
post() { curl -sS --fail-with-body -H 'content-type: application/json' -H 'accept: application/json' --data-binary @"$2" "${URL[$1]}"; }
gql() { # server query -> response
  body_file "$2" "$WORK/adhoc.json"
  post "$1" "$WORK/adhoc.json"
}
metric() { curl -sS --fail "${METRICS_URL[$1]}" | awk -v m="$2" '$1 == m {print $2}'; } # lvzhi-server name

# --- phase 1: the same answers, and statements per request ------------------------------
log "phase 1: answers and statement counts on $SQL_DB"
start_servers "$SQL_DB"
LV0="${LV_SERVERS[0]}" # asked to pick the questions

gql "$LV0" '{ departments(orderBy: COOPERATION_COUNT) { id name county cooperationCount } }' >"$WORK/departments.out"
jq -e '.errors == null and (.data.departments | length > 0)' "$WORK/departments.out" >/dev/null \
  || die "departments query failed: $(head -c 600 "$WORK/departments.out")"
read -r DEPT_ID DEPT_COOPS MAX_COOPS < <(jq -r '.data.departments | "\(.[0].id) \(.[0].cooperationCount) \(map(.cooperationCount) | max)"' "$WORK/departments.out")
[[ "$DEPT_COOPS" == "$MAX_COOPS" ]] || die "departments(orderBy: COOPERATION_COUNT) does not list the busiest first ($DEPT_COOPS < $MAX_COOPS)"
DEPT="$(jq -r '.data.departments[0] | "\(.name) (\(.county))"' "$WORK/departments.out")"
# The least busy department with a cooperation: the same question with the smallest answer.
read -r MIN_ID MIN_COOPS < <(jq -r '[.data.departments[] | select(.cooperationCount > 0)] | min_by(.cooperationCount) | "\(.id) \(.cooperationCount)"' "$WORK/departments.out")
key_of() { jq -nr -L "$BENCH_DIR" --arg id "$1" --arg t "$2" 'include "normalize"; $id | lvzhi_key($t)'; }
DEPT_KEY="$(key_of "$DEPT_ID" Department)"
MIN_KEY="$(key_of "$MIN_ID" Department)"
gql "$LV0" '{ dutyLists { id town county } }' >"$WORK/lists.out"
LIST_ID="$(jq -r --argjson k "$LIST_KEY" -L "$BENCH_DIR" 'include "normalize"; [.data.dutyLists[] | select(.id | lvzhi_key("DutyList") == $k)][0].id' "$WORK/lists.out")"
[[ -n "$LIST_ID" && "$LIST_ID" != null ]] || die "lvzhi does not list the Wuqia list (key $LIST_KEY)"
gql "$LV0" "{ duties(filter: {listId: \"$LIST_ID\", kind: $DUTY_KIND, seq: $DUTY_SEQ}) { nodes { id } } }" >"$WORK/duty-id.out"
DUTY_ID="$(jq -r '.data.duties.nodes[0].id // empty' "$WORK/duty-id.out")"
[[ -n "$DUTY_ID" && "$(key_of "$DUTY_ID" Duty)" == "$DUTY_KEY" ]] || die "lvzhi does not find duty $DUTY_KEY: $(head -c 300 "$WORK/duty-id.out")"
DUTY_DESC="$DUTY_KIND duty 序号 $DUTY_SEQ, $DUTY_ITEMS items"
BLIST_ID="$(jq -r --argjson k "$BLIST_KEY" -L "$BENCH_DIR" 'include "normalize"; [.data.departments[] | select(.id | lvzhi_key("Department") == $k)][0].id' "$WORK/departments.out")"
[[ -n "$BLIST_ID" && "$BLIST_ID" != null ]] || die "lvzhi does not list department $BLIST_KEY"
BLIST_DEPT="$(jq -r --arg id "$BLIST_ID" '.data.departments[] | select(.id == $id) | "\(.name) (\(.county))"' "$WORK/departments.out")"
log "Bureau: $DEPT, $DEPT_COOPS cooperations; Bureau-min: $MIN_COOPS; BureauList: $BLIST_DEPT, $BLIST_COOPS cooperations in list $LIST_KEY; Page: list $LIST_KEY; Duty: $DUTY_DESC"

# The questions. Q_LV: lvzhi's query; Q_PGX: PostGraphile's equivalent over its generated
# schema (unset: PostGraphile has none); NORM: the normalize.jq functions comparing them;
# CHECK: what lvzhi's answer must satisfy besides (the others are compared with it).
declare -A Q_LV Q_PGX NORM_LV NORM_PGX CHECK
Q_LV[Floor]='{ __typename }'
Q_PGX[Floor]='{ __typename }'
NORM_LV[Floor]=lvzhi_floor; NORM_PGX[Floor]=postgraphile_floor
CHECK[Floor]='.data.__typename == "Query"'

bureau_lv() { echo "query Bureau { department(id: \"$1\") { id name aliases cooperationCount reclaimedCount cooperations { duty { id seq name category { name } } departmentItems { section text } townItems { section text } partners { name } } reclaimedDuties { seq name workingMethod } } }"; }
bureau_pgx() { echo "query Bureau { department(id: $1) { id name departmentAliases { nodes { alias } } dutyDepartments { nodes { duty { id listId kind seq name workingMethod category { name } townItems: responsibilityItems(condition: {party: \"TOWN\"}, orderBy: POSITION_ASC) { nodes { section text } } dutyDepartments(orderBy: POSITION_ASC) { nodes { departmentId department { name } } } } } } itemDepartments { nodes { item { dutyId party position section text } } } } }"; }
Q_LV[Bureau]="$(bureau_lv "$DEPT_ID")"
Q_PGX[Bureau]="$(bureau_pgx "$DEPT_KEY")"
NORM_LV[Bureau]=lvzhi_bureau; NORM_PGX[Bureau]="postgraphile_bureau($DEPT_KEY)"
CHECK[Bureau]='true'
# BureauList: Bureau for the Wuqia list only, without the two counts (they count all
# lists, which PostGraphile cannot count by kind without fetching every list's links).
# PostGraphile's condition filters a relation by its own columns only and duty_department
# has no list, so its equivalent starts from the list: its cooperative (reclaimed)
# duties, each with its link to the department (`link`, empty for other duties) and
# through that link the duty's details, so they are fetched only for the department's
# duties; the department's items are the duty's department items whose attribution to
# it (`mine`) exists. normalize.jq keeps the duties with a link.
Q_LV[BureauList]="query BureauList { department(id: \"$BLIST_ID\") { id name aliases cooperations(listId: \"$LIST_ID\") { duty { id seq name category { name } } departmentItems { section text } townItems { section text } partners { name } } reclaimedDuties(listId: \"$LIST_ID\") { seq name workingMethod } } }"
Q_PGX[BureauList]="query BureauList { department(id: $BLIST_KEY) { id name departmentAliases { nodes { alias } } } dutyList(id: $LIST_KEY) { cooperations: dutiesByListId(condition: {kind: \"COOPERATIVE\"}, orderBy: SEQ_ASC) { nodes { link: dutyDepartments(condition: {departmentId: $BLIST_KEY}) { nodes { duty { id seq name category { name } departmentItems: responsibilityItems(condition: {party: \"DEPARTMENT\"}, orderBy: POSITION_ASC) { nodes { section text mine: itemDepartmentsByItemId(condition: {departmentId: $BLIST_KEY}) { totalCount } } } townItems: responsibilityItems(condition: {party: \"TOWN\"}, orderBy: POSITION_ASC) { nodes { section text } } dutyDepartments(orderBy: POSITION_ASC) { nodes { departmentId department { name } } } } } } } } reclaimed: dutiesByListId(condition: {kind: \"RECLAIMED\"}, orderBy: SEQ_ASC) { nodes { link: dutyDepartments(condition: {departmentId: $BLIST_KEY}) { nodes { duty { seq name workingMethod } } } } } } }"
NORM_LV[BureauList]=lvzhi_bureau_list; NORM_PGX[BureauList]="postgraphile_bureau_list($BLIST_KEY)"
# The department's cooperations and reclaimed duties in the list, as the database has them.
CHECK[BureauList]="(.data.department.cooperations | length) == $BLIST_COOPS and (.data.department.reclaimedDuties | length) == $BLIST_RECLAIMED"
Q_LV[Bureau-min]="$(bureau_lv "$MIN_ID")"
Q_PGX[Bureau-min]="$(bureau_pgx "$MIN_KEY")"
NORM_LV[Bureau-min]=lvzhi_bureau; NORM_PGX[Bureau-min]="postgraphile_bureau($MIN_KEY)"

page_lv() { echo "query Page { duties(filter: {listId: \"$LIST_ID\"}, first: $1) { totalCount nodes { id seq name kind category { name } departments { name } } pageInfo { hasNextPage endCursor } } }"; }
page_pgx() { echo "query Page { duties(condition: {listId: $LIST_KEY}, orderBy: [KIND_ASC, SEQ_ASC], first: $1) { totalCount nodes { id seq name kind category { name } dutyDepartments(orderBy: POSITION_ASC) { nodes { department { name } } } } pageInfo { hasNextPage endCursor } } }"; }
Q_LV[Page]="$(page_lv 50)"
Q_PGX[Page]="$(page_pgx 50)"
NORM_LV[Page]=lvzhi_page; NORM_PGX[Page]=postgraphile_page
Q_LV[Page-5]="$(page_lv 5)"
Q_PGX[Page-5]="$(page_pgx 5)"
NORM_LV[Page-5]=lvzhi_page; NORM_PGX[Page-5]=postgraphile_page

Q_LV[Duty]="query Duty { duty(id: \"$DUTY_ID\") { id kind seq name category { name } departments { name } departmentItems { section text departments { name } } townItems { section text } workingMethod } }"
Q_PGX[Duty]="query Duty { duty(id: $DUTY_KEY) { id kind seq name workingMethod category { name } dutyDepartments(orderBy: POSITION_ASC) { nodes { department { name } } } departmentItems: responsibilityItems(condition: {party: \"DEPARTMENT\"}, orderBy: POSITION_ASC) { nodes { section text itemDepartmentsByItemId(orderBy: POSITION_ASC) { nodes { department { name } } } } } townItems: responsibilityItems(condition: {party: \"TOWN\"}, orderBy: POSITION_ASC) { nodes { section text } } } }"
NORM_LV[Duty]=lvzhi_duty; NORM_PGX[Duty]=postgraphile_duty

Q_LV[Search1]='query Search1 { search(query: "林", first: 10) { totalCount nodes { duty { id seq name } matchedIn departments { name } score snippet } } }'
CHECK[Search1]='.data.search.totalCount > 0'
Q_LV[SearchPair]='query SearchPair { search(query: "燃气", first: 10) { totalCount nodes { duty { id seq name } matchedIn departments { name } score snippet } } }'
CHECK[SearchPair]='.data.search.totalCount > 0'
Q_LV[Search2]='query Search2 { search(query: "燃气 入户", first: 10) { totalCount nodes { duty { id seq name } matchedIn departments { name } score snippet } } }'
CHECK[Search2]='.data.search.totalCount > 0'
# The analysts' questions (lvzhi only), for the Wuqia list, so that their answers
# stay the single town's at any scale: duties by kind and category, department
# workloads and the department network.
Q_LV[Stats]="query Stats { dutyStats(groupBy: [KIND, CATEGORY], filter: {listId: \"$LIST_ID\"}) { kind category { name } dutyCount } }"
CHECK[Stats]='(.data.dutyStats | length) > 0'
Q_LV[Workloads]="query Workloads { departmentWorkloads(listId: \"$LIST_ID\") { department { name } cooperativeDuties reclaimedDuties departmentItems townItems townShare } }"
CHECK[Workloads]='(.data.departmentWorkloads | length) > 0'
Q_LV[Network]="query Network { departmentNetwork(listId: \"$LIST_ID\") { nodes { weight department { name } } edges { weight source { name } target { name } } } }"
CHECK[Network]='(.data.departmentNetwork.nodes | length) > 0'

# Each loaded question, and beside Bureau and Page the same question with a small
# answer: their statement counts must be the same.
SEQ_NAMES=()
for q in "${NAMES[@]}"; do
  SEQ_NAMES+=("$q")
  case "$q" in Bureau) SEQ_NAMES+=(Bureau-min) ;; Page) SEQ_NAMES+=(Page-5) ;; esac
done
servers_of() { # question -> the servers of BENCH_SERVERS that answer it
  local s out=()
  for s in "${SERVERS[@]}"; do
    if is_lvzhi "$s" || [[ -n "${Q_PGX[$1]:-}" ]]; then out+=("$s"); fi
  done
  echo "${out[@]}"
}
query_of() { if is_lvzhi "$1"; then echo "${Q_LV[$2]}"; else echo "${Q_PGX[$2]}"; fi; }
# normalize.jq's function for a server's answer; questions without one compare the data as is.
norm_of() { if is_lvzhi "$1"; then echo "${NORM_LV[$2]:-answer}"; else echo "${NORM_PGX[$2]}"; fi; }
for q in "${NAMES[@]}"; do
  [[ -n "$(servers_of "$q")" ]] || die "no server of BENCH_SERVERS answers $q"
done

declare -A SQL_SEQ SQL_METRICS BYTES
MISMATCHES=()
NOTES=()
CANON_DIGEST="" # of the Wuqia list's busiest department's answer, for BENCH_BASELINE
mismatch() { # question server-a server-b
  local q="$1" a="$2" b="$3" msg
  mkdir -p "$RESULTS_DIR"
  jq -S . "$WORK/$a-$q.canon" >"$RESULTS_DIR/mismatch-$q-$a.json.tmp"
  jq -S . "$WORK/$b-$q.canon" >"$RESULTS_DIR/mismatch-$q-$b.json.tmp"
  diff -u "$RESULTS_DIR/mismatch-$q-$a.json.tmp" "$RESULTS_DIR/mismatch-$q-$b.json.tmp" | head -n 60 >&2 || true
  msg="$q: $(label "$a") and $(label "$b") return different data (canonical forms in ${RESULTS_DIR#"$ROOT"/}/mismatch-$q-{$a,$b}.json.tmp)"
  [[ "$ALLOW_MISMATCH" == 1 ]] || die "$msg"
  log "$msg"
  MISMATCHES+=("- **Data mismatch** — $msg")
}
for q in "${SEQ_NAMES[@]}"; do
  read -r -a q_servers <<<"$(servers_of "$q")"
  for s in "${q_servers[@]}"; do
    body_file "$(query_of "$s" "$q")" "$WORK/$s-$q.json"
    post "$s" "$WORK/$s-$q.json" >"$WORK/$s-$q.out" || die "$s $q: HTTP error: $(head -c 600 "$WORK/$s-$q.out")"
    jq -e '(.errors == null) and (.data != null)' "$WORK/$s-$q.out" >/dev/null \
      || die "$s $q returned errors or no data: $(head -c 600 "$WORK/$s-$q.out")"
    if is_lvzhi "$s"; then
      jq -e "${CHECK[$q]:-true}" "$WORK/$s-$q.out" >/dev/null || die "$s $q: the answer fails the check ${CHECK[$q]}"
    fi
    jq -S -c -L "$BENCH_DIR" "include \"normalize\"; $(norm_of "$s" "$q")" "$WORK/$s-$q.out" >"$WORK/$s-$q.canon" \
      || die "$(label "$s") $q: cannot normalize the answer"
  done
  # The equality check: every server's canonical form byte for byte against one
  # reference, PostGraphile's when it answers the question (so each lvzhi variant is
  # checked against it and so against the other), otherwise the first lvzhi variant's.
  ref="${q_servers[-1]}"; is_lvzhi "$ref" && ref="${q_servers[0]}"
  agree=()
  for s in "${q_servers[@]}"; do
    [[ "$s" == "$ref" ]] && continue
    if cmp -s "$WORK/$ref-$q.canon" "$WORK/$s-$q.canon"; then agree+=("$(label "$s")"); else mismatch "$q" "$s" "$ref"; fi
  done
  if ((${#agree[@]})); then
    log "$q: $(listed "$(label "$ref")" "${agree[@]}") return the same data ($(wc -c <"$WORK/$ref-$q.canon") canonical bytes)"
  fi
  for s in "${q_servers[@]}"; do
    BYTES[$s,$q]="$(wc -c <"$WORK/$s-$q.out")"
    # Warm the server's caches and connections, then count over sequential requests
    # on one keep-alive connection, every response checked. lvzhi with its response
    # cache answers the counted requests from it (the first request was the miss).
    urls=(); for _ in 1 2 3; do urls+=("${URL[$s]}"); done
    curl -sS --fail-with-body -H 'content-type: application/json' -H 'accept: application/json' \
      --data-binary @"$WORK/$s-$q.json" "${urls[@]}" >/dev/null
    urls=(); for _ in $(seq 1 "$SEQ_REQUESTS"); do urls+=("${URL[$s]}"); done
    if is_lvzhi "$s"; then r0="$(metric "$s" lvzhi_graphql_requests_total)"; m0="$(metric "$s" lvzhi_sql_statements_total)"; fi
    mark="$(count_mark "$SQL_DB")"
    curl -sS --fail-with-body -H 'content-type: application/json' -H 'accept: application/json' \
      --data-binary @"$WORK/$s-$q.json" "${urls[@]}" >"$WORK/$s-$q.seq"
    n="$(count_since "$s" "$SQL_DB" "$mark")"
    extra=""
    if is_lvzhi "$s"; then
      r1="$(metric "$s" lvzhi_graphql_requests_total)"; m1="$(metric "$s" lvzhi_sql_statements_total)"
      if [[ $((r1 - r0)) != "$SEQ_REQUESTS" ]]; then
        # A response served from the cache may bypass the request counter; without the
        # cache every request must be counted.
        [[ "$s" == lvzhi ]] || die "$s $q: /metrics counted $((r1 - r0)) requests, sent $SEQ_REQUESTS"
        NOTES+=("- $q: $s's /metrics counted $((r1 - r0)) of $SEQ_REQUESTS sequential requests (responses from the cache are not counted); its statements per request are per request sent.")
      fi
      SQL_METRICS[$s,$q]="$(awk -v s=$((m1 - m0)) -v r="$SEQ_REQUESTS" 'BEGIN {printf "%.2f", s / r}')"
      extra=" (/metrics: ${SQL_METRICS[$s,$q]})"
    fi
    bad="$(jq -s '[.[] | select(.errors != null or .data == null)] | length' "$WORK/$s-$q.seq")"
    got="$(jq -s 'length' "$WORK/$s-$q.seq")"
    [[ "$bad" == 0 && "$got" == "$SEQ_REQUESTS" ]] || die "$s $q: $bad of $got sequential responses had errors"
    SQL_SEQ[$s,$q]="$( [[ -n "$n" ]] && awk -v s="$n" -v r="$SEQ_REQUESTS" 'BEGIN {printf "%.2f", s / r}' || echo n/a)"
    log "$s $q: ${BYTES[$s,$q]} bytes, ${SQL_SEQ[$s,$q]} SQL statements per request$extra"
    # The two counts must agree, except that /metrics also counts the reads of the
    # data version lvzhi's response cache makes once a second (left out of the log's).
    if is_lvzhi "$s" && [[ "$COUNT_METHOD" == log && "${SQL_SEQ[$s,$q]}" != "${SQL_METRICS[$s,$q]}" ]] \
      && ! [[ "$s" == lvzhi && "$(awk -v m="${SQL_METRICS[$s,$q]}" -v p="${SQL_SEQ[$s,$q]}" 'BEGIN {print (m > p)}')" == 1 ]]; then
      NOTES+=("- $q: PostgreSQL logged ${SQL_SEQ[$s,$q]} statements per $s request, /metrics counted ${SQL_METRICS[$s,$q]}.")
    fi
  done
done
# The Wuqia list's busiest department's answer without database keys (which depend on
# the import), as a digest: BureauList's, or at BENCH_TOWNS=0 Bureau's without its
# all-lists counts (then the same question). Equal digests of two runs mean equal
# answers; BENCH_BASELINE compares them.
digest() { jq -c -L "$BENCH_DIR" "include \"normalize\"; $1 | without_keys" "$2" | sha256sum | cut -c1-16; }
if [[ -f "$WORK/$LV0-BureauList.canon" ]]; then
  CANON_DIGEST="$(digest . "$WORK/$LV0-BureauList.canon")"
  if [[ -f "$WORK/$LV0-Bureau.canon" && "$DEPT_KEY" == "$BLIST_KEY" && "$TOWNS" == 0 ]]; then
    # At BENCH_TOWNS=0 both questions are about the same department and list.
    [[ "$(digest 'del(.cooperationCount, .reclaimedCount)' "$WORK/$LV0-Bureau.canon")" == "$CANON_DIGEST" ]] \
      || die "BureauList's answer is not Bureau's without its counts, at BENCH_TOWNS=0"
    log "BureauList: the same answer as Bureau without its counts"
  fi
elif [[ -f "$WORK/$LV0-Bureau.canon" && "$DEPT_KEY" == "$BLIST_KEY" && "$TOWNS" == 0 ]]; then
  CANON_DIGEST="$(digest 'del(.cooperationCount, .reclaimedCount)' "$WORK/$LV0-Bureau.canon")"
fi
for s in "${SERVERS[@]}"; do
  if [[ -s "$WORK/$s-$SQL_DB.err" ]]; then
    NOTES+=("- $(label "$s") wrote $(wc -l <"$WORK/$s-$SQL_DB.err") line(s) to stderr in phase 1; first: \`$(head -n1 "$WORK/$s-$SQL_DB.err" | cut -c1-200)\`")
  fi
done
stop_servers
sql "DROP DATABASE $SQL_DB WITH (FORCE)" >/dev/null # nothing is left that logs every statement

# --- phase 2: load -------------------------------------------------------------------------
log "phase 2: load on $DB"
start_servers "$DB"
LV_POOL="$(metric "$LV0" lvzhi_db_pool_max_connections || true)"
if [[ -z "$LV_POOL" ]]; then
  LV_POOL="10 (sqlx's default; this build has no LVZHI_DB_MAX_CONNECTIONS)"
  ((POOL == 10)) || NOTES+=("- BENCH_POOL_SIZE=$POOL: this lvzhi build ignores LVZHI_DB_MAX_CONNECTIONS; its pool holds 10.")
fi
# Every answer again, now as the load will see it; its size is what wrk expects.
for q in "${NAMES[@]}"; do
  for s in $(servers_of "$q"); do
    post "$s" "$WORK/$s-$q.json" >"$WORK/$s-$q.load.out" || die "$s $q: HTTP error on $DB"
    jq -e '.errors == null and .data != null' "$WORK/$s-$q.load.out" >/dev/null || die "$s $q returned errors on $DB"
    BYTES[$s,$q]="$(wc -c <"$WORK/$s-$q.load.out")"
  done
done

wrk_run() { # server query connections seconds -> BENCH line
  local threads=$(($3 < 2 ? $3 : 2))
  BENCH_BODY_FILE="$WORK/$1-$2.json" BENCH_EXPECT_BYTES="${BYTES[$1,$2]}" \
    wrk -t"$threads" -c"$3" -d"$4s" --timeout 10s --latency -s "$BENCH_DIR/post.lua" "${URL[$1]}" \
    | tee -a "$WORK/wrk.log" | grep '^BENCH ' || { tail -n 20 "$WORK/wrk.log" >&2; die "wrk failed"; }
}
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }
backends() { sql "select count(*) from pg_stat_activity where datname = '$DB' and application_name = '$(app_name "$1")'"; }

LOADAVG_START="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A RPS P50 P99 ERR CPU PGSS_REQ LOAD_R LOAD_S LOAD_H PEAK_BACKENDS
for s in "${SERVERS[@]}"; do PEAK_BACKENDS[$s]=0; done
for q in "${NAMES[@]}"; do
  for s in $(servers_of "$q"); do
    LOAD_R[$s,$q]=0; LOAD_S[$s,$q]=0; LOAD_H[$s,$q]=0
    if ((WARMUP > 0)); then wrk_run "$s" "$q" 8 "$WARMUP" >/dev/null; fi
    for c in $CONCURRENCY; do
      log "$q on $s at concurrency $c for ${DURATION}s"
      if is_lvzhi "$s"; then
        r0="$(metric "$s" lvzhi_graphql_requests_total)"; m0="$(metric "$s" lvzhi_sql_statements_total)"
        h0="$(metric "$s" lvzhi_response_cache_hits_total)" # none when the cache is off
      fi
      [[ "$PGSS" == 1 ]] && p0="$(pgss_calls "$DB")"
      t0="$(cpu_ticks "${PID[$s]}")"
      line="$(wrk_run "$s" "$q" "$c" "$DURATION")"
      t1="$(cpu_ticks "${PID[$s]}")"
      [[ -n "$line" ]] || die "wrk printed no summary"
      [[ "$PGSS" == 1 ]] && p1="$(pgss_calls "$DB")"
      n="$(field requests "$line")"; us="$(field duration_us "$line")"
      if is_lvzhi "$s"; then
        r1="$(metric "$s" lvzhi_graphql_requests_total)"; m1="$(metric "$s" lvzhi_sql_statements_total)"
        # Per request counted by /metrics (it includes the few still in flight when wrk
        # stops); by wrk's count if /metrics counted fewer (responses from the cache
        # bypassing the counter).
        r=$((r1 - r0)); ((r >= n)) || r=$n
        LOAD_R[$s,$q]=$((LOAD_R[$s,$q] + r)); LOAD_S[$s,$q]=$((LOAD_S[$s,$q] + m1 - m0))
        h1="$(metric "$s" lvzhi_response_cache_hits_total)"
        if [[ -n "$h0" && -n "$h1" && -n "${LOAD_H[$s,$q]}" ]]; then LOAD_H[$s,$q]=$((LOAD_H[$s,$q] + h1 - h0)); else LOAD_H[$s,$q]=""; fi
      fi
      b="$(backends "$s")"; ((b > PEAK_BACKENDS[$s])) && PEAK_BACKENDS[$s]=$b
      transport=$(($(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field timeout "$line")))
      status="$(field status "$line")"; wrong=$(($(field gql "$line") + $(field size "$line")))
      errors=$((transport + status + wrong))
      ERR[$s,$q,$c]=$errors
      RPS[$s,$q,$c]="$(awk -v n="$n" -v us="$us" 'BEGIN {printf "%.1f", n / (us / 1e6)}')"
      CPU[$s,$q,$c]="$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN {if (n > 0) printf "%.2f", t / hz * 1000 / n; else print "n/a"}')"
      P50[$s,$q,$c]="$(awk -v v="$(field p50_us "$line")" 'BEGIN {printf "%.2f", v / 1000}')"
      P99[$s,$q,$c]="$(awk -v v="$(field p99_us "$line")" 'BEGIN {printf "%.2f", v / 1000}')"
      [[ "$PGSS" == 1 ]] && PGSS_REQ[$s,$q,$c]="$(awk -v s=$((p1 - p0)) -v r="$n" 'BEGIN {if (r > 0) printf "%.2f", s / r; else print "n/a"}')"
      ((errors == 0)) || NOTES+=("- $q on $(label "$s") at $c connections: ${ERR[$s,$q,$c]} errors — $transport socket errors/timeouts, $status non-2xx, $(field gql "$line") GraphQL errors, $(field size "$line") answers of another size (\`$line\`).")
    done
  done
done

for s in "${SERVERS[@]}"; do kill -0 "${PID[$s]}" 2>/dev/null || die "$s died during the benchmark"; done
LOADAVG_END="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A HWM_END RSS_END
for s in "${SERVERS[@]}"; do
  HWM_END[$s]="$(hwm_kb "${PID[$s]}")"
  RSS_END[$s]="$(awk '/^VmRSS/ {print $2}' "/proc/${PID[$s]}/status")"
  if [[ -s "$WORK/$s-$DB.err" ]]; then
    NOTES+=("- $(label "$s") wrote $(wc -l <"$WORK/$s-$DB.err") line(s) to stderr under load; first: \`$(head -n1 "$WORK/$s-$DB.err" | cut -c1-200)\`")
  fi
done

# --- report -------------------------------------------------------------------------------
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "$ROOT" status --porcelain -- src entity migration Cargo.toml Cargo.lock 2>/dev/null)" ]]; then
  COMMIT="$COMMIT (working tree has uncommitted changes under src/entity/migration/Cargo.*)"
fi
CPU_MODEL="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
MEM="$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
DATE="$(date +%F)"
SUFFIX=""
if ((TOWNS > 0)); then SUFFIX="-towns-$TOWNS"; fi
OUT="$RESULTS_DIR/$DATE-vs-postgraphile$SUFFIX.md"
mkdir -p "$RESULTS_DIR"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f×", a / b; else print "n/a"}'; }
has_c() { [[ " $CONCURRENCY " == *" $1 "* ]]; }
loaded() { [[ " ${NAMES[*]} " == *" $1 "* ]]; }
case "$COUNT_METHOD" in
  log) METHOD_TEXT="lines \`statement:\`/\`execute …:\` the PostgreSQL log gains (log_statement = 'all' on the copy $SQL_DB only), without the reads of the data version lvzhi's response cache makes once a second" ;;
  pgss) METHOD_TEXT="Σ calls in pg_stat_statements for the copy $SQL_DB" ;;
  *) METHOD_TEXT="not counted (no readable PostgreSQL log, no pg_stat_statements)" ;;
esac

# BENCH_BASELINE: a single-town report of this script, the current one (a row per
# server: | Query | Conns | Server | req/s | p50 ms | …) or the earlier one with
# lvzhi's columns first (| Query | Conns | lvzhi req/s | p50 ms | …), written before
# lvzhi had a response cache: its lvzhi is compared with lvzhi-nocache.
BASE_TOWNS="" BASE_DIGEST="" BASE_FORMAT=""
if [[ -n "$BASELINE" ]]; then
  BASE_TOWNS="$(grep -o 'BENCH_TOWNS=[0-9]*' "$BASELINE" | head -n1 | cut -d= -f2 || true)"
  # shellcheck disable=SC2016 # the backquotes are Markdown's
  BASE_DIGEST="$(sed -n 's/^- Answer digest .*: `\([0-9a-f]*\)`.*/\1/p' "$BASELINE" | head -n1)"
  if grep -q '^| Query | Conns | Server |' "$BASELINE"; then BASE_FORMAT=rows
  elif grep -q '^| Query | Conns | lvzhi req/s |' "$BASELINE"; then BASE_FORMAT=columns
  else NOTES+=("- BENCH_BASELINE=$BASELINE has no throughput table this script reads.")
  fi
  [[ "$BASE_TOWNS" == 0 ]] || NOTES+=("- BENCH_BASELINE=$BASELINE is not a single-town run (BENCH_TOWNS=${BASE_TOWNS:-?}).")
  [[ "$BASE_FORMAT" == columns ]] && NOTES+=("- BENCH_BASELINE=$BASELINE predates the two lvzhi variants (and lvzhi's response cache): its lvzhi column is compared with lvzhi-nocache's figures; lvzhi (cache on) has no single-town figure in it.")
fi
baseline_p50() { # question server -> its p50 ms at 1 connection in BENCH_BASELINE, or nothing
  [[ -n "$BASE_FORMAT" ]] || return 0
  awk -F'|' -v q="$1" -v s="$2" -v fmt="$BASE_FORMAT" '
    function trim(x) { gsub(/^[ \t]+|[ \t]+$/, "", x); return x }
    /^## / { table = ($0 ~ /^## Throughput/) }
    !table || trim($2) != q || trim($3) != "1" { next }
    fmt == "rows" && trim($4) == s { print trim($6); exit }
    fmt == "columns" && s == "lvzhi-nocache" { print trim($5); exit }' "$BASELINE"
}

# The statement count the targets read: PostgreSQL's log when it is readable (every
# statement, without lvzhi's timed data-version reads), otherwise /metrics.
sql_target() { if [[ "$COUNT_METHOD" == log ]]; then echo "${SQL_SEQ[$1,$2]}"; else echo "${SQL_METRICS[$1,$2]}"; fi; }
target() { # label measured-ok
  if [[ "$2" == yes ]]; then echo "met"; elif [[ "$2" == no ]]; then echo "**not met**"; else echo "not measured"; fi
}
at_most() { awk -v v="$1" -v max="$2" 'BEGIN {print (v != "" && v <= max) ? "yes" : "no"}'; }
# Issue 16's search targets, cache off at 32 connections: every search p50 ≤ 10 ms
# and p99 ≤ 50 ms, and ≥ 1,000 req/s for the one-character query.
search_target_rows() {
  local q s="lvzhi-nocache"
  if [[ " ${LV_SERVERS[*]} " != *" $s "* ]] || ! has_c 32; then
    echo "| Search, cache off, 32 connections | $s | not run (BENCH_SERVERS/BENCH_CONCURRENCY) | not measured |"
    return
  fi
  for q in Search1 SearchPair Search2; do
    loaded "$q" || continue
    echo "| $q: p50 ≤ 10 ms and p99 ≤ 50 ms at 32 connections | $s | ${P50[$s,$q,32]} / ${P99[$s,$q,32]} ms | $(target x "$(awk -v a="${P50[$s,$q,32]}" -v b="${P99[$s,$q,32]}" 'BEGIN {print (a != "" && a <= 10 && b <= 50) ? "yes" : "no"}')") |"
  done
  if loaded Search1; then
    echo "| Search1: ≥ 1,000 req/s at 32 connections | $s | ${RPS[$s,Search1,32]} req/s | $(target x "$(awk -v a="${RPS[$s,Search1,32]}" 'BEGIN {print (a != "" && a >= 1000) ? "yes" : "no"}')") |"
  fi
}

# One row per target and lvzhi variant.
target_rows() {
  local q s label lv pg
  for q in Bureau Page; do
    [[ "$q" == Bureau ]] && label="(a) Bureau" || label="(b) Page"
    if ! loaded "$q" || ! has_c 32; then
      echo "| $label at 32 connections | all | not run (BENCH_QUERIES/BENCH_CONCURRENCY) | not measured |"
      continue
    fi
    for s in "${LV_SERVERS[@]}"; do
      lv="${RPS[$s,$q,32]}"
      if ((HAS_PGX)); then
        pg="${RPS[postgraphile,$q,32]}"
        echo "| $label: ≥ 3× PostGraphile req/s at 32 connections | $s | $lv vs $pg req/s = $(ratio "$lv" "$pg") | $(target x "$(awk -v a="$lv" -v b="$pg" 'BEGIN {print (b > 0 && a >= 3 * b) ? "yes" : "no"}')") |"
      else
        echo "| $label: ≥ 3× PostGraphile req/s at 32 connections | $s | $lv req/s; PostGraphile not in BENCH_SERVERS | not measured |"
      fi
    done
    for s in "${LV_SERVERS[@]}"; do
      echo "| $label: p99 ≤ 25 ms at 32 connections | $s | ${P99[$s,$q,32]} ms | $(target x "$(at_most "${P99[$s,$q,32]}" 25)") |"
    done
  done
  local big small
  for s in "${LV_SERVERS[@]}"; do
    [[ -n "${SQL_METRICS[$s,Bureau]:-}" ]] || continue
    big="$(sql_target "$s" Bureau)"
    echo "| (a) Bureau: ≤ 4 SQL statements per request | $s | $big | $(target x "$(at_most "$big" 4)") |"
  done
  for s in "${LV_SERVERS[@]}"; do
    local pairs=() same=yes
    if [[ -n "${SQL_METRICS[$s,Bureau]:-}" ]]; then
      big="$(sql_target "$s" Bureau)"; small="$(sql_target "$s" Bureau-min)"
      pairs+=("Bureau $DEPT_COOPS cooperations $big, $MIN_COOPS cooperation(s) $small")
      [[ "$big" == "$small" ]] || same=no
    fi
    if [[ -n "${SQL_METRICS[$s,Page]:-}" ]]; then
      big="$(sql_target "$s" Page)"; small="$(sql_target "$s" Page-5)"
      pairs+=("Page 50 duties $big, 5 duties $small")
      [[ "$big" == "$small" ]] || same=no
    fi
    if ((${#pairs[@]})); then
      echo "| SQL statements independent of result size | $s | $(joined "${pairs[@]}") | $(target x "$same") |"
    fi
  done
  # The scale target: the single-town figure comes from another run.
  local scale="1,000 towns: p50 of (a) and (b) at 1 connection ≤ 2× the single-town figure"
  local at="at $TOWNS towns"; ((TOWNS == 1000)) || at="$at (the target is at 1,000)"
  if ((TOWNS == 0)); then
    echo "| $scale | all | this run is the single-town figure (give its report as BENCH_BASELINE to a run with BENCH_TOWNS) | not measured |"
  elif [[ -z "$BASELINE" ]]; then
    echo "| $scale | all | the comparison needs BENCH_BASELINE=<a single-town report of this script> | not measured |"
  else
    local pair here base mine theirs row
    for pair in "BureauList Bureau (a)" "Page Page (b)"; do
      read -r here base label <<<"$pair"
      row="$label $at: $here p50 ≤ 2× single-town $base p50, 1 connection"
      for s in "${LV_SERVERS[@]}"; do
        if ! loaded "$here" || ! has_c 1; then
          echo "| $row | $s | not run (BENCH_QUERIES/BENCH_CONCURRENCY) | not measured |"
          continue
        fi
        mine="${P50[$s,$here,1]}"; theirs="$(baseline_p50 "$base" "$s")"
        if [[ -z "$theirs" ]]; then
          echo "| $row | $s | $mine ms; no $s figure in $(basename "$BASELINE") | not measured |"
        else
          echo "| $row | $s | $mine ms vs $theirs ms = $(ratio "$mine" "$theirs") | $(target x "$(awk -v a="$mine" -v b="$theirs" 'BEGIN {print (a <= 2 * b) ? "yes" : "no"}')") |"
        fi
      done
    done
  fi
}

server_list() { local s out=(); for s in "${SERVERS[@]}"; do out+=("$(label "$s")"); done; echo "${out[*]}"; }
{
  echo "# lvzhi vs PostGraphile, $DATE$( ((TOWNS > 0)) && echo ", Wuqia + $TOWNS synthetic towns")"
  echo
  echo "- Machine: $(nproc) CPUs ($CPU_MODEL), $MEM memory, $(uname -sr); servers, PostgreSQL and wrk share it; load average (1/5/15 min) $LOADAVG_START when the load runs started, $LOADAVG_END when they ended"
  echo "- PostgreSQL: $PG_VERSION (127.0.0.1)"
  echo "- Data: $DATASET (BENCH_TOWNS=$TOWNS, BENCH_EDITIONS=$EDITIONS${SEED:+, BENCH_SEED=$SEED}); imported by one \`lvzhi import\` of every file in ${IMPORT_SECONDS} s (its VACUUM ANALYZE included), peak memory $IMPORT_RSS; database $DB_SIZE"
  echo "- Servers: $(server_list) (BENCH_SERVERS), each started once per phase and loaded one at a time while the others are idle"
  lv_desc=()
  for s in "${LV_SERVERS[@]}"; do
    if [[ "$s" == lvzhi ]]; then lv_desc+=("*lvzhi* with its default configuration (response cache on)")
    else lv_desc+=("*lvzhi-nocache* with LVZHI_RESPONSE_CACHE_BYTES=0 (response cache off)"); fi
  done
  echo "- lvzhi: commit $COMMIT, release build, LVZHI_ENV=production, pool $LV_POOL connections each; $(joined "${lv_desc[@]}")"
  if ((HAS_PGX)); then
    echo "- PostGraphile $PGX_VERSION (Node $(node --version), NODE_ENV=production, one process), pg-simplify-inflector $PGX_INFLECTOR_VERSION, options \`${PGX_OPTIONS[*]}\`"
  fi
  conns=(); rss=()
  for s in "${SERVERS[@]}"; do
    conns+=("$(label "$s") ${PEAK_BACKENDS[$s]}")
    rss+=("$(label "$s")$([[ "$s" == postgraphile ]] && echo " (node)") $(mib "${HWM_START[$s]}") after start-up, $(mib "${HWM_END[$s]}") at the end (RSS $(mib "${RSS_END[$s]}"))")
  done
  echo "- Database connections seen under load (pg_stat_activity after each run, peak): $(joined "${conns[@]}")"
  echo "- Load: $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), threads = min(connections, 2), ${DURATION} s per run after a ${WARMUP} s warm-up per server and query, client on the same machine"
  echo "- Peak RSS (VmHWM): $(joined "${rss[@]}")"
  echo "- Questions: Bureau = $DEPT, $DEPT_COOPS cooperations; BureauList = $BLIST_DEPT in the Wuqia list only, $BLIST_COOPS cooperations and $BLIST_RECLAIMED reclaimed duties there$(loaded BureauList || echo " (not loaded)"); Page = 50 duties of the Wuqia list; Duty = the Wuqia duty with the most items, $DUTY_DESC"
  if [[ -n "$CANON_DIGEST" ]]; then
    echo "- Answer digest (BureauList's canonical answer without database keys; at BENCH_TOWNS=0 Bureau's without its counts): \`$CANON_DIGEST\`"
  fi
  if [[ -n "$BASELINE" ]]; then
    base_same="it has no answer digest to compare BureauList's answer with"
    if [[ -n "$BASE_DIGEST" && -n "$CANON_DIGEST" ]]; then
      if [[ "$BASE_DIGEST" == "$CANON_DIGEST" ]]; then base_same="BureauList's answer is the baseline's Bureau answer (same digest)"
      else base_same="**BureauList's answer differs from the baseline's Bureau answer** (digest \`$BASE_DIGEST\` there)"; fi
    fi
    echo "- Baseline (BENCH_BASELINE): $BASELINE, BENCH_TOWNS=${BASE_TOWNS:-?}; $base_same"
  fi
  if ((HAS_PGX)); then compared="every lvzhi answer with PostGraphile's (lvzhi-only questions: the lvzhi variants' with each other)"
  else compared="the lvzhi variants' answers with each other"; fi
  echo "- Same data: $compared, after normalization (bench/normalize.jq)$( ((${#MISMATCHES[@]})) && echo " — **MISMATCHES, see below**" || echo ": identical")"
  echo
  echo "## Throughput and latency"
  echo
  echo "*CPU ms/req*: the server process's CPU time (all threads, /proc/PID/stat) during the run per completed request — PostgreSQL's work is not in it; it is less sensitive than req/s to other load on the machine.$( ((HAS_PGX)) && echo " *÷ PostGraphile*: the row's req/s over PostGraphile's for the same question and connections (lvzhi / PostGraphile, lvzhi-nocache / PostGraphile); PostGraphile has no equivalent of the questions it has no rows for.")"
  echo
  head="| Query | Conns | Server | req/s | p50 ms | p99 ms | errors | CPU ms/req |"; rule="|---|---:|---|---:|---:|---:|---:|---:|"
  if [[ "$PGSS" == 1 ]]; then head="$head SQL/req |"; rule="$rule---:|"; fi
  if ((HAS_PGX)); then head="$head ÷ PostGraphile |"; rule="$rule---:|"; fi
  echo "$head"
  echo "$rule"
  for q in "${NAMES[@]}"; do
    read -r -a q_servers <<<"$(servers_of "$q")"
    for c in $CONCURRENCY; do
      for s in "${q_servers[@]}"; do
        row="| $q | $c | $(label "$s") | ${RPS[$s,$q,$c]} | ${P50[$s,$q,$c]} | ${P99[$s,$q,$c]} | ${ERR[$s,$q,$c]} | ${CPU[$s,$q,$c]}"
        [[ "$PGSS" == 1 ]] && row="$row | ${PGSS_REQ[$s,$q,$c]}"
        if ((HAS_PGX)); then
          if [[ "$s" == postgraphile ]]; then row="$row | –"
          elif [[ -n "${RPS[postgraphile,$q,$c]:-}" ]]; then row="$row | $(ratio "${RPS[$s,$q,$c]}" "${RPS[postgraphile,$q,$c]}")"
          else row="$row | n/a"; fi
        fi
        echo "$row |"
      done
    done
  done
  echo
  echo "## SQL statements per request"
  echo
  echo "Counted over $SEQ_REQUESTS sequential requests after 3 unrecorded ones; *PostgreSQL* = $METHOD_TEXT; */metrics* = Δlvzhi_sql_statements_total / requests sent; *under load* = Δlvzhi_sql_statements_total / Δlvzhi_graphql_requests_total over all of the server's load runs of the question."
  echo "Bureau-min (the department with the fewest cooperations, $MIN_COOPS) and Page-5 (first: 5) ask the same as Bureau and Page for a smaller answer."
  echo "*cache hits* = Δlvzhi_response_cache_hits_total / requests over the server's load runs of the question (– : no response cache: off, or not in this build)."
  if [[ " ${LV_SERVERS[*]} " == *" lvzhi "* ]]; then
    echo "lvzhi answers repeated requests from its response cache (the first request of a question is the miss, before the count), so its counts are those of cache hits, 0; its /metrics and under-load counts also hold the reads of the data version its cache makes once a second (LVZHI_RESPONSE_CACHE_POLL_MS), idle or not. lvzhi-nocache's are what every request costs."
  fi
  echo
  echo "| Query | Server | /metrics | PostgreSQL | under load | cache hits | response bytes |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  for q in "${SEQ_NAMES[@]}"; do
    for s in $(servers_of "$q"); do
      if is_lvzhi "$s"; then
        under="$(awk -v s="${LOAD_S[$s,$q]:-0}" -v r="${LOAD_R[$s,$q]:-0}" 'BEGIN {if (r > 0) printf "%.2f", s / r; else print "–"}')"
        hits="–"
        if [[ -n "${LOAD_H[$s,$q]:-}" ]]; then
          hits="$(awk -v h="${LOAD_H[$s,$q]}" -v r="${LOAD_R[$s,$q]:-0}" 'BEGIN {if (r > 0) printf "%.2f%%", 100 * h / r; else print "–"}')"
        fi
        echo "| $q | $s | ${SQL_METRICS[$s,$q]} | ${SQL_SEQ[$s,$q]} | $under | $hits | ${BYTES[$s,$q]} |"
      else
        echo "| $q | PostGraphile | – | ${SQL_SEQ[$s,$q]} | – | – | ${BYTES[$s,$q]} |"
      fi
    done
  done
  echo
  echo "## Targets (issue 6)"
  echo
  echo "| Target | Server | Measured | |"
  echo "|---|---|---|---|"
  target_rows
  echo
  echo "## Search targets (issue 16, at $TOWNS towns)"
  echo
  echo "| Target | Server | Measured | |"
  echo "|---|---|---|---|"
  search_target_rows
  echo
  echo "Statements per request: the *$( [[ "$COUNT_METHOD" == log ]] && echo "PostgreSQL" || echo "/metrics" )* column above; lvzhi's are those of cache hits, lvzhi-nocache's those of requests resolved against the database.$( [[ -n "$BASELINE" ]] && echo " Single-town p50: BENCH_BASELINE's throughput table ($(basename "$BASELINE")).")"
  if ((${#MISMATCHES[@]} + ${#NOTES[@]})); then
    echo
    echo "## Notes"
    echo
    ((${#MISMATCHES[@]})) && printf '%s\n' "${MISMATCHES[@]}"
    ((${#NOTES[@]})) && printf '%s\n' "${NOTES[@]}"
  fi
  echo
  echo "## Queries"
  echo
  for q in "${SEQ_NAMES[@]}"; do
    echo "- $q, lvzhi: \`${Q_LV[$q]}\`"
    if ((HAS_PGX)) && [[ -n "${Q_PGX[$q]:-}" ]]; then echo "- $q, PostGraphile: \`${Q_PGX[$q]}\`"; fi
  done
  echo
  repro="CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target} BENCH_DURATION=$DURATION BENCH_WARMUP=$WARMUP BENCH_TOWNS=$TOWNS BENCH_EDITIONS=$EDITIONS${SEED:+ BENCH_SEED=$SEED}"
  [[ "${SERVERS[*]}" == "${ALL_SERVERS[*]}" ]] || repro="$repro BENCH_SERVERS=\"${SERVERS[*]}\""
  [[ "$PGSS" == 1 ]] && repro="$repro BENCH_PG_STAT_STATEMENTS=1"
  echo "Reproduce: \`$repro bench/run.sh\`"
} >"$OUT"

cat "$OUT"
log "wrote ${OUT#"$ROOT"/}"
