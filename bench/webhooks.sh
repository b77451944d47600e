#!/usr/bin/env bash
# Webhook delivery on PostgreSQL: latency from an event's commit to its
# arrival at each of BENCH_RECEIVERS receivers, and the API's cache-off Bureau
# throughput (wrk) alone, with requests being submitted, and with those
# requests' events being delivered to the receivers. See bench/webhooks.py.
#
# Environment (all optional): BENCH_RECEIVERS BENCH_EVENTS BENCH_PACE_MS
# BENCH_RATE BENCH_SECONDS BENCH_CONNECTIONS (see webhooks.py);
#   BENCH_PG   PostgreSQL server URL, no database  (default postgres://postgres@127.0.0.1:5432)
#   BENCH_BIN  an lvzhi binary instead of building the release one
#   CARGO_TARGET_DIR honoured by the release build
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DB=lvzhi_bench_webhooks
die() { echo "bench: $*" >&2; exit 1; }
command -v python3 >/dev/null || die "needs python3"
command -v wrk >/dev/null || die "needs wrk (apt-get install wrk)"

if [[ -n "${BENCH_BIN:-}" ]]; then
  BIN="$BENCH_BIN"
else
  cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --bin lvzhi
  BIN="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/lvzhi"
fi
WORK="$(mktemp -d /tmp/lvzhi-webhooks.XXXXXX)"
SERVER=""
cleanup() { [[ -n "$SERVER" ]] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
export LVZHI_LOG=warn DATABASE_URL="$PG/$DB"

psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
"$BIN" import "$ROOT/seeds/wuqia-town-duty-list-2025-07.txt" >/dev/null
ADMIN="$("$BIN" token create --name bench-admin --role admin 2>/dev/null)"
APPLICANT="$("$BIN" token create --name bench-applicant --role applicant --county 乌恰县 --town 乌恰镇 2>/dev/null)"
LVZHI_BIND=127.0.0.1:0 LVZHI_RESPONSE_CACHE_BYTES=0 LVZHI_WEBHOOK_ALLOW_PRIVATE=true \
  "$BIN" serve >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
for _ in $(seq 1 100); do grep -q "http://" "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
ADDRESS="$(sed -n 's#.*http://\([^/]*\)/graphql.*#\1#p' "$WORK/serve.out" | head -1)"
[[ -n "$ADDRESS" ]] || die "lvzhi serve did not start: $(cat "$WORK/serve.err")"

# Bureau as bench/run.sh asks it: the department with the most cooperations.
DEPT="$(curl -s "http://$ADDRESS/graphql" -H 'content-type: application/json' \
  -d '{"query":"{ departments(orderBy: COOPERATION_COUNT) { id } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["departments"][0]["id"])')"
python3 - "$DEPT" >"$WORK/bureau.json" <<'PY'
import json, sys
q = ('query Bureau { department(id: "%s") { id name aliases cooperationCount reclaimedCount '
     'cooperations { duty { id seq name category { name } } departmentItems { section text } '
     'townItems { section text } partners { name } } reclaimedDuties { seq name workingMethod } } }') % sys.argv[1]
print(json.dumps({"query": q}))
PY

echo "## Webhooks on PostgreSQL — $(date -u +%Y-%m-%d), commit $(git -C "$ROOT" rev-parse --short HEAD)"
echo
BENCH_LVZHI_PID="$SERVER" python3 "$ROOT/bench/webhooks.py" "$ADDRESS" "$ADMIN" "$APPLICANT" "$WORK/bureau.json"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
