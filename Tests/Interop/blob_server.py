#!/usr/bin/env python3
"""A host behind the gateway for the data-integrity case: serves a file on one TCP port (download) and hashes
what arrives on another (upload: exactly --up-bytes bytes, answered with their SHA-256 so the sender knows they all
arrived). Prints one JSON line per finished transfer on stdout. Standard library only."""
import argparse
import hashlib
import json
import socket
import sys
import threading
import time


def serve_download(port: int, path: str) -> None:
    data = open(path, "rb").read()
    with socket.create_server(("0.0.0.0", port)) as listener:
        while True:
            conn, peer = listener.accept()
            with conn:
                start = time.monotonic()
                conn.sendall(data)
                conn.shutdown(socket.SHUT_WR)
                # Wait for the peer to close so the figure covers delivery, not just the send buffer.
                while conn.recv(65536):
                    pass
                report("download", peer, len(data), hashlib.sha256(data).hexdigest(), time.monotonic() - start)


def serve_upload(port: int, expected: int) -> None:
    with socket.create_server(("0.0.0.0", port)) as listener:
        while True:
            conn, peer = listener.accept()
            with conn:
                digest = hashlib.sha256()
                total = 0
                start = None
                while total < expected:
                    chunk = conn.recv(min(262144, expected - total))
                    if not chunk:
                        break
                    if start is None:
                        start = time.monotonic()
                    digest.update(chunk)
                    total += len(chunk)
                elapsed = time.monotonic() - start if start is not None else 0.0
                report("upload", peer, total, digest.hexdigest(), elapsed)
                conn.sendall((digest.hexdigest() + "\n").encode())


lock = threading.Lock()


def report(kind: str, peer, size: int, sha256: str, seconds: float) -> None:
    with lock:
        print(json.dumps({"kind": kind, "peer": peer[0], "bytes": size, "sha256": sha256, "seconds": seconds}),
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--down-port", type=int, required=True)
    parser.add_argument("--up-port", type=int, required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--up-bytes", type=int, required=True, help="size of the upload to expect")
    args = parser.parse_args()
    threading.Thread(target=serve_download, args=(args.down_port, args.file), daemon=True).start()
    threading.Thread(target=serve_upload, args=(args.up_port, args.up_bytes), daemon=True).start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # runs until the runner closes stdin or kills it
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
