#!/usr/bin/env bash
# The interop stage: Debian's sstpc + pppd in User-Mode-Linux guests against the sstpd built in .build/debug.
# Installs what it needs from Debian (user-mode-linux sstp-client ppp ...), then runs interop.py as root.
# Usage: Tests/Interop/run.sh [--only PREFIX]... [--keep] [-v]     (SSTP_BIN_DIR overrides .build/debug)
# Prints one PASS/FAIL line per case and "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
needed=(user-mode-linux sstp-client ppp kmod iproute2 iputils-ping coreutils python3)
missing=()
for p in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "interop: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
    echo "interop: packages installed in $(($(date +%s) - started)) s"
fi
# interop.py has its own watchdog (540 s) and cleans up on SIGTERM; this is the last resort.
status=0
timeout --kill-after=20 570 /usr/bin/python3 Tests/Interop/interop.py --bin-dir "${SSTP_BIN_DIR:-.build/debug}" "$@" \
    || status=$?
echo "interop stage took $(($(date +%s) - started)) s"
exit "$status"
