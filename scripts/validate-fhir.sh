#!/usr/bin/env bash
# Validate phrkit's FHIR output (*.json: one resource or a Bundle; *.ndjson: one resource per line)
# offline with tools/fhir-validator (HAPI FHIR, FHIR R4 4.0.1 + JP Core when its package is there).
#
# usage: scripts/validate-fhir.sh [validator options] FILE_OR_DIR...
#   validator options are passed on: --ignore-unknown-codesystems, --threads N, --show-info,
#   --package PATH.tgz (extra packages); see tools/fhir-validator/README.md
#
# environment:
#   PHRKIT_FHIR_PACKAGES    folder whose *.tgz FHIR packages are loaded (--package for each). Default:
#                           <repo>/../shared/fhir-packages when that folder exists, else base R4 only.
#   PHRKIT_JPCORE_VARIANT   which JP Core 1.1.2 variant to load; the two define the same canonical URLs
#                           and cannot be loaded together:
#                             url  (default) jp-core.r4-*-url.tgz: code systems as http URLs, as phrkit emits
#                             oid  jp-core.r4-*.tgz without -url: code systems as urn:oid
#                             both validate twice, once per variant; exit status is the worse of the two
#                             none base R4 only, even where packages are there
#   PHRKIT_FHIR_JAVA_OPTS   extra JVM options (default: none)
#
# exit status: 0 no errors, 1 validation errors, 2 usage / I/O / build problem
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tool="$repo/tools/fhir-validator"
jar="$tool/target/fhir-validator.jar"

if [[ $# -eq 0 ]]; then
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

# Build the jar when it is missing or older than its sources. On a clean machine Maven downloads
# the dependencies (about 180 MB) on this first run.
if [[ ! -f "$jar" ]] || [[ -n "$(find "$tool/pom.xml" "$tool/src/main" -newer "$jar" -print -quit)" ]]; then
  echo "validate-fhir: building $jar" >&2
  if ! mvn -q -B -f "$tool/pom.xml" package -DskipTests >&2; then
    echo "validate-fhir: build of the validator failed" >&2
    exit 2
  fi
fi

# Find the packages.
pkgdir=""
if [[ -n "${PHRKIT_FHIR_PACKAGES:-}" ]]; then
  if [[ ! -d "$PHRKIT_FHIR_PACKAGES" ]]; then
    echo "validate-fhir: PHRKIT_FHIR_PACKAGES=$PHRKIT_FHIR_PACKAGES is not a folder" >&2
    exit 2
  fi
  pkgdir="$PHRKIT_FHIR_PACKAGES"
elif [[ -d "$repo/../shared/fhir-packages" ]]; then
  pkgdir="$(cd "$repo/../shared/fhir-packages" && pwd)"
fi

variant="${PHRKIT_JPCORE_VARIANT:-url}"
case "$variant" in url|oid|both|none) ;; *)
  echo "validate-fhir: PHRKIT_JPCORE_VARIANT must be url, oid, both or none (got '$variant')" >&2; exit 2 ;;
esac

common=()   # packages that are not JP Core: always loaded
jp_url=()
jp_oid=()
if [[ -n "$pkgdir" && "$variant" != none ]]; then
  shopt -s nullglob
  for f in "$pkgdir"/*.tgz; do
    base=$(basename "$f")
    case "$base" in
      jp-core.r4-*-url.tgz) jp_url+=(--package "$f") ;;
      jp-core.r4-*.tgz)     jp_oid+=(--package "$f") ;;
      *)                    common+=(--package "$f") ;;
    esac
  done
  shopt -u nullglob
fi

# Which runs: each is a list of --package arguments.
runs=()
case "$variant" in
  url)  if [[ ${#jp_url[@]} -gt 0 ]]; then runs+=(url); elif [[ ${#jp_oid[@]} -gt 0 ]]; then
          echo "validate-fhir: no jp-core.r4-*-url.tgz in $pkgdir; using the OID variant" >&2; runs+=(oid); else runs+=(plain); fi ;;
  oid)  if [[ ${#jp_oid[@]} -gt 0 ]]; then runs+=(oid); else
          echo "validate-fhir: no OID variant jp-core.r4-*.tgz in $pkgdir" >&2; exit 2; fi ;;
  both) [[ ${#jp_url[@]} -gt 0 ]] && runs+=(url)
        [[ ${#jp_oid[@]} -gt 0 ]] && runs+=(oid)
        [[ ${#runs[@]} -eq 0 ]] && runs+=(plain) ;;
  none) runs+=(plain) ;;
esac
if [[ -z "$pkgdir" || "$variant" == none ]]; then
  echo "validate-fhir: no FHIR packages loaded: base FHIR R4 only (JP Core profiles NOT checked)" >&2
fi

worst=0
for r in "${runs[@]}"; do
  pk=("${common[@]}")
  case "$r" in url) pk+=("${jp_url[@]}") ;; oid) pk+=("${jp_oid[@]}") ;; esac
  [[ ${#runs[@]} -gt 1 ]] && echo "validate-fhir: === run with JP Core variant: $r ===" >&2
  set +e
  # shellcheck disable=SC2086
  java ${PHRKIT_FHIR_JAVA_OPTS:-} -jar "$jar" "${pk[@]}" "$@"
  rc=$?
  set -e
  if [[ $rc -gt $worst ]]; then worst=$rc; fi
done
exit "$worst"
