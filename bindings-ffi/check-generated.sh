#!/usr/bin/env bash
# Fails (exit 1) when the committed Kotlin/Swift bindings differ from what the current Rust code generates.
# Regenerates into a temporary directory and diffs; the committed files are never touched.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$here/generate.sh" "$tmp/kotlin" "$tmp/swift" >/dev/null

status=0
diff -u "$root/bindings-kotlin/src/main/kotlin/dev/phrkit/ffi/phrkit_ffi.kt" \
  "$tmp/kotlin/dev/phrkit/ffi/phrkit_ffi.kt" >"$tmp/kotlin.diff" || status=1
for f in Phrkit/Phrkit.swift PhrkitFFI/PhrkitFFI.h PhrkitFFI/PhrkitFFI.modulemap; do
  diff -u "$root/bindings-swift/Sources/$f" "$tmp/swift/$f" >>"$tmp/swift.diff" || status=1
done
if [ "$status" -ne 0 ]; then
  echo "generated bindings are out of date; run bindings-ffi/generate.sh and commit the result:" >&2
  head -n 60 "$tmp/kotlin.diff" "$tmp/swift.diff" >&2
  exit 1
fi
echo "generated bindings are up to date"
