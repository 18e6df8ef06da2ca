#!/usr/bin/env bash
# Seeds every fuzz target's corpus (fuzz/corpus/<target>/) from the committed fixtures (fixtures/**/*),
# including the crash inputs kept under fixtures/regression/. Idempotent: files are named by content hash,
# so re-running adds only new inputs and never removes what the fuzzer found.
#
# Besides each fixture file as is, every NDJSON fixture also gives
#   - one seed per line (a single resource, the shape read_fhir_json expects), and
#   - a collection Bundle holding all its lines (the other shape read_fhir_json expects),
# so the JSON-document targets start from valid documents rather than from NDJSON they reject at once.
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../fixtures
max_seed_bytes=$((256 * 1024)) # larger seeds slow every execution; the fuzzer grows inputs itself

targets=()
for f in fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done

add_seed() { # add_seed <file>: copies the file into every corpus under its content hash
  local file="$1" size hash
  size=$(wc -c < "$file")
  if (( size == 0 || size > max_seed_bytes )); then return 0; fi
  hash=$(sha1sum "$file" | cut -c1-40)
  for t in "${targets[@]}"; do
    [[ -e "corpus/$t/$hash" ]] || cp "$file" "corpus/$t/$hash"
  done
}

for t in "${targets[@]}"; do mkdir -p "corpus/$t"; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count=0
while IFS= read -r -d '' file; do
  add_seed "$file"
  count=$((count + 1))
  case "$file" in
    *.ndjson | *.jsonl)
      i=0
      while IFS= read -r line; do
        [[ -z "${line// /}" ]] && continue
        printf '%s' "$line" > "$work/line"
        add_seed "$work/line"
        i=$((i + 1))
      done < "$file"
      awk 'BEGIN { printf "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[" }
           NF { if (n++) printf ","; printf "{\"resource\":%s}", $0 }
           END { print "]}" }' "$file" > "$work/bundle"
      add_seed "$work/bundle"
      ;;
  esac
done < <(find "$fixtures" -type f ! -name '*.md' ! -name 'README*' -print0 | sort -z)

# A Takeout-shaped zip of the Takeout fixtures, so the zip targets start from a real archive layout
# (no zip fixture is committed). Needs the `zip` command; skipped without it.
if command -v zip >/dev/null 2>&1; then
  mkdir -p "$work/takeout/Takeout/Fit/All Data" "$work/takeout/Takeout/Fitbit/Global Export Data"
  cp "$fixtures"/takeout/google_fit*.json "$work/takeout/Takeout/Fit/All Data/"
  find "$fixtures/takeout" -name '*-20*.json' -exec cp {} "$work/takeout/Takeout/Fitbit/Global Export Data/" \;
  (cd "$work/takeout" && TZ=UTC find Takeout -exec touch -t 201904250000 {} + && zip -qrX ../takeout.zip Takeout)
  add_seed "$work/takeout.zip"
fi

for t in "${targets[@]}"; do
  echo "corpus/$t: $(find "corpus/$t" -type f ! -name .keep | wc -l) inputs (from $count fixture files)"
done
