#!/usr/bin/env bash
# Builds the host library, checks the committed bindings are current, and runs the Kotlin JVM tests.
#
#   bindings-kotlin/test.sh
#
# Needs cargo, a JDK 17+ and Maven; on a clean Debian CI machine (as root) it installs Maven and a JDK
# with apt-get when they are missing. Maven downloads Kotlin, JNA and JUnit from Maven Central on the
# first run. Respects CARGO_TARGET_DIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

if ! command -v mvn >/dev/null || ! command -v javac >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    apt-get update -q && apt-get install -y -q maven default-jdk-headless
  else
    echo "test.sh needs Maven and a JDK 17+ (mvn, javac)" >&2
    exit 2
  fi
fi

# Builds libphrkit_ffi (dev profile) and the generator once, regenerates into a temp dir, fails on drift.
"$root/bindings-ffi/check-generated.sh"

cd "$here"
# Extra arguments go to Maven (e.g. -Dmaven.repo.local=DIR).
mvn -B -ntp test -Dcargo.target.dir="$target_dir" "$@"

# The Health Connect adapter against hand-written stand-ins of androidx.health.connect (no Android SDK
# here): proves it fits the generated API and converts as intended, not that it fits the real library.
mvn -B -ntp -f android/stub-check/pom.xml test -Dcargo.target.dir="$target_dir" "$@"
