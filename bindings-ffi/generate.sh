#!/usr/bin/env bash
# Regenerates the committed Kotlin and Swift bindings from the compiled library, in one command:
#
#   bindings-ffi/generate.sh                 # writes bindings-kotlin/src/main/kotlin/… and bindings-swift/Sources/…
#   bindings-ffi/generate.sh KOTLIN_DIR SWIFT_DIR   # writes elsewhere (used by check-generated.sh)
#
# uniffi library mode: the interface is read from the metadata compiled into libphrkit_ffi, so the bindings
# always match the Rust code that was built. `--no-format` keeps the output identical on every machine
# (ktlint/swiftformat, when installed, would reformat it and make the drift check depend on the machine).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
kotlin_out="${1:-$root/bindings-kotlin/src/main/kotlin}"
swift_out="${2:-$root/bindings-swift/Sources}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$(uname -s)" in
  Darwin) lib_name="libphrkit_ffi.dylib" ;;
  *) lib_name="libphrkit_ffi.so" ;;
esac

cd "$root"
# The library and the generator, built together (the generator needs the `bindgen` feature).
cargo build --quiet -p phrkit-ffi --features bindgen --lib --bin uniffi-bindgen
bindgen="$target_dir/debug/uniffi-bindgen"
lib="$target_dir/debug/$lib_name"

# Kotlin: one file, dev/phrkit/ffi/phrkit_ffi.kt (package from bindings-ffi/uniffi.toml).
rm -f "$kotlin_out/dev/phrkit/ffi/phrkit_ffi.kt"
"$bindgen" generate --no-format --language kotlin --out-dir "$kotlin_out" "$lib" >/dev/null

# Swift: the sources go to the Phrkit target; the C header and modulemap to PhrkitFFI, from where
# bindings-swift/build-xcframework.sh copies them into the XCFramework's Headers.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bindgen" generate --no-format --language swift --out-dir "$tmp" "$lib" >/dev/null
mkdir -p "$swift_out/Phrkit" "$swift_out/PhrkitFFI"
cp "$tmp/Phrkit.swift" "$swift_out/Phrkit/Phrkit.swift"
cp "$tmp/PhrkitFFI.h" "$swift_out/PhrkitFFI/PhrkitFFI.h"
cp "$tmp/PhrkitFFI.modulemap" "$swift_out/PhrkitFFI/PhrkitFFI.modulemap"
echo "generated: $kotlin_out/dev/phrkit/ffi/phrkit_ffi.kt, $swift_out/Phrkit/Phrkit.swift, $swift_out/PhrkitFFI/"
