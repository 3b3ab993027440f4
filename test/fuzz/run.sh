#!/usr/bin/env bash
# run.sh [SECONDS_PER_TARGET] - build the libFuzzer targets and run each one
# for a bounded time on a fresh copy of its seed corpus.
#
# Prints one summary line per target and exits non-zero if any target
# crashed, leaked, hit a sanitizer report, timed out on one input or ran
# out of memory. Needs clang with its runtimes (Debian: clang and
# libclang-rt-14-dev).
#
# Environment:
#   ET_FUZZ_BUILD_DIR  build directory (default: <repo>/build-fuzz)
#   ET_FUZZ_TARGETS    space-separated subset of the targets (default: all)
#   ET_FUZZ_CC         clang binary for a fresh build directory (default: clang;
#                      CC is deliberately ignored: CI often exports CC=gcc)
#
# A failing input is kept as <build>/fuzz-artifacts/<target>/crash-... (or
# leak-, timeout-, oom-); replay it with <build>/fuzz/<target> <file>.
set -euo pipefail

secs="${1:-30}"
case "$secs" in
'' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${ET_FUZZ_BUILD_DIR:-$repo/build-fuzz}"
targets="${ET_FUZZ_TARGETS:-fuzz_webhook_payload fuzz_tweet_time fuzz_track_payload fuzz_qstash_verify}"
cc="${ET_FUZZ_CC:-clang}"

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "run.sh: $cc not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
fi

mkdir -p "$build"
echo "== building fuzz targets in $build"
if ! CC="$cc" cmake -S "$repo" -B "$build" -DET_FUZZ=ON >"$build/fuzz-configure.log" 2>&1; then
    cat "$build/fuzz-configure.log" >&2
    exit 2
fi
if ! cmake --build "$build" --target fuzz -j "$(nproc 2>/dev/null || echo 2)" \
    >"$build/fuzz-build.log" 2>&1; then
    tail -n 60 "$build/fuzz-build.log" >&2
    exit 2
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
for t in $targets; do
    bin="$build/fuzz/$t"
    work="$build/fuzz-work/$t"
    artifacts="$build/fuzz-artifacts/$t"
    log="$build/fuzz-logs/$t.log"
    if [ ! -x "$bin" ]; then
        echo "run.sh: no such target: $t" >&2
        failed=1
        continue
    fi
    rm -rf "$work" "$artifacts"
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    if [ -d "$here/corpus/$t" ]; then
        cp "$here/corpus/$t/"* "$work/"
    fi
    args=(-max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
          -artifact_prefix="$artifacts/")
    if [ -f "$here/$t.dict" ]; then
        args+=(-dict="$here/$t.dict")
    fi

    rc=0
    "$bin" "${args[@]}" "$work" >"$log" 2>&1 || rc=$?

    execs="$(grep -oE 'stat::number_of_executed_units:[[:space:]]+[0-9]+' "$log" | awk '{print $2}' | tail -n 1 || true)"
    rate="$(grep -oE 'stat::average_exec_per_sec:[[:space:]]+[0-9]+' "$log" | awk '{print $2}' | tail -n 1 || true)"
    cov="$(grep -oE 'cov: [0-9]+' "$log" | awk '{print $2}' | tail -n 1 || true)"
    ft="$(grep -oE 'ft: [0-9]+' "$log" | awk '{print $2}' | tail -n 1 || true)"
    corp="$(grep -oE 'corp: [0-9]+/[0-9]+[A-Za-z]*' "$log" | awk '{print $2}' | tail -n 1 || true)"
    if [ "$rc" -eq 0 ]; then
        status=ok
    else
        status="FAIL(exit $rc)"
        failed=1
    fi
    printf '%-22s %-14s execs=%s exec/s=%s cov=%s ft=%s corpus=%s\n' "$t" "$status" \
        "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
    if [ "$rc" -ne 0 ]; then
        echo "---- $log (last 60 lines)"
        tail -n 60 "$log"
        echo "---- failing inputs in $artifacts:"
        ls -1 "$artifacts"
    fi
done

if [ "$failed" -ne 0 ]; then
    echo "FUZZ: FAILED" >&2
    exit 1
fi
echo "FUZZ: all targets clean (${secs}s each)"
