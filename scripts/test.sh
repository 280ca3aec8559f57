#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (unit, in-process loopback, and the
# root-only system tests with real TUN devices and network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
if [ "$(id -u)" -ne 0 ]; then
    echo "warning: not root: the system tests (TUN, network namespaces) will fail" >&2
fi
swift build --build-tests
swift test --skip-build
