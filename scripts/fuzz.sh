#!/usr/bin/env bash
# Time-boxed fuzzing of every phrkit fuzz target (fuzz/fuzz_targets/*.rs) on stable Rust.
# Called by scripts/test.sh (suite "fuzz"); run alone with: scripts/fuzz.sh [target...]
#
#   PHRKIT_FUZZ_SECONDS    seconds per target (default 45)
#   PHRKIT_FUZZ_SANITIZER  none (default) | address — see docs/robustness.md "Fuzzing" for why
#   PHRKIT_FUZZ_MAX_LEN    largest input libFuzzer generates, bytes (default 65536)
#
# Installs cargo-fuzz from crates.io if missing, seeds the corpora from fixtures/, builds all targets once
# into fuzz/target/<sanitizer>/ (never the workspace target dir, so instrumentation flags cannot
# invalidate the normal build cache), then runs each target. Exits non-zero if any target crashed, hung
# (> 10 s on one input) or ran out of memory (> 2048 MB), printing the artifact path and how to replay it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# A fixed libFuzzer seed by default keeps CI runs reproducible (PHRKIT_FUZZ_SEED=0 picks a random one);
# long exploratory runs happen outside CI (docs/robustness.md).
seconds="${PHRKIT_FUZZ_SECONDS:-30}"
sanitizer="${PHRKIT_FUZZ_SANITIZER:-none}"
max_len="${PHRKIT_FUZZ_MAX_LEN:-65536}"
cargo_fuzz_version=0.13.2

# Our own target dir, whatever the caller exported (scripts/test.sh exports the workspace one).
export CARGO_TARGET_DIR="$root/fuzz/target/$sanitizer"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if ! cargo fuzz --version 2>/dev/null | grep -q "cargo-fuzz $cargo_fuzz_version"; then
  echo "fuzz: installing cargo-fuzz $cargo_fuzz_version from crates.io"
  # Into CARGO_HOME/bin (cached with ~/.cargo); its own target dir, not ours.
  CARGO_TARGET_DIR="$root/fuzz/target/cargo-install" \
    cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked
fi

if [[ "$sanitizer" != none ]] && ! rustc --version | grep -q nightly; then
  # cargo-fuzz passes -Zsanitizer=<name> for a sanitizer; stable rustc accepts -Z flags only with this.
  # The sanitizer runtimes ship with the stable x86_64-linux toolchain (librustc-stable_rt.asan.a).
  export RUSTC_BOOTSTRAP=1
fi

fuzz/seed.sh

if (($# > 0)); then
  targets=("$@")
else
  targets=()
  for f in fuzz/fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi

build_flags=(--sanitizer "$sanitizer" --release --debug-assertions)
echo "fuzz: building ${#targets[@]} targets (sanitizer: $sanitizer) into $CARGO_TARGET_DIR"
(cd fuzz && cargo fuzz build "${build_flags[@]}")

failed=()
for t in "${targets[@]}"; do
  artifacts="$root/fuzz/artifacts/$t"
  mkdir -p "$artifacts"
  log="$CARGO_TARGET_DIR/$t.log"
  echo "=== fuzz $t: ${seconds} s"
  marker=$(mktemp)
  set +e
  (cd fuzz && cargo fuzz run "${build_flags[@]}" "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -seed="${PHRKIT_FUZZ_SEED:-1}" -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" \
    -artifact_prefix="$artifacts/" -print_final_stats=1) >"$log" 2>&1
  rc=$?
  set -e
  grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" | sed "s/^/  $t: /" || true
  new_artifacts=$(find "$artifacts" -type f -newer "$marker" 2>/dev/null || true)
  rm -f "$marker"
  if ((rc != 0)) || [[ -n "$new_artifacts" ]]; then
    failed+=("$t")
    echo "=== fuzz $t: FAILED (exit $rc); last lines of $log:"
    grep -E 'panicked|ERROR|SUMMARY|Test unit written|deadly signal' "$log" | head -20 || tail -n 30 "$log"
    for a in $new_artifacts; do
      echo "  artifact: $a"
      echo "  replay:   (cd fuzz && cargo fuzz run ${build_flags[*]} $t $a)"
      echo "  minimise: (cd fuzz && cargo fuzz tmin ${build_flags[*]} $t $a)"
    done
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: FAILED targets: ${failed[*]} — add each minimised artifact to fixtures/regression/<target>/"
  echo "      and a fuzz_<hash8> test to core/tests/regression.rs (docs/robustness.md)"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds} s each with no crash, timeout or OOM"
