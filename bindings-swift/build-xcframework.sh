#!/usr/bin/env bash
# Builds build/PhrkitFFI.xcframework: libphrkit_ffi.a for iOS devices (arm64), the iOS simulator
# (arm64 + x86_64, one fat library) and macOS (arm64 + x86_64, so `swift test` runs on a Mac).
#
# macOS only: needs Xcode (xcodebuild, lipo) and rustup. Never run on this repository's CI machine, which
# is Linux without a Swift toolchain (see README.md).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
profile="${PHRKIT_PROFILE:-mobile}"   # opt-level z, LTO, panic=unwind (root Cargo.toml)
out="$here/build"

if [ "$(uname -s)" != "Darwin" ]; then
  echo "build-xcframework.sh needs macOS with Xcode" >&2
  exit 2
fi

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "${targets[@]}"

# The committed Swift sources must match the library that goes into the framework.
"$root/bindings-ffi/check-generated.sh"

cd "$root"
for t in "${targets[@]}"; do
  cargo build -p phrkit-ffi --lib --profile "$profile" --target "$t"
done
lib() { echo "$target_dir/$1/$profile/libphrkit_ffi.a"; }

rm -rf "$out"
mkdir -p "$out/headers" "$out/ios-sim" "$out/macos"
cp "$here/Sources/PhrkitFFI/PhrkitFFI.h" "$out/headers/"
# Clang looks for module.modulemap inside an XCFramework's Headers.
cp "$here/Sources/PhrkitFFI/PhrkitFFI.modulemap" "$out/headers/module.modulemap"

lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$out/ios-sim/libphrkit_ffi.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$out/macos/libphrkit_ffi.a"

xcodebuild -create-xcframework \
  -library "$(lib aarch64-apple-ios)" -headers "$out/headers" \
  -library "$out/ios-sim/libphrkit_ffi.a" -headers "$out/headers" \
  -library "$out/macos/libphrkit_ffi.a" -headers "$out/headers" \
  -output "$out/PhrkitFFI.xcframework"
echo "built $out/PhrkitFFI.xcframework"
