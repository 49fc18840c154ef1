#!/usr/bin/env bash
# Fuzzes every target under fuzz/ with libFuzzer (libfuzzer-sys) on the
# stable toolchain: the coverage instrumentation cargo-fuzz would add is
# passed as ordinary codegen flags, so neither cargo-fuzz nor a nightly
# compiler is needed (no AddressSanitizer: the gateway forbids unsafe code,
# so panics, overflows and hangs are what there is to find).
#
# Usage: scripts/fuzz.sh [seconds-per-target] [target...]
#   default 300 s per target, every target. CI runs it with 20.
# Knobs (environment):
#   FUZZ_JOBS=1         parallel libFuzzer jobs per target
#   FUZZ_KEEP=1         keep fuzz/target afterwards (default: delete the
#                       build, ~1 GB, unless it existed before)
#
# Seeds live in fuzz/corpus/<target>/ (committed, small). New inputs found
# during a run go to a scratch directory, not into the repo; a crash input
# lands in fuzz/artifacts/<target>/ and the script fails. Make it a
# regression test by copying it into fuzz/corpus/<target>/ (tests/fuzz_corpus.rs
# replays every corpus file in `cargo test`) and fixing the bug.
set -euo pipefail

SECONDS_PER=${1:-300}
shift || true
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FUZZ=$ROOT/fuzz
ALL=(path quote webhook config_toml http_head upstream_answer)
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL[@]}")

TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
existed=0
[[ -d $FUZZ/target ]] && existed=1

# What `cargo fuzz build` passes, minus the nightly-only -Zsanitizer.
export RUSTFLAGS="-Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 --cfg fuzzing"
start=$(date +%s)
echo "== fuzz: building ${TARGETS[*]} (instrumented, release)"
# --target keeps the instrumentation off build scripts and proc macros.
bins=()
for t in "${TARGETS[@]}"; do bins+=(--bin "$t"); done
cargo build --locked --release --quiet --manifest-path "$FUZZ/Cargo.toml" \
    --target "$TRIPLE" "${bins[@]}"
echo "== fuzz: built in $(( $(date +%s) - start )) s"

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/hg-fuzz.XXXXXX")
cleanup() {
    rm -rf "$SCRATCH"
    if [[ $existed == 0 && -z ${FUZZ_KEEP:-} ]]; then rm -rf "$FUZZ/target"; fi
}
trap cleanup EXIT

failed=()
for t in "${TARGETS[@]}"; do
    mkdir -p "$SCRATCH/$t" "$FUZZ/artifacts/$t" "$FUZZ/corpus/$t"
    echo "== fuzz: $t for ${SECONDS_PER} s"
    # The scratch dir comes first: libFuzzer writes new inputs there and
    # only reads the committed seeds.
    if ! "$FUZZ/target/$TRIPLE/release/$t" \
        -max_total_time="$SECONDS_PER" \
        -timeout=30 -rss_limit_mb=2048 -max_len=16384 \
        -jobs="${FUZZ_JOBS:-1}" -workers="${FUZZ_JOBS:-1}" \
        -print_final_stats=1 \
        -artifact_prefix="$FUZZ/artifacts/$t/" \
        "$SCRATCH/$t" "$FUZZ/corpus/$t" >"$SCRATCH/$t.log" 2>&1; then
        tail -n 60 "$SCRATCH/$t.log" >&2
        failed+=("$t")
    else
        grep -E "^stat::number_of_executed_units|^Done|^#[0-9]+ *DONE" "$SCRATCH/$t.log" | tr '\n' ' '
        echo
    fi
done
echo "== fuzz: finished in $(( $(date +%s) - start )) s"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
