#!/usr/bin/env bash
# Latency of the approval flow's mutations (submit, review, approve, publish),
# one at a time, on PostgreSQL and on SQLite: p50/p99 per mutation over
# BENCH_CYCLES cycles, each publication making a new edition of the Wuqia list.
# Writes are rare and sequential in practice (an OA system publishing
# approved requests), so latency, not throughput, is what counts.
#
# Environment (all optional):
#   BENCH_CYCLES  submit → review → approve → publish cycles   (default 100)
#   BENCH_PG      PostgreSQL server URL, no database           (default postgres://postgres@127.0.0.1:5432)
#   BENCH_BIN     an lvzhi binary instead of building the release one
#   CARGO_TARGET_DIR honoured by the release build
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CYCLES="${BENCH_CYCLES:-100}"
PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DB=lvzhi_bench_mutations
die() { echo "bench: $*" >&2; exit 1; }
[[ "$CYCLES" =~ ^[0-9]+$ && "$CYCLES" -ge 1 && "$CYCLES" -le 5000 ]] || die "BENCH_CYCLES must be 1..5000"
command -v python3 >/dev/null || die "needs python3"

if [[ -n "${BENCH_BIN:-}" ]]; then
  BIN="$BENCH_BIN"
else
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin lvzhi
  BIN="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/lvzhi"
fi
WORK="$(mktemp -d /tmp/lvzhi-mutations.XXXXXX)"
SERVER=""
cleanup() { [[ -n "$SERVER" ]] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
export LVZHI_LOG=warn

run() { # $1: label, $2: DATABASE_URL
  local url="$2"
  export DATABASE_URL="$url"
  "$BIN" migrate >/dev/null
  local tokens=()
  for spec in "申请:applicant:--town 乌恰镇" "审核:reviewer:" "批准:approver:" "发布:publisher:"; do
    IFS=: read -r name role extra <<<"$spec"
    # shellcheck disable=SC2086
    tokens+=("$("$BIN" token create --name "$name" --role "$role" --county 乌恰县 $extra 2>/dev/null)")
  done
  LVZHI_BIND=127.0.0.1:0 "$BIN" serve >"$WORK/serve.out" 2>"$WORK/serve.err" &
  SERVER=$!
  for _ in $(seq 1 100); do grep -q "http://" "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
  local address
  address="$(sed -n 's#.*http://\([^/]*\)/graphql.*#\1#p' "$WORK/serve.out" | head -1)"
  [[ -n "$address" ]] || die "lvzhi serve did not start: $(cat "$WORK/serve.err")"
  echo "### $1"
  echo
  python3 "$ROOT/bench/mutations.py" "$address" "$CYCLES" "${tokens[@]}"
  echo
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
}

# The server seeds the Wuqia list into an empty database; tokens need its
# county, so seed it first with a short-lived server start via `import`.
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
DATABASE_URL="$PG/$DB" "$BIN" import "$ROOT/seeds/wuqia-town-duty-list-2025-07.txt" >/dev/null
run "PostgreSQL" "$PG/$DB"
DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc" "$BIN" import "$ROOT/seeds/wuqia-town-duty-list-2025-07.txt" >/dev/null
run "SQLite" "sqlite://$WORK/bench.db?mode=rwc"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
