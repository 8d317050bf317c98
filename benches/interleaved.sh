#!/usr/bin/env bash
# Runs one ringaio-bench command with each of several binaries in turn (say, the default
# release build and the release-lto one), RUNS times, binaries alternating; then prints, per
# binary and engine, the median and range over all rounds of the engine's IOPS over the first
# engine's IOPS in the same round (the two ran back to back), the median IOPS, and the same
# for CPU: the first engine's process CPU time per op over this engine's ("CPU vs first",
# higher is cheaper), and the median CPU time per op. On a loaded machine the CPU ratio is
# the steadier of the two.
#
#   benches/interleaved.sh RUNS BIN [BIN...] -- ringaio-bench arguments (without --json)
#   benches/interleaved.sh 3 target/release/ringaio-bench target/release-lto/ringaio-bench \
#       -- --rw openread --engine std,ringaio,uring --runtime 0.5 --rounds 5
set -euo pipefail
runs=${1:?runs}
shift
bins=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    bins+=("$1")
    shift
done
[ "${1:-}" = -- ] || { echo "usage: $0 RUNS BIN... -- ARGS..." >&2; exit 2; }
shift
out=$(mktemp -d /tmp/ringaio-interleaved.XXXXXX)
trap 'rm -rf "$out"' EXIT
for run in $(seq "$runs"); do
    for i in "${!bins[@]}"; do
        "${bins[$i]}" "$@" --json > "$out/$i-$run.json" 2> "$out/$i-$run.err" ||
            { cat "$out/$i-$run.err" >&2; exit 1; }
    done
done
fmt='%-11s %-20s %9s %12s %9s %9s %12s %9s %6s\n'
printf "$fmt" build engine "vs first" range IOPS "CPU vs" range "CPU/op us" rounds

for i in "${!bins[@]}"; do
    label=$(basename "$(dirname "${bins[$i]}")")
    jq -rs --arg build "$label" '
        def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                           else (.[length / 2 - 1] + .[length / 2]) / 2 end;
        (map(.engines) ) as $runs
        | $runs[0] | map(.engine) as $names
        | range(0; $names | length) as $e
        | [ $runs[] | . as $r | range(0; $r[$e].round_iops | length)
            | $r[$e].round_iops[.] / $r[0].round_iops[.] ] as $ratios
        | [ $runs[] | .[$e].round_iops[] ] as $iops
        | [ $runs[] | . as $r | range(0; $r[$e].round_cpu_ns_per_op | length)
            | $r[0].round_cpu_ns_per_op[.] / $r[$e].round_cpu_ns_per_op[.] ] as $cpu
        | [ $runs[] | .[$e].round_cpu_ns_per_op[] ] as $cpuop
        | def r2: . * 100 | round / 100;
          "\($build)\t\($names[$e])\t\($ratios | median | r2)x\t\($ratios | min | r2)-\($ratios | max | r2)\t\($iops | median | round)\t\($cpu | median | r2)x\t\($cpu | min | r2)-\($cpu | max | r2)\t\($cpuop | median / 1000 | r2)\t\($ratios | length)"
    ' "$out"/"$i"-*.json | awk -F'\t' -v fmt="$fmt" '{ printf fmt, $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
done
