#!/usr/bin/env bash
# Benchmark reading a list in each format with the release build: the Wuqia list as
# text, as a Word document and a workbook written by LibreOffice
# (scripts/office-roundtrip.sh, which also checks they import to the same list), and
# as lvzhi's own XLSX and CSV export. Each file is checked (`lvzhi import --dry-run`:
# read, parse, resolve, reconcile; no database) RUNS times; the report gives the
# median and slowest in-process check time, the median wall time of the whole command
# and its peak memory. Writes bench/results/YYYY-MM-DD-import-formats.md.
#
# Environment (all optional):
#   FORMATS_RUNS      runs per file                   (default 20)
#   CARGO_TARGET_DIR  honoured by the release build
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
RUNS="${FORMATS_RUNS:-20}"
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || { echo "FORMATS_RUNS must be a positive number" >&2; exit 1; }
log() { echo "import-formats: $*" >&2; }

command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }
[[ -x /usr/bin/time ]] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

log "building the release binary"
cargo build --release --manifest-path "$ROOT/Cargo.toml" --bin lvzhi >&2
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | jq -r .target_directory)"
BIN="$TARGET_DIR/release/lvzhi"

WORK="$(mktemp -d /tmp/lvzhi-import-formats.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
LVZHI="$BIN" bash "$ROOT/scripts/office-roundtrip.sh" "$ROOT/seeds/wuqia-town-duty-list-2025-07.txt" "$WORK" >&2
DATABASE_URL="sqlite://$WORK/txt.db?mode=rwc" LVZHI_LOG=warn "$BIN" export "$WORK/export.xlsx" >/dev/null
cp "$WORK/txt.csv" "$WORK/export.csv"

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
rows=()
for file in list.txt list.docx list.xlsx export.xlsx export.csv; do
  checks=() walls=() peak=0
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$WORK/rss" "$BIN" import --dry-run "$WORK/$file" >"$WORK/out" 2>&1
    end=$(date +%s%N)
    walls+=("$(( (end - start) / 1000 ))")
    checks+=("$(grep -o 'checked in [0-9]* ms' "$WORK/out" | grep -o '[0-9]*')")
    rss=$(tail -n 1 "$WORK/rss"); (( rss > peak )) && peak=$rss
  done
  median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  slowest() { printf '%s\n' "$@" | sort -n | tail -n 1; }
  size=$(stat -c %s "$WORK/$file")
  rows+=("| \`$file\` | $(( size / 1024 )) KiB | $(median "${checks[@]}") ms | $(slowest "${checks[@]}") ms | $(awk -v u="$(median "${walls[@]}")" 'BEGIN {printf "%.1f", u / 1000}') ms | $(( peak / 1024 )) MiB |")
  log "$file: done"
done

OUT="$BENCH_DIR/results/$(date +%F)-import-formats.md"
{
  echo "# Reading a list in each format"
  echo
  echo "- Commit: \`$(git -C "$ROOT" rev-parse --short HEAD)\`; $(nproc) cores; load before: $LOAD_BEFORE"
  echo "- The Wuqia list (172 duties), checked with \`lvzhi import --dry-run FILE\` (read, parse, resolve, reconcile; no database), $RUNS runs per file."
  echo "- \`list.docx\` and \`list.xlsx\` were written by LibreOffice $(soffice --version 2>/dev/null | awk '{print $2}') from the text (\`scripts/office-roundtrip.sh\`, which also checked that each imports to exactly the text's list); \`export.*\` are lvzhi's own export."
  echo "- *check* is the in-process time the command reports (\`checked in N ms\`, whole milliseconds); *command* is the wall time of the whole process, start-up included; *peak memory* is its maximum resident set."
  echo
  echo "| file | size | check, median | check, slowest | command, median | peak memory |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Reproduce: \`bash bench/import-formats.sh\` (FORMATS_RUNS=$RUNS)."
} >"$OUT"
log "wrote $OUT"
cat "$OUT"
