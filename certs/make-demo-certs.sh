#!/bin/sh
# make-demo-certs.sh: a throwaway demo CA and a server certificate for sstpd, using the openssl CLI.
#
# Usage: make-demo-certs.sh [--force] [--days N] [--ca-days N] OUTDIR [HOSTNAME]
#
# Writes into OUTDIR:
#   ca.pem       demo CA certificate (RSA 3072, CA:true, keyCertSign/cRLSign); give this to clients as trust root
#   ca.key       demo CA private key (0600); keep it or delete it, sstpd never needs it
#   server.pem   certificate chain for sstpd: leaf first, then the CA (RFC 8446 §4.4.2: sender's certificate first)
#   server.key   server private key (RSA 2048, 0600)
#
# The leaf has EKU serverAuth and SAN DNS:HOSTNAME, DNS:localhost, IP:127.0.0.1 (HOSTNAME defaults to
# `hostname -f`), valid 825 days (the CA 3650). Idempotent: if all four files exist nothing is done unless --force.
# The CA key and the server key are created with umask 077. These are DEMO certificates: use a real PKI in production.
set -eu

force=0
days=825
ca_days=3650
while [ $# -gt 0 ]; do
    case "$1" in
        --force) force=1; shift ;;
        --days) days="$2"; shift 2 ;;
        --ca-days) ca_days="$2"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        --) shift; break ;;
        -*) echo "unknown option: $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--force] [--days N] [--ca-days N] OUTDIR [HOSTNAME]" >&2; exit 2; }
out="$1"
host="${2:-$(hostname -f 2>/dev/null || hostname)}"
case "$host" in
    *[!A-Za-z0-9.-]*|'') echo "invalid HOSTNAME: $host" >&2; exit 2 ;;
esac

if [ "$force" -eq 0 ] && [ -e "$out/ca.pem" ] && [ -e "$out/ca.key" ] && [ -e "$out/server.pem" ] \
    && [ -e "$out/server.key" ]; then
    echo "$out: certificates exist, nothing to do (use --force to replace them)"
    exit 0
fi

umask 077
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/ca.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = sstpd demo CA
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

cat > "$work/server.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $host
[v3_server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:$host, DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF

openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$work/ca.key"
openssl req -new -x509 -sha256 -days "$ca_days" -key "$work/ca.key" -config "$work/ca.cnf" -out "$work/ca.pem"
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/server.key"
openssl req -new -sha256 -key "$work/server.key" -config "$work/server.cnf" -out "$work/server.csr"
openssl x509 -req -sha256 -days "$days" -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$work/server.cnf" -extensions v3_server \
    -out "$work/leaf.pem" 2>/dev/null
openssl verify -CAfile "$work/ca.pem" "$work/leaf.pem" >/dev/null
cat "$work/leaf.pem" "$work/ca.pem" > "$work/server.pem"

chmod 0600 "$work/ca.key" "$work/server.key"
chmod 0644 "$work/ca.pem" "$work/server.pem"
for f in ca.key ca.pem server.key server.pem; do mv -f "$work/$f" "$out/$f"; done
echo "wrote $out/ca.pem, $out/ca.key, $out/server.pem (leaf + CA), $out/server.key for $host"
