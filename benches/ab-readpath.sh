#!/usr/bin/env bash
# Before/after check of ringaio's read path: two ringaio-bench binaries (say, built at two
# commits with `cargo build --release -p ringaio-benches`), run in turn on one warm file,
# each reporting ringaio against the raw io-uring loop in the same process. Prints one line
# per run: which binary, the ringaio/raw ratio, and ringaio's IOPS. RW=nop runs the NOP
# round trip (QD32) instead of the 4 KiB random reads.
#
#   benches/ab-readpath.sh /tmp/bench-before /tmp/bench-after [pairs] [file]
#   RW=nop benches/ab-readpath.sh /tmp/bench-before /tmp/bench-after [pairs]
set -euo pipefail
before=${1:?before binary}
after=${2:?after binary}
pairs=${3:-4}
file=${4:-/tmp/ringaio-bench.dat}
rw=${RW:-randread}
args=(--engine uring,ringaio --rw "$rw" --bs 4k --iodepth 32 --size 256m --file "$file")
"$after" "${args[@]}" --runtime 1 --rounds 1 >/dev/null   # creates the file if needed
args+=(--runtime 3 --rounds 3)
cat "$file" >/dev/null
for i in $(seq "$pairs"); do
    for which in before after; do
        bin=$before
        [ "$which" = after ] && bin=$after
        line=$("$bin" "${args[@]}" | grep -E '^ringaio ' | tail -1)
        echo "$which $i: $(echo "$line" | awk '{print $7, $2 " IOPS"}')"
    done
done
