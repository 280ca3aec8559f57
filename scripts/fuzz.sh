#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Fuzz/ (address sanitizer + libFuzzer, release) and runs each for a bounded time
# against a writable copy of its seed corpus and regression inputs (docs/fuzzing.md).
#
#   scripts/fuzz.sh [--seconds N] [--jobs J] [--work DIR] [--keep] [--build-only] [--list] [harness ...]
#
#   --seconds N   fuzzing time per harness (default 15)
#   --jobs J      libFuzzer -fork=J worker processes per harness (default 1; each is a full fuzzer process)
#   --work DIR    keep corpora, logs and crash inputs in DIR/<harness>/ and reuse a corpus found there (a long
#                 campaign in several sittings); default: a fresh directory under ${TMPDIR:-/tmp}, removed at the end
#                 unless a harness crashed or --keep is given
#   --keep        keep the default work directory
#   --build-only  build the harnesses and stop
#   --list        print the harness names and stop
#   harness ...   run only these (default: all)
#
# Prints per harness the executions, the seconds, the corpus size and libFuzzer's coverage (cov: edges, ft:
# features); exits 1 if any harness crashed, timed out, ran out of memory or violated an invariant, naming the
# saved input (replay it with `Fuzz/.build/release/fuzz-<harness> FILE`, minimize it with -minimize_crash=1).
# Installs nothing: the Swift toolchain's clang runtime provides libFuzzer and ASan, and its lld links.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

HARNESSES=(sstp-http sstp-packet sstp-state ppp-frame ppp-session mschapv2 eap eap-tls dhcp toml vnet-topology)
# Longest input per harness: what the parser can meet (a stream of several SSTP packets, a whole configuration
# file), not libFuzzer's 4096-byte default.
declare -A MAX_LEN=([sstp-packet]=16384 [sstp-state]=8192 [ppp-session]=8192 [toml]=8192 [vnet-topology]=8192)

seconds=15
jobs=1
work=""
keep=0
build_only=0
selected=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        --build-only) build_only=1; shift ;;
        --list) printf '%s\n' "${HARNESSES[@]}"; exit 0 ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) selected+=("$1"); shift ;;
    esac
done
if [ "${#selected[@]}" -eq 0 ]; then selected=("${HARNESSES[@]}"); fi
for harness in "${selected[@]}"; do
    if [[ ! " ${HARNESSES[*]} " =~ " $harness " ]]; then
        echo "fuzz.sh: unknown harness $harness (known: ${HARNESSES[*]})" >&2
        exit 2
    fi
done

# The fuzz package pins the main package's dependency versions on its first resolution.
if [ ! -f Fuzz/Package.resolved ] && [ -f Package.resolved ]; then
    cp Package.resolved Fuzz/Package.resolved
fi
build_start=$SECONDS
echo "fuzz.sh: building the harnesses (release, -sanitize=fuzzer,address)"
# -parse-as-library: the harness executables have a Swift @main that starts libFuzzer (Fuzz/Sources/FuzzHarnesses/
# Driver.swift). lld: SwiftPM's `--defsym main=...` and libFuzzer's own main make gold fail; lld lets the defsym win.
if ! swift build -c release --package-path Fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
    -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld >/tmp/sstp-fuzz-build.log 2>&1; then
    grep -E "error|warning: unre" /tmp/sstp-fuzz-build.log | head -n 40 >&2 || tail -n 40 /tmp/sstp-fuzz-build.log >&2
    echo "fuzz.sh: build FAILED (full log: /tmp/sstp-fuzz-build.log)" >&2
    exit 1
fi
echo "fuzz.sh: built in $((SECONDS - build_start)) s"
BIN=$ROOT/Fuzz/.build/release
if [ "$build_only" = 1 ]; then exit 0; fi

default_work=0
if [ -z "$work" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/sstp-fuzz.XXXXXX")
    default_work=1
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)

# libFuzzer reports crashes itself; the Swift runtime's backtracer would attach to the crashed process instead.
export SWIFT_BACKTRACE=enable=no
# Leaks are not what these harnesses look for, and LeakSanitizer's end-of-input checks slow them down.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"

failed=()
printf '%-14s %10s %8s %8s %8s %8s  %s\n' harness executions seconds corpus cov ft result
for harness in "${selected[@]}"; do
    dir=$work/$harness
    mkdir -p "$dir/corpus" "$dir/artifacts"
    # The seeds and every recorded regression input; a corpus kept from an earlier sitting is fuzzed on.
    cp -n Fuzz/Corpus/"$harness"/* "$dir/corpus/" 2>/dev/null || true
    cp -n Fuzz/Regressions/"$harness"/* "$dir/corpus/" 2>/dev/null || true
    args=(
        -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -max_len="${MAX_LEN[$harness]:-4096}"
        -print_final_stats=1 -artifact_prefix="$dir/artifacts/"
    )
    if [ -f "Fuzz/Dictionaries/$harness.dict" ]; then args+=(-dict="$ROOT/Fuzz/Dictionaries/$harness.dict"); fi
    if [ "$jobs" -gt 1 ]; then args+=(-fork="$jobs"); fi
    started=$SECONDS
    status=0
    (cd "$dir" && "$BIN/fuzz-$harness" "${args[@]}" corpus >"$dir/log" 2>&1) || status=$?
    elapsed=$((SECONDS - started))
    executions=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$dir/log" | tail -n 1)
    if [ -z "$executions" ]; then
        executions=$(grep -oE '^#[0-9]+' "$dir/log" | tail -n 1 | tr -d '#')
    fi
    stats=$(grep -E '^#[0-9]+.*cov: ' "$dir/log" | tail -n 1 || true)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$stats")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$stats")
    corpus=$(find "$dir/corpus" -type f | wc -l)
    # Crash, timeout, out-of-memory and leak inputs; libFuzzer also saves its slowest input ("slow-unit-"), which
    # is not a failure (a stalled machine makes one too).
    artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$dir/log" | grep -v '/slow-unit-' | tail -n 1 || true)
    if [ "$status" -eq 0 ] && [ -z "$artifact" ]; then
        result=ok
    else
        result="FAILED (exit $status)"
        failed+=("$harness")
    fi
    printf '%-14s %10s %8s %8s %8s %8s  %s\n' "$harness" "${executions:-?}" "$elapsed" "$corpus" "${cov:-?}" \
        "${ft:-?}" "$result"
    if [ "$result" != ok ]; then
        # What went wrong (the invariant, the sanitizer report), and the saved input.
        grep -E 'Fatal error|ERROR: (libFuzzer|AddressSanitizer)|^SUMMARY|out-of-memory|timeout after' "$dir/log" |
            head -n 8 | sed 's/^/    /' || true
        echo "    input: ${artifact:-none saved}; log: $dir/log"
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]} (work directory kept: $work)" >&2
    exit 1
fi
if [ "$default_work" = 1 ] && [ "$keep" = 0 ]; then
    rm -rf "$work"
else
    echo "fuzz.sh: corpora, logs and inputs in $work"
fi
echo "fuzz.sh: all ${#selected[@]} harnesses ran without a finding"
