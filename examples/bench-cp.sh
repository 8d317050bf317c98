#!/usr/bin/env bash
# Times ringaio-cp against cp and dd (bs=1M) copying one large file, page cache dropped
# before every run, with hyperfine. Needs root (for drop_caches, and apt-get if hyperfine
# is missing).
#
#   examples/bench-cp.sh [DIR]
#
# DIR holds the source and the copy (default /var/tmp/ringaio-cp-bench; it needs twice
# SIZE_MIB free). Environment: SIZE_MIB (default 2048), RUNS (default 10), CP_ARGS (extra
# ringaio-cp options, e.g. "--block-size 1m --queue-depth 8").
# Writes DIR/bench-cp.md (hyperfine's markdown table) and DIR/bench-cp.json.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/var/tmp/ringaio-cp-bench}
size_mib=${SIZE_MIB:-2048}
runs=${RUNS:-10}
cp_args=${CP_ARGS:-}

if ! command -v hyperfine >/dev/null; then
    apt-get update -qq
    apt-get install -y hyperfine
fi

cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p ringaio-examples --bin ringaio-cp
bin=$root/target/release/ringaio-cp

mkdir -p "$dir"
src=$dir/src
dst=$dir/dst
if [ "$(stat -c %s "$src" 2>/dev/null || echo 0)" != $((size_mib * 1024 * 1024)) ]; then
    echo "creating $src ($size_mib MiB of random data)"
    head -c "${size_mib}M" /dev/urandom >"$src.part"
    mv "$src.part" "$src"
fi
rm -f "$dst"
sync

echo "kernel $(uname -r), $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine \
    --warmup 1 \
    --runs "$runs" \
    --prepare "sync; echo 3 > /proc/sys/vm/drop_caches; rm -f $dst" \
    --export-markdown "$dir/bench-cp.md" \
    --export-json "$dir/bench-cp.json" \
    -n ringaio-cp "$bin $cp_args $src $dst" \
    -n cp "cp $src $dst" \
    -n 'dd bs=1M' "dd if=$src of=$dst bs=1M status=none"
rm -f "$dst"

echo
cat "$dir/bench-cp.md"
echo
echo "medians (s):"
if command -v jq >/dev/null; then
    jq -r '.results[] | "  \(.command): \(.median * 1000 | round / 1000)"' "$dir/bench-cp.json"
else
    python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("  %s: %.3f" % (r["command"], r["median"]))' "$dir/bench-cp.json"
fi
