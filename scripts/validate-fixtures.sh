#!/usr/bin/env bash
# Independent validation of phrkit's FHIR output: converts every fixture phrkit can read into FHIR (NDJSON,
# collection Bundle, transaction Bundle) and validates all of it with HAPI FHIR (tools/fhir-validator)
# against base R4 and, when the JP Core packages are present (../shared/fhir-packages or
# $PHRKIT_FHIR_PACKAGES), against the JP Core profiles. Zero errors is the bar; warnings are listed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
out="$CARGO_TARGET_DIR/validate"
rm -rf "$out" && mkdir -p "$out"

cargo build -q -p phrkit-cli
bin="$CARGO_TARGET_DIR/debug/phrkit"

# The golden files are phrkit output already; everything else is converted here.
cp fixtures/golden/*.ndjson "$out/"
converted=0
while IFS= read -r -d '' f; do
  name=$(echo "${f#fixtures/}" | tr '/ ' '__')
  if "$bin" convert "$f" --to fhir-json -o "$out/$name.bundle.json" 2>/dev/null; then
    "$bin" convert "$f" --to fhir-transaction -o "$out/$name.transaction.json" 2>/dev/null
    converted=$((converted + 1))
  else
    rm -f "$out/$name.bundle.json"   # not an input phrkit reads (expected outputs, hostile cases, READMEs)
  fi
done < <(find fixtures -type f ! -path 'fixtures/hostile/*' ! -path 'fixtures/golden/*' ! -path 'fixtures/regression/*' ! -name '*.md' -print0 | sort -z)
echo "validate-fixtures: $(ls "$out" | wc -l) FHIR files ($converted fixture inputs converted) in $out"

# Build the validator and run its own tests (they prove it rejects what it must).
mvn -q -B -f tools/fhir-validator/pom.xml package
# Both JP Core 1.1.2 variants (OID and url code systems) when the packages are present.
PHRKIT_JPCORE_VARIANT="${PHRKIT_JPCORE_VARIANT:-both}" scripts/validate-fhir.sh --threads 2 "$out"
