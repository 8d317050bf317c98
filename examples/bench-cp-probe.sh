#!/usr/bin/env bash
# One cold-cache run of a copy command, with what the page cache did meanwhile: the peaks of
# Dirty and Writeback (/proc/meminfo, sampled every 100 ms) and the io pressure after it.
# Needs root (drop_caches). Used for the 2 GiB notes in docs/benchmarks.md, e.g.
#
#   cd /var/tmp/ringaio-cp-bench   # after examples/bench-cp.sh big made `src`
#   for r in 1 2 3; do
#       examples/bench-cp-probe.sh qd16 target/release/ringaio-cp --sparse=always src dst
#       examples/bench-cp-probe.sh qd2  target/release/ringaio-cp --sparse=always --queue-depth 2 src dst
#       examples/bench-cp-probe.sh cp   cp src dst
#   done
#
#   examples/bench-cp-probe.sh LABEL COMMAND...   (COMMAND writes `dst` in the current directory)
set -u
label=$1
shift
stop=$(mktemp -u)
peaks=$(mktemp)
rm -f dst
sync
echo 3 >/proc/sys/vm/drop_caches
(
    maxd=0 maxw=0
    while [ ! -e "$stop" ]; do
        read -r d w < <(awk '/^Dirty:/ {d = $2} /^Writeback:/ {w = $2} END {print d, w}' /proc/meminfo)
        [ "$d" -gt "$maxd" ] && maxd=$d
        [ "$w" -gt "$maxw" ] && maxw=$w
        sleep 0.1
    done
    echo "peak Dirty $((maxd / 1024)) MB, peak Writeback $((maxw / 1024)) MB" >"$peaks"
) &
start=$EPOCHREALTIME
"$@" >/dev/null
end=$EPOCHREALTIME
touch "$stop"
wait
printf '%-8s %7.3f s  %s  io %s  load %s\n' "$label" "$(echo "$end - $start" | bc -l)" \
    "$(cat "$peaks")" "$(awk '/some/ {print $2}' /proc/pressure/io)" "$(cut -d' ' -f1 /proc/loadavg)"
rm -f "$stop" "$peaks"
