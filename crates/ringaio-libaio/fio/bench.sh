#!/usr/bin/env bash
# fio's libaio engine on the shim against fio's libaio engine on the kernel: the same job,
# rounds interleaved (kernel, shim, uring, kernel, shim, uring, ...), median IOPS of each,
# their ratio shim/kernel, and the median of the per-round ratios. "uring" is fio's own
# io_uring engine on the same job, for reference: what io_uring itself gets here.
#   randread-direct:        O_DIRECT 4 KiB random reads, iodepth 32
#   randread-buffered-cold: buffered 4 KiB random reads, iodepth 32, page cache dropped
#                           before every run (echo 3 > /proc/sys/vm/drop_caches: needs root)
# Writes a scratch file under /tmp (SIZE, default 2g) and removes it at the end.
# MODES="1" runs only O_DIRECT ("0" only buffered). BEFORE=path/to/libringaio_libaio.so
# (an older build of the shim) adds it to each round as "before", right after the kernel.
# EXTRA="--userspace_reap=1 --iodepth_batch_complete_min=0" adds fio options (libaio-only
# options leave out fio's io_uring engine: LIBS="kernel shim" names the engines to run).
#
#   sudo crates/ringaio-libaio/fio/bench.sh                 # ROUNDS=5 RUNTIME=10 SIZE=2g
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"
rounds="${ROUNDS:-5}"
modes="${MODES:-1 0}"
before="${BEFORE:-}"
libs="kernel shim uring"
[ -n "$before" ] && libs="kernel before shim uring"
libs="${LIBS:-$libs}"
[ -n "$before" ] && [ -n "${LIBS:-}" ] && libs="${libs/kernel/kernel before}"
read -r -a extra <<<"${EXTRA:-}"
runtime="${RUNTIME:-10}"
size="${SIZE:-2g}"

if [ ! -w /proc/sys/vm/drop_caches ]; then
    echo "bench.sh drops the page cache before each buffered run: run it as root" >&2
    exit 1
fi
cargo build -q --release -p ringaio-libaio
scratch="$(mktemp -d /tmp/ringaio-fio-bench.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/lib"
cp "${CARGO_TARGET_DIR:-$root/target}/release/libringaio_libaio.so" "$scratch/lib/libaio.so.1"
if [ -n "$before" ]; then
    mkdir -p "$scratch/before-lib"
    cp "$before" "$scratch/before-lib/libaio.so.1"
fi
file="$scratch/bench.data"
fio --name=fill --filename="$file" --size="$size" --bs=1m --rw=write --ioengine=psync \
    --end_fsync=1 --output=/dev/null

# run <engine: kernel|shim|uring> <direct: 0|1> -> read IOPS
run() {
    local lib="$1" direct="$2" env=() engine=libaio
    if [ "$lib" = shim ]; then env=(LD_LIBRARY_PATH="$scratch/lib"); fi
    if [ "$lib" = before ]; then env=(LD_LIBRARY_PATH="$scratch/before-lib"); fi
    if [ "$lib" = uring ]; then engine=io_uring; fi
    if [ "$direct" = 0 ]; then
        sync
        echo 3 >/proc/sys/vm/drop_caches
    fi
    env "${env[@]}" fio --name=bench --filename="$file" --size="$size" --bs=4k \
        --rw=randread --ioengine="$engine" --iodepth=32 --direct="$direct" \
        --time_based --runtime="$runtime" --norandommap --randrepeat=0 "${extra[@]}" \
        --output-format=terse --terse-version=3 | awk -F';' '{print $8}'
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  kernel: $(uname -r)  fio: $(fio --version)  cpus: $(nproc)"
echo "rounds=$rounds runtime=${runtime}s size=$size"
for direct in $modes; do
    name=$([ "$direct" = 1 ] && echo randread-direct || echo randread-buffered-cold)
    for lib in $libs; do : >"$scratch/$lib"; done
    for r in $(seq "$rounds"); do
        for lib in $libs; do
            iops="$(run "$lib" "$direct")"
            echo "$iops" >>"$scratch/$lib"
            echo "$name round $r $lib: $iops IOPS"
        done
    done
    k="$(median <"$scratch/kernel")"
    s="$(median <"$scratch/shim")"
    u="$(median <"$scratch/uring" 2>/dev/null || true)"
    echo "$name median: kernel $k IOPS, shim $s IOPS, shim/kernel $(awk -v s="$s" -v k="$k" 'BEGIN {printf "%.2f", s/k}')x (fio io_uring engine: $u IOPS)"
    # The rounds pair up (shim right after kernel, same conditions): their ratios' median.
    paired="$(paste "$scratch/shim" "$scratch/kernel" | awk '{printf "%.4f\n", $1/$2}' | median)"
    echo "$name median of per-round shim/kernel: $(awk -v r="$paired" 'BEGIN {printf "%.2f", r}')x"
    if [ -n "$before" ]; then
        b="$(median <"$scratch/before")"
        paired="$(paste "$scratch/before" "$scratch/kernel" | awk '{printf "%.4f\n", $1/$2}' | median)"
        echo "$name before: median $b IOPS, before/kernel $(awk -v s="$b" -v k="$k" 'BEGIN {printf "%.2f", s/k}')x, median of per-round before/kernel $(awk -v r="$paired" 'BEGIN {printf "%.2f", r}')x"
    fi
done
