#!/usr/bin/env bash
# ringaio-cp against cp (and dd), in interleaved rounds: each round runs every command once,
# in turn, so that load from elsewhere on the machine falls on all of them alike. Needs root
# (drop_caches). Built as a user builds it: cargo build --release -p ringaio-examples.
#
#   examples/bench-cp.sh [tree|sparse|big|all] [DIR]
#
#   tree    a tree of 5,000 files of 100 B-8 KiB (50x4 directories), warm cache:
#           ringaio-cp -r against cp -r, into a new directory each run (kept until the
#           next invocation; 20 MB each)
#   sparse  a 1 GiB file holding 1 MiB of data, the rest a hole, warm cache
#   big     a 2 GiB random file, page cache dropped before every run
#           (sync; echo 3 > /proc/sys/vm/drop_caches): ringaio-cp, cp, dd bs=1M
#
# DIR holds the sources and copies (default /var/tmp/ringaio-cp-bench; `big` needs 4 GiB free).
# Environment: RUNS (rounds, default 10; 5 for big), CP_ARGS (extra ringaio-cp options),
# BASE (another ringaio-cp binary, e.g. an older build, run in each round of `tree` too),
# SETTLE (seconds `tree` waits after removing the last invocation's copies, default 61).
# Prints each run and, per command, the median, min and max wall time and the ratio of
# medians against ringaio-cp.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-all}
dir=${2:-/var/tmp/ringaio-cp-bench}
cp_args=${CP_ARGS:-}

cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p ringaio-examples --bin ringaio-cp
bin=$root/target/release/ringaio-cp
mkdir -p "$dir"

# seconds COMMAND...: runs it, prints its wall time in seconds.
seconds() {
    local start=$EPOCHREALTIME
    "$@" >/dev/null
    local end=$EPOCHREALTIME
    echo "$end - $start" | bc -l
}

# summary NAME FILE...: median/min/max of each file of times, ratio to the first's median.
summary() {
    local name=$1
    shift
    local base=""
    echo "== $name: median / min / max (s), ratio of medians to ringaio-cp's"
    for f in "$@"; do
        local sorted median
        sorted=$(sort -g "$f")
        median=$(echo "$sorted" | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
        base=${base:-$median}
        printf '  %-12s %.4f / %.4f / %.4f   x%.2f\n' "$(basename "$f" .times)" "$median" \
            "$(echo "$sorted" | head -1)" "$(echo "$sorted" | tail -1)" \
            "$(echo "$median / $base" | bc -l)"
    done
}

tree() {
    local src=$dir/tree runs=${RUNS:-10} copies=$dir/tree-copies
    if [ ! -d "$src" ]; then
        echo "creating $src"
        for i in $(seq 0 4999); do
            local d=$src/d$((i % 50))/e$((i % 4))
            mkdir -p "$d"
            head -c $((100 + (i * 7919) % 8093)) /dev/urandom >"$d/f$i"
        done
    fi
    # Every run copies into a directory of its own, removed only at the end: ext4 without a
    # journal (as here) will not reuse an inode freed less than 60 s ago, and checks each
    # such inode in turn when allocating (recently_deleted() in fs/ext4/ialloc.c), so
    # removing the last copy before each run made creation slower run after run (2 s, then
    # 10, then 38 s for cp -r), whoever made the files.
    if [ -e "$copies" ]; then
        rm -rf "$copies"
        sync
        echo "removed the last run's copies; waiting ${SETTLE:-61} s for ext4 to let their inodes go"
        sleep "${SETTLE:-61}"
    fi
    mkdir -p "$copies"
    local t=$dir/times-tree
    rm -rf "$t" && mkdir -p "$t"
    for r in $(seq "$runs"); do
        sync
        echo "round $r ringaio-cp $(seconds "$bin" $cp_args -r "$src" "$copies/$r-ringaio-cp" | tee -a "$t/ringaio-cp.times")"
        if [ -n "${BASE:-}" ]; then
            sync
            echo "round $r base       $(seconds "$BASE" $cp_args -r "$src" "$copies/$r-base" | tee -a "$t/base.times")"
        fi
        sync
        echo "round $r cp         $(seconds cp -r "$src" "$copies/$r-cp" | tee -a "$t/cp.times")"
    done
    local all=("$t/ringaio-cp.times")
    [ -n "${BASE:-}" ] && all+=("$t/base.times")
    summary "5,000 files, cp -r" "${all[@]}" "$t/cp.times"
}

sparse() {
    local src=$dir/sparse runs=${RUNS:-10}
    rm -f "$src"
    truncate -s 1G "$src"
    head -c 1M /dev/urandom | dd of="$src" bs=1M seek=512 conv=notrunc status=none
    local t=$dir/times-sparse
    rm -rf "$t" && mkdir -p "$t"
    for r in $(seq "$runs"); do
        rm -f "$dir/sparse-copy"
        echo "round $r ringaio-cp $(seconds "$bin" $cp_args "$src" "$dir/sparse-copy" | tee -a "$t/ringaio-cp.times")"
        rm -f "$dir/sparse-copy"
        echo "round $r cp         $(seconds cp "$src" "$dir/sparse-copy" | tee -a "$t/cp.times")"
    done
    echo "blocks: source $(stat -c %b "$src"), copy $(stat -c %b "$dir/sparse-copy")"
    rm -f "$dir/sparse-copy"
    summary "1 GiB sparse file (1 MiB of data)" "$t/ringaio-cp.times" "$t/cp.times"
}

big() {
    local src=$dir/src runs=${RUNS:-5}
    if [ "$(stat -c %s "$src" 2>/dev/null || echo 0)" != $((2048 * 1024 * 1024)) ]; then
        echo "creating $src (2 GiB of random data)"
        head -c 2048M /dev/urandom >"$src.part"
        mv "$src.part" "$src"
    fi
    local t=$dir/times-big dst=$dir/dst
    rm -rf "$t" && mkdir -p "$t"
    cold() { rm -f "$dst"; sync; echo 3 >/proc/sys/vm/drop_caches; }
    for r in $(seq "$runs"); do
        cold; echo "round $r ringaio-cp $(seconds "$bin" $cp_args "$src" "$dst" | tee -a "$t/ringaio-cp.times")"
        cold; echo "round $r cp         $(seconds cp "$src" "$dst" | tee -a "$t/cp.times")"
        cold; echo "round $r dd         $(seconds dd if="$src" of="$dst" bs=1M status=none | tee -a "$t/dd.times")"
    done
    rm -f "$dst"
    summary "2 GiB file, cold cache" "$t/ringaio-cp.times" "$t/cp.times" "$t/dd.times"
}

echo "kernel $(uname -r), $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
case $what in
    tree) tree ;;
    sparse) sparse ;;
    big) big ;;
    all) tree; sparse; big ;;
    *) echo "usage: $0 [tree|sparse|big|all] [DIR]" >&2; exit 2 ;;
esac
