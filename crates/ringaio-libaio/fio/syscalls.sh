#!/usr/bin/env bash
# System calls per 4 KiB O_DIRECT random read (QD32, 3-second fio runs under strace -f -c):
# fio's libaio engine on the kernel's AIO, then on each shim named on the command line.
#
#   crates/ringaio-libaio/fio/syscalls.sh now=target/release/libringaio_libaio.so \
#       old=/tmp/old/libringaio_libaio.so
# Writes a 256 MiB scratch file under /tmp and removes it at the end.
set -euo pipefail
scratch="$(mktemp -d /tmp/ringaio-fio-syscalls.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
f="$scratch/data"
fio --name=fill --filename="$f" --size=256m --bs=1m --rw=write --ioengine=psync \
    --end_fsync=1 --output=/dev/null
for spec in kernel "$@"; do
    name="${spec%%=*}"
    env=()
    if [ "$spec" != kernel ]; then
        mkdir -p "$scratch/$name"
        cp "${spec#*=}" "$scratch/$name/libaio.so.1"
        env=(LD_LIBRARY_PATH="$scratch/$name")
    fi
    out="$(env "${env[@]}" strace -f -c -o "$scratch/$name.strace" fio --name=s \
        --filename="$f" --size=256m --bs=4k --rw=randread --ioengine=libaio --iodepth=32 \
        --direct=1 --time_based --runtime=3 --norandommap --randrepeat=0 \
        --output-format=terse --terse-version=3)"
    reads=$(($(echo "$out" | awk -F';' '{print $6}') / 4))
    echo "== $name: $reads reads"
    awk -v n="$reads" '$NF ~ /^(io_submit|io_getevents|io_uring_enter|fcntl|futex)$/ {
        printf "  %-16s %9d calls  %.3f per read\n", $NF, $4, $4 / n }' "$scratch/$name.strace"
done
