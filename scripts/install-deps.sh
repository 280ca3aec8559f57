#!/usr/bin/env bash
# Installs the Debian packages the build, the demo and the tests need. Idempotent; quiet when all is present.
set -euo pipefail
# libsqlite3-dev: the state store (GRDB). unzip, libnm0, sstp-client and ppp: the client-package tests check the generated files with the real tools
# (unzip -t, libnm's keyfile reader, sstpc --help, pppd's option parser).
# jq: the soak and benchmark scripts read sstp-dial's and sstpctl's JSON.
needed=(libssl-dev libsqlite3-dev openssl iproute2 iputils-ping pkg-config python3 unzip libnm0 sstp-client ppp jq)
missing=()
for p in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi
