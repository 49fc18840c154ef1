#!/usr/bin/env bash
# Instructions per 50-scene quote, counted exactly by valgrind's callgrind
# over the pricing bench (`cargo bench --bench pricing -- quote_v2`): the
# figure for A/B comparisons of pricing on a machine whose speed drifts
# (the quote's time there moved from 30 to 50 µs within minutes; the count
# does not move). It builds the bench (release profile), runs the compact
# 50-scene quote under callgrind with collection on only inside
# `quote_with_facts`, and prints instructions per quote and the top
# functions.
#
# Usage: bench/quote-instructions.sh   (needs valgrind, python3)
# Knobs: QIR_SECONDS=1 (how long criterion runs the quote under callgrind),
#        QIR_OUT=file (keep the callgrind report)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "quote-instructions.sh: $*" >&2; exit 1; }
for tool in valgrind callgrind_annotate python3; do
    command -v "$tool" >/dev/null || die "no $tool: apt-get install -y valgrind python3"
done
SECONDS_RUN=${QIR_SECONDS:-1}
[[ $SECONDS_RUN =~ ^[1-9][0-9]*$ ]] || die "QIR_SECONDS must be a whole number of seconds >= 1, not '$SECONDS_RUN'"

cd "$ROOT"
# The bench binary cargo just built: its path is the one executable line
# of cargo's JSON messages for the `pricing` bench target.
BIN=$(cargo bench --bench pricing --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "pricing" and m.get("executable"):
        print(m["executable"])')
[[ -x $BIN ]] || die "could not build the pricing bench (cargo bench --bench pricing --no-run)"

OUT=${QIR_OUT:-$(mktemp /tmp/quote-ir.XXXXXX)}
valgrind --tool=callgrind --callgrind-out-file="$OUT" --toggle-collect='*quote_with_facts*' \
    "$BIN" --bench --profile-time "$SECONDS_RUN" 'quote_v2_generate_50_scenes$' >/dev/null 2>&1 ||
    die "callgrind run failed"
# Quotes counted: the calls into quote_with_facts; instructions: the total
# collected (only inside it). The reports are written to files first: a
# reader that stops early would fail the pipeline under `pipefail`.
callgrind_annotate --show-percs=no "$OUT" >"$OUT.flat" 2>/dev/null
callgrind_annotate --tree=caller "$OUT" >"$OUT.tree" 2>/dev/null
CALLS=$(grep -B1 'quote_with_facts \[' "$OUT.tree" | grep -oE '\(([0-9,]+)x\)' | tr -d ',()x' | head -1 || true)
TOTAL=$(awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1; exit}' "$OUT.flat")
rm -f "$OUT.tree"
[[ -n $CALLS && -n $TOTAL && $CALLS -gt 0 ]] || die "no quotes counted in $OUT"
echo "quotes counted: $CALLS"
echo "instructions per quote: $((TOTAL / CALLS))"
echo "top functions (instructions per quote, inlined callees apart):"
grep -E '^ *[0-9][0-9,]* ' "$OUT.flat" | grep -v 'PROGRAM TOTALS' |
    awk -v c="$CALLS" 'NR <= 12 {x=$1; gsub(",","",x); $1=""; printf "%10d %s\n", x/c, $0}' | cut -c1-150
rm -f "$OUT.flat"
[[ -n ${QIR_OUT:-} ]] && echo "report: $OUT" || rm -f "$OUT"
