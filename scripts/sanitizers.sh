#!/usr/bin/env bash
# scripts/sanitizers.sh [address] [thread] [-- SWIFT_TEST_ARGS...]: builds the package and its tests with each
# named sanitizer (default: address) in a scratch path of its own and runs the test suite under it (unit, in-process
# and the root-only system tests, whose sstpd/sstpctl/sstp-dial children are sanitized builds too). Fails on the
# first sanitizer report or failing test. scripts/test.sh runs it when SSTP_SANITIZERS names the sanitizers
# ("address", "thread" or "address thread"; docs/fuzzing.md, "Sanitizers", has the last results and their times).
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizers=()
while (($#)); do
    case "$1" in
    address | thread) sanitizers+=("$1") ;;
    --) shift; break ;;
    *) echo "usage: $0 [address] [thread] [-- SWIFT_TEST_ARGS...]" >&2; exit 2 ;;
    esac
    shift
done
((${#sanitizers[@]})) || sanitizers=(address)
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=yes,threads=crashed,registers=none,images=none,limit=40}"
# Leaks reported at exit by LeakSanitizer come from process-lifetime caches (OpenSSL, Foundation, NIO's singletons):
# the check here is for memory errors; halt on the first one.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1:abort_on_error=1}"
# ThreadSanitizer: every report of the run (the script fails if there is one), less the documented suppressions.
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan-suppressions.txt}"
# At most 4 tests at a time (Swift Testing starts every test at once by default). Under a sanitizer each test is 5-10x
# slower, and with ~100 system tests sharing 2 cores, tests that wait 30-60 s for a connection or a reply timed out
# (docs/fuzzing.md, "Sanitizers"). The whole suite takes no longer with the limit: the cores are busy either way.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-4}"
for sanitizer in "${sanitizers[@]}"; do
    scratch="/tmp/build-sanitize-$sanitizer"
    log="/tmp/sstp-sanitize-$sanitizer.log"
    start=$(date +%s)
    echo "sanitizer $sanitizer: building (scratch path $scratch)"
    swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" 2>&1 | tail -n 3
    built=$(date +%s)
    echo "sanitizer $sanitizer: running the tests (log $log)"
    if ! swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "$@" >"$log" 2>&1; then
        grep -E -A30 'ERROR: (AddressSanitizer|ThreadSanitizer)|WARNING: ThreadSanitizer' "$log" | head -n 80 >&2 || true
        # Every distinct report, most frequent first (ThreadSanitizer goes on after the first).
        grep -E '^SUMMARY: (Address|Thread)Sanitizer' "$log" | sed 's/ (.*//' | sort | uniq -c | sort -rn |
            cut -c1-300 | head -n 30 >&2 || true
        grep -E '✘ Test .*(recorded an issue|failed)' "$log" | cut -c1-400 | head -n 20 >&2 || true
        tail -n 5 "$log" >&2
        echo "sanitizer $sanitizer: FAILED" >&2
        exit 1
    fi
    reports=$(grep -c -E 'ERROR: AddressSanitizer|WARNING: ThreadSanitizer' "$log" || true)
    echo "sanitizer $sanitizer: $(grep -E '^✔ Test run with' "$log" | tail -n 1); $reports reports;" \
        "build $((built - start)) s, tests $(($(date +%s) - built)) s"
    ((reports == 0)) || { echo "sanitizer $sanitizer: reports in $log" >&2; exit 1; }
done
