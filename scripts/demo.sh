#!/usr/bin/env bash
# Runs phrkit's main job on bundled synthetic sample data: inspect it, convert it to a FHIR Bundle, and
# show the first resources. Output goes to target/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
sample="${1:-fixtures/apple_health/export.xml}"
mkdir -p target/demo
cargo build -q -p phrkit-cli
bin="${CARGO_TARGET_DIR:-target}/debug/phrkit"
echo "== phrkit inspect $sample"
"$bin" inspect "$sample"
echo
echo "== phrkit convert $sample --to fhir-json -o target/demo/bundle.json"
"$bin" convert "$sample" --to fhir-json -o target/demo/bundle.json
echo
echo "== first 600 bytes of target/demo/bundle.json"
head -c 600 target/demo/bundle.json; echo " …"
