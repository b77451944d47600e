#!/usr/bin/env bash
# lvzhi in headless Chromium (tests/browser/run.mjs): installs the pinned npm
# packages, builds lvzhi and lvzhi-generate (or uses LVZHI_BIN, and
# LVZHI_GENERATE_BIN or the lvzhi-generate beside it), starts it on a free port over a
# throwaway SQLite database holding the Wuqia list and two synthetic towns of
# another county, waits for /readyz, runs the browser walk, and stops the
# server. Screenshots go to target/browser-artifacts/ (BROWSER_ARTIFACTS
# overrides). Exits with the walk's status. Runs from any directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here="$PWD"
root="$(cd ../.. && pwd)"

npm ci --no-audit --no-fund --loglevel=error >/dev/null

target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
if [[ -z "${LVZHI_BIN:-}" ]]; then
  (cd "$root" && cargo build --quiet --bin lvzhi --bin lvzhi-generate)
  LVZHI_BIN="$target_dir/debug/lvzhi"
fi
GENERATE_BIN="${LVZHI_GENERATE_BIN:-$(dirname "$LVZHI_BIN")/lvzhi-generate}"
artefacts="${BROWSER_ARTIFACTS:-$target_dir/browser-artifacts}"
mkdir -p "$artefacts" && rm -f "$artefacts"/*.png

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$tmp/work"
cd "$tmp/work"
export DATABASE_URL="sqlite://$tmp/browser.db?mode=rwc" LVZHI_LOG=warn
# The Wuqia list, and two towns of another county so that the list picker has
# a choice to make (their registry includes the bundled one).
"$GENERATE_BIN" --towns 2 --out "$tmp/towns" >/dev/null
LVZHI_DEPARTMENTS="$tmp/towns/departments.toml" "$LVZHI_BIN" import \
  "$root/seeds/wuqia-town-duty-list-2025-07.txt" "$tmp"/towns/*.txt >/dev/null
"$LVZHI_BIN" serve --bind 127.0.0.1:0 >"$tmp/stdout" 2>"$tmp/stderr" &
server_pid=$!

url=""
for _ in $(seq 1 1200); do # 120 s
  url="$(sed -n 's|^lvzhi serves GraphQL at \(http://[^ ]*/\)graphql .*|\1|p' "$tmp/stdout" | head -n1)"
  [[ -n "$url" ]] && curl -fsS "${url}readyz" >/dev/null 2>&1 && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "browser test: lvzhi exited before it was ready; its output:" >&2
    cat "$tmp/stdout" "$tmp/stderr" >&2
    exit 1
  fi
  url=""
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "browser test: lvzhi was not ready within 120 s; its output:" >&2
  cat "$tmp/stdout" "$tmp/stderr" >&2
  exit 1
fi

status=0
node "$here/run.mjs" "$url" "$artefacts" || status=$?
if [[ -s "$tmp/stderr" ]]; then
  echo "--- lvzhi stderr ---" >&2
  cat "$tmp/stderr" >&2
fi
exit "$status"
