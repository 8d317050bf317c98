#!/usr/bin/env bash
# Runs fio's libaio engine on the shim (crates/ringaio-libaio built as libaio.so.1, loaded
# through LD_LIBRARY_PATH): every job file next to this script, briefly, in a scratch
# directory under /tmp. Fails on any fio error or verify failure.
#
#   crates/ringaio-libaio/fio/run.sh            # debug build of the shim
#   PROFILE=release crates/ringaio-libaio/fio/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

if ! command -v fio >/dev/null 2>&1; then
    echo "skipped: fio is not installed (apt-get install fio)" >&2
    exit 0
fi
profile="${PROFILE:-debug}"
if [ "$profile" = release ]; then
    cargo build -q --release -p ringaio-libaio
else
    cargo build -q -p ringaio-libaio
fi
shim="${CARGO_TARGET_DIR:-$root/target}/$profile/libringaio_libaio.so"

scratch="$(mktemp -d /tmp/ringaio-fio.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/lib" "$scratch/data"
cp "$shim" "$scratch/lib/libaio.so.1"
export LD_LIBRARY_PATH="$scratch/lib"
export RINGAIO_FIO_DIR="$scratch/data"
libs="$(ldd "$(command -v fio)")"
if [[ "$libs" != *"$scratch/lib/libaio.so.1"* ]]; then
    echo "fio does not load the shim:" >&2
    echo "$libs" >&2
    exit 1
fi

# fio leaves verify state files in its working directory.
cd "$scratch"
status=0
for job in "$here"/*.fio; do
    echo "== fio $(basename "$job")"
    out="$scratch/$(basename "$job").out"
    if ! fio --output="$out" "$job"; then
        echo "fio failed on $job" >&2
        status=1
    fi
    grep -E '^[a-z-]+: \(groupid=|IOPS=' "$out" || true
    if grep -qE 'err= *[1-9]|verify: bad|fio: ' "$out"; then
        echo "fio reported errors on $job:" >&2
        cat "$out" >&2
        status=1
    fi
done
exit $status
