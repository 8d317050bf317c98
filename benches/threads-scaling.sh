#!/usr/bin/env bash
# Scaling across cores: each engine on 1 thread and on N threads (`--threads 1,N`), all
# interleaved round by round in one process, so every N-thread round has a 1-thread round of
# the same engine right beside it. Prints, per engine, the N-thread/1-thread IOPS ratio of
# every round pair, their median and spread, the medians of the IOPS themselves and of the
# CPU time per operation (whole process) and of the CPUs the process kept busy (CPU time over
# wall time: below N at N threads means the threads did not get N CPUs), the median ratio
# of the pairs whose N-thread round did get 0.9 N CPUs or more (on a shared machine, the
# pairs that ran while the other cores were free), and the load average before and after.
#
#   benches/threads-scaling.sh [bench binary] [N] [rounds] [extra ringaio-bench args...]
#   e.g. benches/threads-scaling.sh target/release/ringaio-bench 2 8 --engine ringaio,uring
# BENCH_FILE names the data file; RUNTIME the seconds per round (2); JSON_OUT a file to keep
# the report in; WORKLOAD replaces the default workload flags, e.g.
# WORKLOAD='--rw randread --bs 4k --iodepth 128 --size 256m --direct', or
# WORKLOAD='--rw openread' (the 8,000 small files; add --dirs N for a directory per thread)
set -euo pipefail
bin=${1:-target/release/ringaio-bench}
n=${2:-2}
rounds=${3:-8}
shift $(( $# < 3 ? $# : 3 ))
file=${BENCH_FILE:-/tmp/ringaio-bench.dat}
read -r -a workload <<< "${WORKLOAD:---rw randread --bs 4k --iodepth 32 --size 256m}"
args=("${workload[@]}" --file "$file" --runtime "${RUNTIME:-2}" --warmup 1 --rounds "$rounds"
      --threads "1,$n" "$@")
echo "before: $(uptime)"
"$bin" "${args[@]}" --json | tee "${JSON_OUT:-/dev/null}" | python3 -c '
import json, statistics, sys
report = json.load(sys.stdin)
n = sys.argv[1]
by_name = {e["engine"]: e["round_iops"] for e in report["engines"]}
cpu = {e["engine"]: statistics.median(e["round_cpu_ns_per_op"]) for e in report["engines"]}
rounds_busy = {e["engine"]: [i * c / 1e9 for i, c in
                             zip(e["round_iops"], e["round_cpu_ns_per_op"])]
               for e in report["engines"]}
busy = {name: statistics.median(b) for name, b in rounds_busy.items()}
for name, one in by_name.items():
    many_name = f"{name} x{n}"
    many = by_name.get(many_name)
    if many is None:
        continue
    ratios = sorted(m / o for m, o in zip(many, one) if o > 0)
    med = statistics.median(ratios)
    print(f"{name:>20}: x{n}/x1 median {med:.2f} (range {ratios[0]:.2f}-{ratios[-1]:.2f}, "
          f"{len(ratios)} pairs); IOPS median {statistics.median(one):.0f} -> "
          f"{statistics.median(many):.0f}; CPU/op median {cpu[name]:.0f} -> "
          f"{cpu[many_name]:.0f} ns; CPUs busy {busy[name]:.2f} -> {busy[many_name]:.2f}")
    given = sorted(m / o for m, o, b in zip(many, one, rounds_busy[many_name])
                   if o > 0 and b >= 0.9 * int(n))
    if given:
        print(" " * 22 + f"pairs whose x{n} round got >= {0.9 * int(n):.1f} CPUs: median "
              f"{statistics.median(given):.2f} (range {given[0]:.2f}-{given[-1]:.2f}, "
              f"{len(given)} pairs)")
    else:
        print(" " * 22 + f"no x{n} round got {0.9 * int(n):.1f} CPUs")
' "$n"
echo "after: $(uptime)"
