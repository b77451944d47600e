#!/usr/bin/env bash
# Crash drill: kill `lvzhi import` with SIGKILL in the middle of importing many
# towns, check that the database holds only whole lists (each list's duties add
# up to its preamble; nothing half-written), import again, and check that the
# result equals a clean import of the same files.
#
# Environment (all optional):
#   CRASH_TOWNS    synthetic towns to import              (default 200)
#   CRASH_ROUNDS   kills before the final, complete run   (default 3)
#   CRASH_PG       server URL, no database                (default postgres://postgres@127.0.0.1:5432)
#   CARGO_TARGET_DIR honoured by the release build
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOWNS="${CRASH_TOWNS:-200}"
ROUNDS="${CRASH_ROUNDS:-3}"
PG="${CRASH_PG:-postgres://postgres@127.0.0.1:5432}"
DB=lvzhi_crash
REF=lvzhi_crash_ref
die() { echo "crash: $*" >&2; exit 1; }
log() { echo "crash: $*" >&2; }
command -v psql >/dev/null || die "needs psql"
pg_isready -d "$PG/postgres" -q || die "PostgreSQL is not running at $PG"

cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin lvzhi --bin lvzhi-generate
BIN="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/lvzhi"
WORK="$(mktemp -d /tmp/lvzhi-crash.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

"$(dirname "$BIN")/lvzhi-generate" --towns "$TOWNS" --out "$WORK/towns" >/dev/null
export LVZHI_DEPARTMENTS="$WORK/towns/departments.toml" LVZHI_LOG=warn
files=("$WORK"/towns/*.txt)

for d in "$DB" "$REF"; do
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" -c "CREATE DATABASE $d" >/dev/null
  DATABASE_URL="$PG/$d" "$BIN" migrate >/dev/null
done

# Whole lists only: a list whose duties do not add up to its preamble was cut short.
check_whole() {
  psql "$PG/$DB" -qAt -v ON_ERROR_STOP=1 <<'SQL'
SELECT count(*) FROM duty_list l
WHERE (SELECT count(*) FROM duty d WHERE d.list_id = l.id)
   <> (SELECT coalesce(sum(duty_count), 0) FROM stated_count s WHERE s.list_id = l.id);
SQL
}
lists() { psql "$PG/$1" -qAt -c 'SELECT count(*) FROM duty_list'; }
# Content without surrogate IDs: one line per list, and row counts per table.
summary() {
  psql "$PG/$1" -qAt -v ON_ERROR_STOP=1 <<'SQL'
SELECT c.name || '/' || l.town || '/' || l.published_on || '/' || l.fingerprint
FROM duty_list l JOIN county c ON c.id = l.county_id ORDER BY 1;
SELECT t, n FROM (
  SELECT 'county' t, count(*) n FROM county UNION ALL SELECT 'department', count(*) FROM department
  UNION ALL SELECT 'department_alias', count(*) FROM department_alias UNION ALL SELECT 'category', count(*) FROM category
  UNION ALL SELECT 'duty', count(*) FROM duty UNION ALL SELECT 'duty_department', count(*) FROM duty_department
  UNION ALL SELECT 'responsibility_item', count(*) FROM responsibility_item
  UNION ALL SELECT 'item_department', count(*) FROM item_department
  UNION ALL SELECT 'search_text', count(*) FROM search_text UNION ALL SELECT 'search_gram', count(*) FROM search_gram
  UNION ALL SELECT 'search_field', count(*) FROM search_field) x ORDER BY t;
SQL
}

log "clean reference import of $TOWNS towns"
start=$(date +%s.%N)
DATABASE_URL="$PG/$REF" "$BIN" import "${files[@]}" >/dev/null
full=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
log "the full import takes ${full}s"

for round in $(seq 1 "$ROUNDS"); do
  # Kill later each round (15%, 30%, 45% … of a full import's time); lists a
  # previous round committed are skipped quickly as unchanged, so each kill
  # lands further along the files.
  at=$(awk -v f="$full" -v r="$round" 'BEGIN {printf "%.2f", f * 0.15 * r}')
  DATABASE_URL="$PG/$DB" "$BIN" import "${files[@]}" >"$WORK/out.$round" 2>&1 &
  pid=$!
  sleep "$at"
  if kill -KILL "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    cut_short=$(check_whole)
    log "round $round: killed after ${at}s with $(lists "$DB") whole lists in the database, $cut_short cut short"
    [[ "$cut_short" == 0 ]] || die "a list was half-written"
  else
    wait "$pid" || true
    log "round $round: the import finished before the kill (${at}s)"
  fi
done

log "importing again to completion"
DATABASE_URL="$PG/$DB" "$BIN" import "${files[@]}" >"$WORK/out.final"
[[ "$(check_whole)" == 0 ]] || die "a list is incomplete after the final run"
summary "$DB" >"$WORK/crashed"
summary "$REF" >"$WORK/clean"
if diff -u "$WORK/clean" "$WORK/crashed" >"$WORK/diff"; then
  echo "crash: converged — after $ROUNDS kills and a final run, $(lists "$DB") lists equal a clean import (same fingerprints, same row counts in every table)"
else
  head -n 40 "$WORK/diff" >&2
  die "the database after the kills differs from a clean import"
fi
