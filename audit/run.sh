#!/usr/bin/env bash
# GraphQL-over-HTTP compliance audit of lvzhi with graphql-http's auditServer.
# Installs the pinned npm packages, builds lvzhi, starts it on a free port with a
# throwaway SQLite database, runs audit.mjs against it, and exits with the
# audit's status (1 if any MUST audit failed). Runs from any directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
audit_dir="$PWD"
root="$(cd .. && pwd)"

npm ci --no-audit --no-fund --loglevel=error >/dev/null

(cd "$root" && cargo build --quiet)
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
bin="$target_dir/debug/lvzhi"

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
(
  cd "$tmp/work"
  DATABASE_URL="sqlite://$tmp/audit.db?mode=rwc" LVZHI_LOG=warn \
    exec "$bin" serve --bind 127.0.0.1:0 >"$tmp/stdout" 2>"$tmp/stderr"
) &
server_pid=$!

url=""
for _ in $(seq 1 1200); do # 120 s
  url="$(sed -n 's|^lvzhi serves GraphQL at \(http://[^ ]*/graphql\) .*|\1|p' "$tmp/stdout" | head -n1)"
  [[ -n "$url" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "audit: lvzhi exited before it was ready; its output:" >&2
    cat "$tmp/stdout" "$tmp/stderr" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "audit: lvzhi did not report its address within 120 s; its output:" >&2
  cat "$tmp/stdout" "$tmp/stderr" >&2
  exit 1
fi

status=0
node "$audit_dir/audit.mjs" "$url" || status=$?
if [[ -s "$tmp/stderr" ]]; then
  echo "--- lvzhi stderr ---" >&2
  cat "$tmp/stderr" >&2
fi
exit "$status"
