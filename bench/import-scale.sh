#!/usr/bin/env bash
# Benchmark importing many towns' lists into PostgreSQL with the release build: for
# each N, recreate a database, generate N towns (`lvzhi-generate`), import them all
# in one `lvzhi import DIR/*.txt` (each file in its own transaction), and report
# the import time, the database size (pg_database_size) and the rows per table.
# Target: 1,000 towns in at most 60 s. Writes bench/results/YYYY-MM-DD-import-scale.md.
#
# Environment (all optional):
#   SCALE_TOWNS       town counts to run                        (default "1 100 1000")
#   SCALE_SEED        generator seed                            (default: lvzhi-generate's)
#   SCALE_DB          database to (re)create for each run       (default lvzhi_scale)
#   SCALE_PG          PostgreSQL server URL, no database        (default postgres://postgres@127.0.0.1:5432)
#   SCALE_BUDGET      seconds allowed for 1,000 towns, reported (default 60)
#   CARGO_TARGET_DIR  honoured by the release build
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
TOWNS="${SCALE_TOWNS:-1 100 1000}"
SEED="${SCALE_SEED:-}"
DB="${SCALE_DB:-lvzhi_scale}"
PG="${SCALE_PG:-postgres://postgres@127.0.0.1:5432}"
PG="${PG%/}"
BUDGET="${SCALE_BUDGET:-60}"

die() { echo "import-scale: $*" >&2; exit 1; }
log() { echo "import-scale: $*" >&2; }

[[ "$DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "SCALE_DB=$DB is not a plain identifier"
[[ -z "$SEED" || "$SEED" =~ ^[0-9]+$ ]] || die "SCALE_SEED must be a number"
[[ "$BUDGET" =~ ^[0-9]+$ ]] || die "SCALE_BUDGET must be a number of seconds"
for n in $TOWNS; do [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 && "$n" -le 9999 ]] || die "bad town count $n (1..9999)"; done

# --- tools ------------------------------------------------------------------
missing=()
command -v jq >/dev/null || missing+=(jq)
command -v psql >/dev/null || missing+=(postgresql-client)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

psql "$PG/postgres" -qAtc 'select 1' >/dev/null || die "cannot reach PostgreSQL at $PG"
PG_VERSION="$(psql "$PG/postgres" -qAtc 'select version()')"

# --- release build ------------------------------------------------------------
log "building the release binaries (CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-<default>})"
cargo build --release --manifest-path "$ROOT/Cargo.toml" --bin lvzhi --bin lvzhi-generate >&2
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | jq -r .target_directory)"
BIN="$TARGET_DIR/release/lvzhi"
GEN_BIN="$TARGET_DIR/release/lvzhi-generate"
[[ -x "$BIN" ]] || die "no binary at $BIN"
[[ -x "$GEN_BIN" ]] || die "no binary at $GEN_BIN"

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
WORK="$(mktemp -d /tmp/lvzhi-import-scale.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
q() { psql "$PG/$DB" -qAtc "$1"; }

TABLES=(county department department_alias category duty_list stated_count duty duty_department
  responsibility_item item_department search_text search_field search_gram)
SEED_ARGS=()
[[ -n "$SEED" ]] && SEED_ARGS=(--seed "$SEED")

