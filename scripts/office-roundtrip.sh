#!/usr/bin/env bash
# A Word document and a workbook written by LibreOffice (another hand than lvzhi's
# test generators) from a list in the text layout must import to exactly the same
# list: this converts the list with LibreOffice, imports the text, the .docx and the
# .xlsx each into a fresh SQLite database, exports each as CSV and compares them.
#
# Usage: bash scripts/office-roundtrip.sh [LIST.txt] [OUT_DIR]
#   LIST.txt  default seeds/wuqia-town-duty-list-2025-07.txt
#   OUT_DIR   where the files are left (default: a temporary directory, removed)
# Environment: LVZHI (the binary; default: built with cargo), LVZHI_DEPARTMENTS.
# Installs LibreOffice (writer and calc, no GUI) from Debian's packages if missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIST="${1:-$ROOT/seeds/wuqia-town-duty-list-2025-07.txt}"
OUT="${2:-}"
die() { echo "office-roundtrip: $*" >&2; exit 1; }
log() { echo "office-roundtrip: $*" >&2; }

if ! command -v soffice >/dev/null; then
  log "installing LibreOffice (writer, calc)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    libreoffice-writer-nogui libreoffice-calc-nogui python3 >/dev/null
fi
if [[ -z "${LVZHI:-}" ]]; then
  cargo build --quiet --manifest-path "$ROOT/Cargo.toml" --bin lvzhi
  LVZHI="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/lvzhi"
fi
if [[ -z "$OUT" ]]; then
  OUT="$(mktemp -d /tmp/lvzhi-office.XXXXXX)"
  trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"

python3 "$ROOT/scripts/office-files.py" "$LIST" "$OUT/list.html"
# A fresh profile, so a LibreOffice already running (or its first-start dialog) is not in the way.
profile="file://$OUT/lo-profile"
( cd "$OUT" \
  && soffice -env:UserInstallation="$profile" --headless --convert-to 'docx:MS Word 2007 XML' list.html >/dev/null 2>&1 \
  && soffice -env:UserInstallation="$profile" --headless --infilter='HTML (StarCalc)' --convert-to xlsx list.html >/dev/null 2>&1 )
[[ -s "$OUT/list.docx" && -s "$OUT/list.xlsx" ]] || die "LibreOffice wrote no list.docx or list.xlsx"
cp "$LIST" "$OUT/list.txt"

for format in txt docx xlsx; do
  db="sqlite://$OUT/$format.db?mode=rwc"
  rm -f "$OUT/$format.db"
  DATABASE_URL="$db" LVZHI_LOG=warn "$LVZHI" import "$OUT/list.$format" >"$OUT/$format.log" 2>&1 \
    || { cat "$OUT/$format.log" >&2; die "list.$format does not import"; }
  DATABASE_URL="$db" LVZHI_LOG=warn "$LVZHI" export "$OUT/$format.csv" >/dev/null 2>&1
  log "list.$format: $(tail -n 1 "$OUT/$format.log")"
done
for format in docx xlsx; do
  if ! cmp -s "$OUT/txt.csv" "$OUT/$format.csv"; then
    diff <(tr -d '\r' <"$OUT/txt.csv") <(tr -d '\r' <"$OUT/$format.csv") | head -40 >&2
    die "the list imported from list.$format differs from the text document's"
  fi
done
log "the .docx and the .xlsx import to exactly the list of the text document (compared as exported CSV)"
