#!/usr/bin/env bash
# Refresh the GraphiQL page's browser files in assets/graphiql/vendor/ from the
# npm registry: the pinned versions below (or GRAPHIQL_VERSION / REACT_VERSION),
# production builds only, each package's licence, and VERSIONS (package@version
# and SHA-256 of every file, plus each tarball's npm integrity). The files are
# committed and embedded in the binary, so GraphiQL works without internet.
#
# Why these builds: GraphiQL 4.1.2 is the newest release with a browser-ready
# (UMD), minified production bundle — GraphiQL 5 ships ES modules for bundlers
# only, and 3.0–3.8's graphiql.min.js is a 3.5 MB development build. React
# 18.3.1 is the last React with UMD production builds (React 19 has none).
#
# Usage: bash scripts/refresh-graphiql.sh   (needs npm; runs from any directory)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

graphiql="graphiql@${GRAPHIQL_VERSION:-4.1.2}"
react="react@${REACT_VERSION:-18.3.1}"
react_dom="react-dom@${REACT_VERSION:-18.3.1}"
out=assets/graphiql/vendor

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# npm pack checks each tarball against the integrity the registry publishes.
(cd "$tmp" && npm pack --silent --json "$graphiql" "$react" "$react_dom" >packed.json)
for spec in "$graphiql" "$react" "$react_dom"; do
  name="${spec%@*}"
  mkdir -p "$tmp/$name"
  tar -xzf "$tmp/$name-${spec##*@}.tgz" -C "$tmp/$name"
done

# source (in the tarball) → name in $out, with the package it comes from.
files=(
  "$graphiql package/graphiql.min.js graphiql.min.js"
  "$graphiql package/graphiql.min.css graphiql.min.css"
  "$graphiql package/LICENSE LICENSE.graphiql"
  "$react package/umd/react.production.min.js react.production.min.js"
  "$react package/LICENSE LICENSE.react"
  "$react_dom package/umd/react-dom.production.min.js react-dom.production.min.js"
  "$react_dom package/LICENSE LICENSE.react-dom"
)

rm -rf "$out"
mkdir -p "$out"
{
  echo "# GraphiQL's browser files, from the npm registry. Written by"
  echo "# scripts/refresh-graphiql.sh: do not edit; a test checks every checksum."
  echo "#"
  echo "# package@version  file  sha256"
  for entry in "${files[@]}"; do
    read -r spec source name <<<"$entry"
    cp "$tmp/${spec%@*}/$source" "$out/$name"
    echo "$spec  $name  $(sha256sum "$out/$name" | cut -d' ' -f1)"
  done
  echo "#"
  echo "# npm tarball integrity (compare: npm view PACKAGE@VERSION dist.integrity)"
  node -e '
    for (const p of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")))
      console.log(`# ${p.name}@${p.version}  ${p.integrity}`);
  ' "$tmp/packed.json"
} >"$out/VERSIONS"

echo "refreshed $out:"
grep -v '^#' "$out/VERSIONS"
