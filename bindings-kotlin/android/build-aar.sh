#!/usr/bin/env bash
# Builds the phrkit Android library (AAR) for arm64-v8a, armeabi-v7a, x86_64 and x86.
#
# Needs: the Android SDK + NDK (ANDROID_HOME / ANDROID_NDK_HOME), cargo-ndk (`cargo install cargo-ndk`),
# the four Rust targets, and Gradle 8.9+ on PATH. None of these exist on this repository's CI machine, so
# this script has never been run there (see README.md).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android

# Generated Kotlin must match the library that goes into the AAR.
"$root/bindings-ffi/check-generated.sh"

# cargo-ndk writes <jniLibs>/<abi>/libphrkit_ffi.so; --platform matches minSdk in build.gradle.kts.
cd "$root"
cargo ndk --platform 26 \
  -t arm64-v8a -t armeabi-v7a -t x86_64 -t x86 \
  -o "$here/src/main/jniLibs" \
  build -p phrkit-ffi --lib --profile mobile

cd "$here"
gradle --no-daemon assembleRelease
ls -l build/outputs/aar/
