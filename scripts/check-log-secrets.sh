#!/usr/bin/env bash
# scripts/check-log-secrets.sh LOG...: fails if any log holds a secret of the test run: the demo user's password and
# PKCS#12 password (demo-state/), the NT hash of the demo password and of every fixed test password, or a
# 32-character piece of the demo server key or the test server key. scripts/test.sh runs it on the whole
# `swift test` log and the demo check's log (which includes sstpd's own log). LogSecretsTests checks the same at
# trace level inside the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
(($#)) || { echo "usage: $0 LOG..." >&2; exit 2; }

secrets=()
names=()
add() { names+=("$1"); secrets+=("$2"); }
nt_hash() { # NT hash (MD4 of UTF-16LE) as lower-case hex
    printf '%s' "$1" | iconv -f UTF-8 -t UTF-16LE | openssl dgst -md4 -provider default -provider legacy -r | cut -d' ' -f1
}
passwords=(alice-password bob-password)
for file in demo-state/demo-password demo-state/demo-p12-password; do
    [ -s "$file" ] && passwords+=("$(cat "$file")")
done
for password in "${passwords[@]}"; do
    add "a password" "$password"
    hash=$(nt_hash "$password")
    add "an NT hash" "$hash"
    add "an NT hash" "${hash^^}"
done
for key in Tests/Fixtures/certs/server.key certs/demo/server.key demo-state/pki/private/*.key; do
    [ -s "$key" ] || continue
    body=$(grep -v -- '-----' "$key" | tr -d '\n')
    for ((i = 0; i + 32 <= ${#body}; i += 32)); do add "a piece of $key" "${body:i:32}"; done
done

found=0
for log in "$@"; do
    [ -f "$log" ] || { echo "check-log-secrets: no such log: $log" >&2; exit 2; }
    for i in "${!secrets[@]}"; do
        if grep -qF -- "${secrets[$i]}" "$log"; then
            echo "check-log-secrets: $log contains ${names[$i]}" >&2
            found=1
        fi
    done
done
((found == 0)) || exit 1
echo "check-log-secrets: ${#secrets[@]} secrets, none in $# logs ($*)"
