#!/usr/bin/env bash
# Benchmark lvzhi against PostGraphile v4 on the same PostgreSQL database: the same
# questions (Bureau, Page, Duty, `{ __typename }`) asked of both, their answers
# checked to be the same data, then requests/s, p50/p99 latency (wrk), errors, peak
# memory and SQL statements per request of each server. lvzhi's search queries run
# for lvzhi alone. See bench/README.md.
#
# Environment (all optional):
#   BENCH_DURATION           seconds per load run                              (default 10)
#   BENCH_WARMUP             seconds of unrecorded load per server and query   (default 2)
#   BENCH_CONCURRENCY        connection counts to run                          (default "1 8 32")
#   BENCH_QUERIES            questions to load   (default "Floor Bureau Page Duty Search1 Search2")
#   BENCH_TOWNS              synthetic towns imported besides Wuqia            (default 0)
#   BENCH_SEED               seed for `lvzhi generate`                         (default: its own)
#   BENCH_POOL_SIZE          database connections of each server               (default 10)
#   BENCH_SEQ_REQUESTS       sequential requests per statement count           (default 100)
#   BENCH_PG_STAT_STATEMENTS 1: also count statements under load with pg_stat_statements,
#                            loading it (ALTER SYSTEM + cluster RESTART) if needed (default 0)
#   BENCH_ALLOW_MISMATCH     1: report a data mismatch instead of stopping     (default 0)
#   BENCH_DB                 database to (re)create; ${BENCH_DB}_sql too       (default lvzhi_bench)
#   BENCH_PG                 PostgreSQL server URL, no database  (default postgres://postgres@127.0.0.1:5432)
#   BENCH_BIN                an lvzhi binary to use instead of building the release one
#   BENCH_RESULTS_DIR        where the report goes                             (default bench/results)
#   CARGO_TARGET_DIR         honoured by the release build
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-2}"
CONCURRENCY="${BENCH_CONCURRENCY:-1 8 32}"
QUERIES="${BENCH_QUERIES:-Floor Bureau Page Duty Search1 Search2}"
TOWNS="${BENCH_TOWNS:-0}"
SEED="${BENCH_SEED:-}"
POOL="${BENCH_POOL_SIZE:-10}"
SEQ_REQUESTS="${BENCH_SEQ_REQUESTS:-100}"
PGSS="${BENCH_PG_STAT_STATEMENTS:-0}"
ALLOW_MISMATCH="${BENCH_ALLOW_MISMATCH:-0}"
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
[[ -z "$SEED" || "$SEED" =~ ^[0-9]+$ ]] || die "BENCH_SEED must be a number"
[[ "$POOL" =~ ^[0-9]+$ && "$POOL" -ge 1 && "$POOL" -le 200 ]] || die "BENCH_POOL_SIZE must be 1..200"
[[ "$PGSS" == 0 || "$PGSS" == 1 ]] || die "BENCH_PG_STAT_STATEMENTS must be 0 or 1"
[[ "$ALLOW_MISMATCH" == 0 || "$ALLOW_MISMATCH" == 1 ]] || die "BENCH_ALLOW_MISMATCH must be 0 or 1"
for c in $CONCURRENCY; do [[ "$c" =~ ^[0-9]+$ && "$c" -ge 1 ]] || die "bad concurrency $c"; done
ALL_QUERIES=(Floor Bureau Page Duty Search1 Search2)
NAMES=()
for q in $QUERIES; do
  [[ " ${ALL_QUERIES[*]} " == *" $q "* ]] || die "unknown query $q in BENCH_QUERIES (known: ${ALL_QUERIES[*]})"
  NAMES+=("$q")
done
((${#NAMES[@]})) || die "BENCH_QUERIES is empty"
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
command -v node >/dev/null && command -v npm >/dev/null || die "PostGraphile needs Node.js (>= 18) and npm"
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
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main "$1"
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
  log "using BENCH_BIN=$BIN (no build)"
else
  log "building the release binary (CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-<default>})"
  cargo build --release --manifest-path "$ROOT/Cargo.toml" --bin lvzhi >&2
  TARGET_DIR="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | jq -r .target_directory)"
  BIN="$TARGET_DIR/release/lvzhi"
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
lvzhi_env() { # database -> env assignments
  local e=(DATABASE_URL="$PG/$1" LVZHI_LOG=warn LVZHI_ENV=production LVZHI_DB_MAX_CONNECTIONS="$POOL" PGAPPNAME=bench_lvzhi)
  [[ -n "$DEPARTMENTS" ]] && e+=(LVZHI_DEPARTMENTS="$DEPARTMENTS")
  printf '%s\n' "${e[@]}"
}
lvzhi_cmd() { # database args... (runs to completion)
  local db="$1"; shift
  local envs; mapfile -t envs < <(lvzhi_env "$db")
  (cd "$WORK/run" && env -u LVZHI_BIND -u LVZHI_DEPARTMENTS -u DATABASE_URL "${envs[@]}" "$BIN" "$@")
}

# --- data -------------------------------------------------------------------------
log "recreating databases $DB and $SQL_DB"
sql "DROP DATABASE IF EXISTS $SQL_DB WITH (FORCE)" >/dev/null
sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
sql "CREATE DATABASE $DB" >/dev/null

if ((TOWNS > 0)); then
  lvzhi_cmd "$DB" generate --help >/dev/null 2>&1 \
    || die "BENCH_TOWNS=$TOWNS needs \`lvzhi generate\`, which this lvzhi build does not have"
  gen=(generate --towns "$TOWNS" --out "$WORK/towns")
  [[ -n "$SEED" ]] && gen+=(--seed "$SEED")
  log "generating $TOWNS synthetic towns: lvzhi ${gen[*]}"
  lvzhi_cmd "$DB" "${gen[@]}" >"$WORK/generate.log" 2>&1 || { tail -n 20 "$WORK/generate.log" >&2; die "lvzhi generate failed"; }
  DEPARTMENTS="$WORK/towns/departments.toml"
  [[ -f "$DEPARTMENTS" ]] || die "lvzhi generate wrote no $DEPARTMENTS"
  shopt -s nullglob
  TOWN_FILES=("$WORK"/towns/*.txt)
  shopt -u nullglob
  ((${#TOWN_FILES[@]})) || die "lvzhi generate wrote no .txt files"
else
  TOWN_FILES=()
fi
log "importing the Wuqia list${TOWN_FILES[*]:+ and ${#TOWN_FILES[@]} synthetic lists} into $DB"
import_help="$(lvzhi_cmd "$DB" import --help 2>&1 || true)"
if ((${#TOWN_FILES[@]} == 0)) || [[ "$import_help" =~ \<FILES?\>\.\.\. ]]; then
  lvzhi_cmd "$DB" import "$SEED_LIST" "${TOWN_FILES[@]}" >"$WORK/import.log" 2>&1 \
    || { tail -n 30 "$WORK/import.log" >&2; die "lvzhi import failed"; }
else # an lvzhi whose import takes one file
  for f in "$SEED_LIST" "${TOWN_FILES[@]}"; do
    lvzhi_cmd "$DB" import "$f" >>"$WORK/import.log" 2>&1 \
      || { tail -n 30 "$WORK/import.log" >&2; die "lvzhi import $f failed"; }
  done
fi
DATASET="$(sql "select format('%s lists, %s duties, %s responsibility items, %s departments in %s counties',
  (select count(*) from duty_list), (select count(*) from duty), (select count(*) from responsibility_item),
  (select count(*) from department), (select count(*) from county))" "$DB")"
log "dataset: $DATASET"
LIST_KEY="$(sql "select l.id from duty_list l join county c on c.id = l.county_id
  where c.name = '乌恰县' and l.town = '乌恰镇' order by l.published_on desc limit 1" "$DB")"
[[ "$LIST_KEY" =~ ^[0-9]+$ ]] || die "the Wuqia list is not in $DB"
# The Duty question: the Wuqia duty with the most items (and so sections and item departments).
read -r DUTY_KEY DUTY_KIND DUTY_SEQ DUTY_ITEMS < <(sql "select d.id, d.kind, d.seq, count(*) from duty d
  join responsibility_item i on i.duty_id = d.id where d.list_id = $LIST_KEY
  group by d.id, d.kind, d.seq order by count(*) desc, d.kind, d.seq limit 1" "$DB" | tr '|' ' ')
[[ "${DUTY_KEY:-}" =~ ^[0-9]+$ ]] || die "the Wuqia list has no duty with items"

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
  sql "select string_agg(pid::text, ' ') from pg_stat_activity where datname = '$2' and application_name = 'bench_$1'"
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
      # database, from this server's backends when the prefix names pids.
      tail -c "+$(($3 + 1))" "$LOG_FILE" >"$WORK/log.part"
      head -c "$((end - $3))" "$WORK/log.part" \
        | awk -v db="@$2 " -v bydb="$LOG_HAS_DB" -v pids=" $pids " '
            /^[^ \t].* LOG:  (statement|execute [^:]*): / {
              if (bydb && index($0, db) == 0) next
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
declare -A URL PID HWM_START

start_lvzhi() { # database
  local envs; mapfile -t envs < <(lvzhi_env "$1")
  (cd "$WORK/run" && exec env -u LVZHI_BIND -u LVZHI_DEPARTMENTS -u DATABASE_URL "${envs[@]}" \
    "$BIN" serve --bind 127.0.0.1:0 >"$WORK/lvzhi-$1.out" 2>"$WORK/lvzhi-$1.err") &
  PID[lvzhi]=$!
  SERVER_PIDS+=("${PID[lvzhi]}")
  local addr=""
  for _ in $(seq 1 600); do
    addr="$(sed -n 's|^lvzhi serves GraphQL at http://\([^/]*\)/graphql.*|\1|p' "$WORK/lvzhi-$1.out" | head -n1)"
    [[ -n "$addr" ]] && break
    kill -0 "${PID[lvzhi]}" 2>/dev/null || { cat "$WORK/lvzhi-$1.err" >&2; die "lvzhi exited before it was ready"; }
    sleep 0.5
  done
  [[ -n "$addr" ]] || { cat "$WORK/lvzhi-$1.err" >&2; die "lvzhi was not ready within 300 s"; }
  case "$addr" in 127.0.0.1:*) ;; *) die "unexpected address $addr";; esac
  URL[lvzhi]="http://$addr/graphql"
  METRICS_URL="http://$addr/metrics"
  HWM_START[lvzhi]="$(hwm_kb "${PID[lvzhi]}")"
  log "lvzhi (pid ${PID[lvzhi]}) serves $1 at ${URL[lvzhi]}"
}

# PostGraphile with production options: no GraphiQL, no query log, no watch mode,
# no mutations (lvzhi has none), the simplify inflector for readable names.
PGX_OPTIONS=(--schema public --max-pool-size "$POOL" --disable-graphiql --disable-query-log
  --dynamic-json --no-setof-functions-contain-nulls --no-ignore-rbac --disable-default-mutations
  --legacy-relations omit --append-plugins @graphile-contrib/pg-simplify-inflector)
start_postgraphile() { # database
  local port; port="$(free_port)"
  (cd "$PGX_DIR" && exec env NODE_ENV=production PGAPPNAME=bench_postgraphile \
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
stop_servers() {
  local s
  for s in lvzhi postgraphile; do [[ -n "${PID[$s]:-}" ]] && stop_pid "${PID[$s]}"; PID[$s]=""; done
}

body_file() { jq -nc --arg q "$1" '{query: $q}' >"$2"; }
post() { curl -sS --fail-with-body -H 'content-type: application/json' -H 'accept: application/json' --data-binary @"$2" "${URL[$1]}"; }
gql() { # server query -> response
  body_file "$2" "$WORK/adhoc.json"
  post "$1" "$WORK/adhoc.json"
}
metric() { curl -sS --fail "$METRICS_URL" | awk -v m="$1" '$1 == m {print $2}'; }

# --- phase 1: the same answers, and statements per request ------------------------------
log "phase 1: answers and statement counts on $SQL_DB"
start_lvzhi "$SQL_DB"
start_postgraphile "$SQL_DB"

gql lvzhi '{ departments(orderBy: COOPERATION_COUNT) { id name county cooperationCount } }' >"$WORK/departments.out"
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
gql lvzhi '{ dutyLists { id town county } }' >"$WORK/lists.out"
LIST_ID="$(jq -r --argjson k "$LIST_KEY" -L "$BENCH_DIR" 'include "normalize"; [.data.dutyLists[] | select(.id | lvzhi_key("DutyList") == $k)][0].id' "$WORK/lists.out")"
[[ -n "$LIST_ID" && "$LIST_ID" != null ]] || die "lvzhi does not list the Wuqia list (key $LIST_KEY)"
gql lvzhi "{ duties(filter: {listId: \"$LIST_ID\", kind: $DUTY_KIND, seq: $DUTY_SEQ}) { nodes { id } } }" >"$WORK/duty-id.out"
DUTY_ID="$(jq -r '.data.duties.nodes[0].id // empty' "$WORK/duty-id.out")"
[[ -n "$DUTY_ID" && "$(key_of "$DUTY_ID" Duty)" == "$DUTY_KEY" ]] || die "lvzhi does not find duty $DUTY_KEY: $(head -c 300 "$WORK/duty-id.out")"
DUTY_DESC="$DUTY_KIND duty 序号 $DUTY_SEQ, $DUTY_ITEMS items"
log "Bureau: $DEPT, $DEPT_COOPS cooperations; Bureau-min: $MIN_COOPS; Page: list $LIST_KEY; Duty: $DUTY_DESC"

# The questions. Q_LV: lvzhi's query; Q_PGX: PostGraphile's equivalent over its generated
# schema (unset: PostGraphile has none); NORM: the normalize.jq functions comparing them.
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
Q_LV[Search2]='query Search2 { search(query: "燃气 入户", first: 10) { totalCount nodes { duty { id seq name } matchedIn departments { name } score snippet } } }'
CHECK[Search2]='.data.search.totalCount > 0'

# Each loaded question, and beside Bureau and Page the same question with a small
# answer: their statement counts must be the same.
SEQ_NAMES=()
for q in "${NAMES[@]}"; do
  SEQ_NAMES+=("$q")
  case "$q" in Bureau) SEQ_NAMES+=(Bureau-min) ;; Page) SEQ_NAMES+=(Page-5) ;; esac
done
servers_of() { if [[ -n "${Q_PGX[$1]:-}" ]]; then echo lvzhi postgraphile; else echo lvzhi; fi; }
query_of() { if [[ "$1" == lvzhi ]]; then echo "${Q_LV[$2]}"; else echo "${Q_PGX[$2]}"; fi; }

declare -A SQL_SEQ SQL_METRICS BYTES
MISMATCHES=()
NOTES=()
for q in "${SEQ_NAMES[@]}"; do
  for s in $(servers_of "$q"); do
    body_file "$(query_of "$s" "$q")" "$WORK/$s-$q.json"
    post "$s" "$WORK/$s-$q.json" >"$WORK/$s-$q.out" || die "$s $q: HTTP error: $(head -c 600 "$WORK/$s-$q.out")"
    jq -e "(.errors == null) and (.data != null) and (${CHECK[$q]:-true})" "$WORK/$s-$q.out" >/dev/null \
      || die "$s $q returned errors or no data: $(head -c 600 "$WORK/$s-$q.out")"
  done
  # The equality check: both canonical forms byte for byte.
  if [[ -n "${Q_PGX[$q]:-}" ]]; then
    jq -S -c -L "$BENCH_DIR" "include \"normalize\"; ${NORM_LV[$q]}" "$WORK/lvzhi-$q.out" >"$WORK/lvzhi-$q.canon" \
      || die "lvzhi $q: cannot normalize the answer"
    jq -S -c -L "$BENCH_DIR" "include \"normalize\"; ${NORM_PGX[$q]}" "$WORK/postgraphile-$q.out" >"$WORK/postgraphile-$q.canon" \
      || die "PostGraphile $q: cannot normalize the answer"
    if cmp -s "$WORK/lvzhi-$q.canon" "$WORK/postgraphile-$q.canon"; then
      log "$q: lvzhi and PostGraphile return the same data ($(wc -c <"$WORK/lvzhi-$q.canon") canonical bytes)"
    else
      mkdir -p "$RESULTS_DIR"
      for s in lvzhi postgraphile; do jq -S . "$WORK/$s-$q.canon" >"$RESULTS_DIR/mismatch-$q-$s.json.tmp"; done
      diff -u "$RESULTS_DIR/mismatch-$q-lvzhi.json.tmp" "$RESULTS_DIR/mismatch-$q-postgraphile.json.tmp" | head -n 60 >&2 || true
      msg="$q: lvzhi and PostGraphile return different data (canonical forms in ${RESULTS_DIR#"$ROOT"/}/mismatch-$q-*.json.tmp)"
      [[ "$ALLOW_MISMATCH" == 1 ]] || die "$msg"
      log "$msg"
      MISMATCHES+=("- **Data mismatch** — $msg")
    fi
  fi
  for s in $(servers_of "$q"); do
    BYTES[$s,$q]="$(wc -c <"$WORK/$s-$q.out")"
    # Warm the server's caches and connections, then count over sequential requests
    # on one keep-alive connection, every response checked.
    urls=(); for _ in 1 2 3; do urls+=("${URL[$s]}"); done
    curl -sS --fail-with-body -H 'content-type: application/json' -H 'accept: application/json' \
      --data-binary @"$WORK/$s-$q.json" "${urls[@]}" >/dev/null
    urls=(); for _ in $(seq 1 "$SEQ_REQUESTS"); do urls+=("${URL[$s]}"); done
    if [[ "$s" == lvzhi ]]; then r0="$(metric lvzhi_graphql_requests_total)"; m0="$(metric lvzhi_sql_statements_total)"; fi
    mark="$(count_mark "$SQL_DB")"
    curl -sS --fail-with-body -H 'content-type: application/json' -H 'accept: application/json' \
      --data-binary @"$WORK/$s-$q.json" "${urls[@]}" >"$WORK/$s-$q.seq"
    n="$(count_since "$s" "$SQL_DB" "$mark")"
    if [[ "$s" == lvzhi ]]; then
      r1="$(metric lvzhi_graphql_requests_total)"; m1="$(metric lvzhi_sql_statements_total)"
      [[ $((r1 - r0)) == "$SEQ_REQUESTS" ]] || die "$q: /metrics counted $((r1 - r0)) requests, sent $SEQ_REQUESTS"
      SQL_METRICS[$q]="$(awk -v s=$((m1 - m0)) -v r="$SEQ_REQUESTS" 'BEGIN {printf "%.2f", s / r}')"
    fi
    bad="$(jq -s '[.[] | select(.errors != null or .data == null)] | length' "$WORK/$s-$q.seq")"
    got="$(jq -s 'length' "$WORK/$s-$q.seq")"
    [[ "$bad" == 0 && "$got" == "$SEQ_REQUESTS" ]] || die "$s $q: $bad of $got sequential responses had errors"
    SQL_SEQ[$s,$q]="$( [[ -n "$n" ]] && awk -v s="$n" -v r="$SEQ_REQUESTS" 'BEGIN {printf "%.2f", s / r}' || echo n/a)"
    extra=""
    if [[ "$s" == lvzhi ]]; then extra=" (/metrics: ${SQL_METRICS[$q]})"; fi
    log "$s $q: ${BYTES[$s,$q]} bytes, ${SQL_SEQ[$s,$q]} SQL statements per request$extra"
  done
  if [[ "$COUNT_METHOD" == log && "${SQL_SEQ[lvzhi,$q]}" != "${SQL_METRICS[$q]}" ]]; then
    NOTES+=("- $q: PostgreSQL logged ${SQL_SEQ[lvzhi,$q]} statements per lvzhi request, /metrics counted ${SQL_METRICS[$q]}.")
  fi
done
for s in lvzhi postgraphile; do
  if [[ -s "$WORK/$s-$SQL_DB.err" ]]; then
    NOTES+=("- $s wrote $(wc -l <"$WORK/$s-$SQL_DB.err") line(s) to stderr in phase 1; first: \`$(head -n1 "$WORK/$s-$SQL_DB.err" | cut -c1-200)\`")
  fi
done
stop_servers
sql "DROP DATABASE $SQL_DB WITH (FORCE)" >/dev/null # nothing is left that logs every statement

# --- phase 2: load -------------------------------------------------------------------------
log "phase 2: load on $DB"
start_lvzhi "$DB"
start_postgraphile "$DB"
LV_POOL="$(metric lvzhi_db_pool_max_connections || true)"
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
backends() { sql "select count(*) from pg_stat_activity where datname = '$DB' and application_name = 'bench_$1'"; }

LOADAVG_START="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A RPS P50 P99 ERR CPU PGSS_REQ LOAD_R LOAD_S PEAK_BACKENDS
PEAK_BACKENDS[lvzhi]=0; PEAK_BACKENDS[postgraphile]=0
for q in "${NAMES[@]}"; do
  LOAD_R[$q]=0; LOAD_S[$q]=0
  for s in $(servers_of "$q"); do
    if ((WARMUP > 0)); then wrk_run "$s" "$q" 8 "$WARMUP" >/dev/null; fi
    for c in $CONCURRENCY; do
      log "$q on $s at concurrency $c for ${DURATION}s"
      if [[ "$s" == lvzhi ]]; then r0="$(metric lvzhi_graphql_requests_total)"; m0="$(metric lvzhi_sql_statements_total)"; fi
      [[ "$PGSS" == 1 ]] && p0="$(pgss_calls "$DB")"
      t0="$(cpu_ticks "${PID[$s]}")"
      line="$(wrk_run "$s" "$q" "$c" "$DURATION")"
      t1="$(cpu_ticks "${PID[$s]}")"
      [[ -n "$line" ]] || die "wrk printed no summary"
      [[ "$PGSS" == 1 ]] && p1="$(pgss_calls "$DB")"
      if [[ "$s" == lvzhi ]]; then
        r1="$(metric lvzhi_graphql_requests_total)"; m1="$(metric lvzhi_sql_statements_total)"
        LOAD_R[$q]=$((LOAD_R[$q] + r1 - r0)); LOAD_S[$q]=$((LOAD_S[$q] + m1 - m0))
      fi
      b="$(backends "$s")"; ((b > PEAK_BACKENDS[$s])) && PEAK_BACKENDS[$s]=$b
      n="$(field requests "$line")"; us="$(field duration_us "$line")"
      transport=$(($(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field timeout "$line")))
      status="$(field status "$line")"; wrong=$(($(field gql "$line") + $(field size "$line")))
      errors=$((transport + status + wrong))
      ERR[$s,$q,$c]=$errors
      RPS[$s,$q,$c]="$(awk -v n="$n" -v us="$us" 'BEGIN {printf "%.1f", n / (us / 1e6)}')"
      CPU[$s,$q,$c]="$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN {if (n > 0) printf "%.2f", t / hz * 1000 / n; else print "n/a"}')"
      P50[$s,$q,$c]="$(awk -v v="$(field p50_us "$line")" 'BEGIN {printf "%.2f", v / 1000}')"
      P99[$s,$q,$c]="$(awk -v v="$(field p99_us "$line")" 'BEGIN {printf "%.2f", v / 1000}')"
      [[ "$PGSS" == 1 ]] && PGSS_REQ[$s,$q,$c]="$(awk -v s=$((p1 - p0)) -v r="$n" 'BEGIN {if (r > 0) printf "%.2f", s / r; else print "n/a"}')"
      ((errors == 0)) || NOTES+=("- $q on $s at $c connections: ${ERR[$s,$q,$c]} errors — $transport socket errors/timeouts, $status non-2xx, $(field gql "$line") GraphQL errors, $(field size "$line") answers of another size (\`$line\`).")
    done
  done
done

for s in lvzhi postgraphile; do kill -0 "${PID[$s]}" 2>/dev/null || die "$s died during the benchmark"; done
LOADAVG_END="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A HWM_END RSS_END
for s in lvzhi postgraphile; do
  HWM_END[$s]="$(hwm_kb "${PID[$s]}")"
  RSS_END[$s]="$(awk '/^VmRSS/ {print $2}' "/proc/${PID[$s]}/status")"
  if [[ -s "$WORK/$s-$DB.err" ]]; then
    NOTES+=("- $s wrote $(wc -l <"$WORK/$s-$DB.err") line(s) to stderr under load; first: \`$(head -n1 "$WORK/$s-$DB.err" | cut -c1-200)\`")
  fi
done

# --- report -------------------------------------------------------------------------------
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "$ROOT" status --porcelain -- src entity migration Cargo.toml Cargo.lock 2>/dev/null)" ]]; then
  COMMIT="$COMMIT (working tree has uncommitted changes under src/entity/migration/Cargo.*)"
fi
CPU="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
MEM="$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
DATE="$(date +%F)"
SUFFIX=""
if ((TOWNS > 0)); then SUFFIX="-towns-$TOWNS"; fi
OUT="$RESULTS_DIR/$DATE-vs-postgraphile$SUFFIX.md"
mkdir -p "$RESULTS_DIR"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f×", a / b; else print "n/a"}'; }
has_c() { [[ " $CONCURRENCY " == *" $1 "* ]]; }
case "$COUNT_METHOD" in
  log) METHOD_TEXT="lines \`statement:\`/\`execute …:\` the PostgreSQL log gains (log_statement = 'all' on the copy $SQL_DB only)" ;;
  pgss) METHOD_TEXT="Σ calls in pg_stat_statements for the copy $SQL_DB" ;;
  *) METHOD_TEXT="not counted (no readable PostgreSQL log, no pg_stat_statements)" ;;
esac
target() { # label measured-ok
  if [[ "$2" == yes ]]; then echo "met"; elif [[ "$2" == no ]]; then echo "**not met**"; else echo "not measured"; fi
}
target_rows() {
  local q
  for q in Bureau Page; do
    local label; [[ "$q" == Bureau ]] && label="(a) Bureau" || label="(b) Page"
    if [[ " ${NAMES[*]} " == *" $q "* ]] && has_c 32; then
      local lv="${RPS[lvzhi,$q,32]}" pg="${RPS[postgraphile,$q,32]}" p99="${P99[lvzhi,$q,32]}"
      local ok_ratio ok_p99
      ok_ratio="$(awk -v a="$lv" -v b="$pg" 'BEGIN {print (b > 0 && a >= 3 * b) ? "yes" : "no"}')"
      ok_p99="$(awk -v v="$p99" 'BEGIN {print (v <= 25) ? "yes" : "no"}')"
      echo "| $label: lvzhi ≥ 3× PostGraphile req/s at 32 connections | $lv vs $pg req/s = $(ratio "$lv" "$pg") | $(target x "$ok_ratio") |"
      echo "| $label: lvzhi p99 ≤ 25 ms at 32 connections | $p99 ms | $(target x "$ok_p99") |"
    else
      echo "| $label at 32 connections | not run (BENCH_QUERIES/BENCH_CONCURRENCY) | not measured |"
    fi
  done
  if [[ -n "${SQL_METRICS[Bureau]:-}" ]]; then
    echo "| (a) Bureau: ≤ 4 SQL statements per request (lvzhi) | ${SQL_METRICS[Bureau]} | $(target x "$(awk -v v="${SQL_METRICS[Bureau]}" 'BEGIN {print (v <= 4) ? "yes" : "no"}')") |"
  fi
  local pairs=() same=yes
  if [[ -n "${SQL_METRICS[Bureau]:-}" ]]; then
    pairs+=("Bureau $DEPT_COOPS cooperations ${SQL_METRICS[Bureau]}, $MIN_COOPS cooperation(s) ${SQL_METRICS[Bureau-min]}")
    [[ "${SQL_METRICS[Bureau]}" == "${SQL_METRICS[Bureau-min]}" ]] || same=no
  fi
  if [[ -n "${SQL_METRICS[Page]:-}" ]]; then
    pairs+=("Page 50 duties ${SQL_METRICS[Page]}, 5 duties ${SQL_METRICS[Page-5]}")
    [[ "${SQL_METRICS[Page]}" == "${SQL_METRICS[Page-5]}" ]] || same=no
  fi
  if ((${#pairs[@]})); then
    local joined; joined="$(printf '%s; ' "${pairs[@]}")"
    echo "| SQL statements independent of result size (lvzhi) | ${joined%; } | $(target x "$same") |"
  fi
}

{
  echo "# lvzhi vs PostGraphile, $DATE$( ((TOWNS > 0)) && echo ", Wuqia + $TOWNS synthetic towns")"
  echo
  echo "- Machine: $(nproc) CPUs ($CPU), $MEM memory, $(uname -sr); servers, PostgreSQL and wrk share it; load average (1/5/15 min) $LOADAVG_START when the load runs started, $LOADAVG_END when they ended"
  echo "- PostgreSQL: $PG_VERSION (127.0.0.1)"
  echo "- Data: $DATASET (BENCH_TOWNS=$TOWNS${SEED:+, BENCH_SEED=$SEED})"
  echo "- lvzhi: commit $COMMIT, release build, LVZHI_ENV=production, pool $LV_POOL connections"
  echo "- PostGraphile $PGX_VERSION (Node $(node --version), NODE_ENV=production, one process), pg-simplify-inflector $PGX_INFLECTOR_VERSION, options \`${PGX_OPTIONS[*]}\`"
  echo "- Database connections seen under load (pg_stat_activity after each run, peak): lvzhi ${PEAK_BACKENDS[lvzhi]}, PostGraphile ${PEAK_BACKENDS[postgraphile]}"
  echo "- Load: $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), threads = min(connections, 2), ${DURATION} s per run after a ${WARMUP} s warm-up per server and query, client on the same machine"
  echo "- Peak RSS (VmHWM): lvzhi $(mib "${HWM_START[lvzhi]}") after start-up, $(mib "${HWM_END[lvzhi]}") at the end (RSS $(mib "${RSS_END[lvzhi]}")); PostGraphile (node) $(mib "${HWM_START[postgraphile]}") after start-up, $(mib "${HWM_END[postgraphile]}") at the end (RSS $(mib "${RSS_END[postgraphile]}"))"
  echo "- Questions: Bureau = $DEPT, $DEPT_COOPS cooperations; Page = 50 duties of the Wuqia list; Duty = the Wuqia duty with the most items, $DUTY_DESC"
  echo "- Same data: every answer compared after normalization (bench/normalize.jq)$( ((${#MISMATCHES[@]})) && echo " — **MISMATCHES, see below**" || echo ": identical")"
  echo
  echo "## Throughput and latency"
  echo
  echo "*CPU ms/req*: the server process's CPU time (all threads, /proc/PID/stat) during the run per completed request — PostgreSQL's work is not in it; it is less sensitive than req/s to other load on the machine."
  echo
  if [[ "$PGSS" == 1 ]]; then
    echo "| Query | Conns | lvzhi req/s | p50 ms | p99 ms | errors | CPU ms/req | SQL/req | PostGraphile req/s | p50 ms | p99 ms | errors | CPU ms/req | SQL/req | lvzhi / PostGraphile |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  else
    echo "| Query | Conns | lvzhi req/s | p50 ms | p99 ms | errors | CPU ms/req | PostGraphile req/s | p50 ms | p99 ms | errors | CPU ms/req | lvzhi / PostGraphile |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  fi
  for q in "${NAMES[@]}"; do
    for c in $CONCURRENCY; do
      lv="| ${RPS[lvzhi,$q,$c]} | ${P50[lvzhi,$q,$c]} | ${P99[lvzhi,$q,$c]} | ${ERR[lvzhi,$q,$c]} | ${CPU[lvzhi,$q,$c]}"
      [[ "$PGSS" == 1 ]] && lv="$lv | ${PGSS_REQ[lvzhi,$q,$c]}"
      if [[ -n "${Q_PGX[$q]:-}" ]]; then
        pg="| ${RPS[postgraphile,$q,$c]} | ${P50[postgraphile,$q,$c]} | ${P99[postgraphile,$q,$c]} | ${ERR[postgraphile,$q,$c]} | ${CPU[postgraphile,$q,$c]}"
        [[ "$PGSS" == 1 ]] && pg="$pg | ${PGSS_REQ[postgraphile,$q,$c]}"
        r="$(ratio "${RPS[lvzhi,$q,$c]}" "${RPS[postgraphile,$q,$c]}")"
      else
        pg="| n/a | n/a | n/a | n/a | n/a"; [[ "$PGSS" == 1 ]] && pg="$pg | n/a"
        r="n/a"
      fi
      echo "| $q | $c $lv $pg | $r |"
    done
  done
  echo
  echo "## SQL statements per request"
  echo
  echo "Counted over $SEQ_REQUESTS sequential requests after 3 unrecorded ones; *PostgreSQL* = $METHOD_TEXT; *lvzhi /metrics* = Δlvzhi_sql_statements_total / Δlvzhi_graphql_requests_total; *under load* = the same over all of lvzhi's load runs of the query."
  echo "Bureau-min (the department with the fewest cooperations, $MIN_COOPS) and Page-5 (first: 5) ask the same as Bureau and Page for a smaller answer."
  echo
  echo "| Query | lvzhi /metrics | lvzhi PostgreSQL | lvzhi under load | PostGraphile PostgreSQL | response bytes lvzhi / PostGraphile |"
  echo "|---|---:|---:|---:|---:|---:|"
  for q in "${SEQ_NAMES[@]}"; do
    under="$(awk -v s="${LOAD_S[$q]:-0}" -v r="${LOAD_R[$q]:-0}" 'BEGIN {if (r > 0) printf "%.2f", s / r; else print "–"}')"
    if [[ -n "${Q_PGX[$q]:-}" ]]; then pgx="${SQL_SEQ[postgraphile,$q]}"; pgb="${BYTES[postgraphile,$q]}"; else pgx="n/a"; pgb="n/a"; fi
    echo "| $q | ${SQL_METRICS[$q]} | ${SQL_SEQ[lvzhi,$q]} | $under | $pgx | ${BYTES[lvzhi,$q]} / $pgb |"
  done
  echo
  echo "## Targets (issue 6)"
  echo
  echo "| Target | Measured | |"
  echo "|---|---|---|"
  target_rows
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
    [[ -n "${Q_PGX[$q]:-}" ]] && echo "- $q, PostGraphile: \`${Q_PGX[$q]}\`"
  done
  echo
  echo "Reproduce: \`CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target} BENCH_DURATION=$DURATION BENCH_WARMUP=$WARMUP BENCH_TOWNS=$TOWNS${SEED:+ BENCH_SEED=$SEED}$( [[ "$PGSS" == 1 ]] && echo " BENCH_PG_STAT_STATEMENTS=1") bench/run.sh\`"
} >"$OUT"

cat "$OUT"
log "wrote ${OUT#"$ROOT"/}"