ROWS=()
declare -A COUNT
RUNS=()
for n in $TOWNS; do
  log "N=$n: recreating database $DB"
  psql "$PG/postgres" -v ON_ERROR_STOP=1 -q \
    -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
    -c "CREATE DATABASE $DB" >/dev/null
  # Run from an empty directory so no .env is picked up.
  RUN_DIR="$WORK/run-$n"
  DATA="$WORK/towns-$n"
  mkdir -p "$RUN_DIR"
  (cd "$RUN_DIR" && env -u LVZHI_DEPARTMENTS DATABASE_URL="$PG/$DB" LVZHI_LOG=warn "$BIN" migrate >/dev/null)

  t0="$(now)"
  (cd "$RUN_DIR" && "$GEN_BIN" --towns "$n" --out "$DATA" "${SEED_ARGS[@]}" >"$WORK/generate-$n.out")
  t1="$(now)"
  GEN_S="$(secs "$t0" "$t1")"
  FILES_MB="$(du -sb "$DATA" | awk '{printf "%.1f", $1 / 1e6}')"
  COUNTIES="$(sed -n 's/.* in \([0-9]*\) counties.*/\1/p' "$WORK/generate-$n.out")"
  log "N=$n: generated $COUNTIES counties, $FILES_MB MB in ${GEN_S}s; importing"

  t0="$(now)"
  if ! (cd "$RUN_DIR" && DATABASE_URL="$PG/$DB" LVZHI_DEPARTMENTS="$DATA/departments.toml" LVZHI_LOG=warn \
    "$BIN" import "$DATA"/*.txt >"$WORK/import-$n.out" 2>"$WORK/import-$n.err"); then
    tail -n 20 "$WORK/import-$n.err" >&2
    die "N=$n: the import failed"
  fi
  t1="$(now)"
  IMPORT_S="$(secs "$t0" "$t1")"
  SUMMARY="$(tail -n 1 "$WORK/import-$n.out")"
  [[ "$SUMMARY" == "$n of $n file(s) done ($n new,"* ]] || die "N=$n: unexpected summary: $SUMMARY"
  DUTIES="$(sed -n 's/.*failed): \([0-9]*\) duties.*/\1/p' <<<"$SUMMARY")"
  # The first and the last file's store time (the import prints one per file):
  # whether writing slows down as the database grows.
  STORED="$(sed -n 's/.*stored in \([0-9]*\) ms.*/\1/p' "$WORK/import-$n.out")"
  FIRST_MS="$(head -n 1 <<<"$STORED")"
  LAST_MS="$(tail -n 1 <<<"$STORED")"
  DB_BYTES="$(q "select pg_database_size('$DB')")"
  DB_MB="$(awk -v b="$DB_BYTES" 'BEGIN {printf "%.1f", b / 1048576}')"
  for t in "${TABLES[@]}"; do COUNT[$n,$t]="$(q "select count(*) from $t")"; done
  PER_S="$(awk -v n="$n" -v s="$IMPORT_S" 'BEGIN {printf "%.1f", n / s}')"
  log "N=$n: imported in ${IMPORT_S}s ($PER_S towns/s), database $DB_MB MiB"
  ROWS+=("| $n | $COUNTIES | $DUTIES | $FILES_MB | $GEN_S | **$IMPORT_S** | $PER_S | ${FIRST_MS:-?} / ${LAST_MS:-?} | $DB_MB |")
  RUNS+=("$n")
  if [[ "$n" == 1000 ]]; then
    VERDICT="1,000 towns in ${IMPORT_S} s: $(awk -v s="$IMPORT_S" -v b="$BUDGET" 'BEGIN {print (s <= b) ? "within" : "over"}') the ${BUDGET} s target."
  fi
  rm -rf "$DATA"
done

# --- report ------------------------------------------------------------------------
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "$ROOT" status --porcelain -- src entity migration Cargo.toml Cargo.lock 2>/dev/null)" ]]; then
  COMMIT="$COMMIT (working tree has uncommitted changes under src/entity/migration/Cargo.*)"
fi
CPU="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
MEM="$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
DISK="$(df -h "$(psql "$PG/postgres" -qAtc 'show data_directory' 2>/dev/null || echo /)" 2>/dev/null | awk 'NR == 2 {print $1 " (" $2 ")"}' || true)"
DATE="$(date +%F)"
OUT_DIR="$BENCH_DIR/results"
OUT="$OUT_DIR/$DATE-import-scale.md"
mkdir -p "$OUT_DIR"

{
  echo "# lvzhi import at scale, $DATE"
  echo
  echo "- Machine: $(nproc) CPUs ($CPU), $MEM memory, $(uname -sr); load average before the runs $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg) (other work shares the machine; times vary with it)"
  echo "- PostgreSQL: $PG_VERSION (same machine, 127.0.0.1${DISK:+; data on $DISK}), default settings"
  echo "- lvzhi: commit $COMMIT, release build"
  echo "- Data: \`lvzhi-generate --towns N${SEED:+ --seed $SEED}\` (10–20 towns per county, each list a varied subset of the Wuqia list in its county's wording), imported with \`LVZHI_DEPARTMENTS=DIR/departments.toml lvzhi import DIR/*.txt\` into a new, migrated database: one process, each file in its own transaction"
  echo "- Import s: wall time of that command (reading, checking and storing every file, including connecting); Store ms: the first and the last file's store time, to show whether writes slow down as the database grows"
  echo
  echo "| Towns | Counties | Duties | Files MB | Generate s | Import s | Towns/s | Store ms first / last | DB MiB |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  if [[ -n "${VERDICT:-}" ]]; then
    echo
    echo "$VERDICT"
  fi
  echo
  echo "Rows per table after the import:"
  echo
  header="| Table |"; rule="|---|"
  for n in "${RUNS[@]}"; do header+=" N = $n |"; rule+="---:|"; done
  echo "$header"
  echo "$rule"
  for t in "${TABLES[@]}"; do
    line="| $t |"
    for n in "${RUNS[@]}"; do line+=" ${COUNT[$n,$t]} |"; done
    echo "$line"
  done
  echo
  echo "Reproduce: \`CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target} SCALE_TOWNS=\"$TOWNS\"${SEED:+ SCALE_SEED=$SEED} bash bench/import-scale.sh\`"
} >"$OUT"

cat "$OUT"
log "wrote ${OUT#"$ROOT"/}"
