"""The client side of scripts/kill-loop: standard library only.

  submit URL FILE    submit distinct tiny ranges from 8 threads until killed; append
                     "id a b" to FILE for every job the server accepted (200 or 202)
  verify URL FILE    long-poll every job in FILE to a terminal status; check each sum
                     against a sieve; print one JSON line of counts; exit 1 on any loss
"""
import http.client
import json
import os
import sys
import threading
import urllib.parse


def connection(url):
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


def submit(url, path):
    lock = threading.Lock()
    out = open(path, "a", buffering=1)
    # Distinct ranges per run and thread: a random base keeps runs apart.
    base = int.from_bytes(os.urandom(3), "big") * 64

    def worker(index):
        conn = connection(url)
        n = 0
        while True:
            a = (base + index * 1_000_003 + n * 8) * 97 % 900_000
            b = a + 1_000 + index
            n += 1
            try:
                conn.request("POST", "/sumPrime", json.dumps({"a": a, "b": b}),
                             {"Content-Type": "application/json"})
                response = conn.getresponse()
                body = response.read()
            except Exception:
                conn.close()
                conn = connection(url)
                continue
            if response.status in (200, 202):
                job = json.loads(body)
                with lock:
                    out.write(f"{job['_id']} {a} {b}\n")

    for index in range(8):
        threading.Thread(target=worker, args=(index,), daemon=True).start()
    threading.Event().wait()


def prefix_sums(limit):
    """prefix[n] = the sum of the primes below n, for n <= limit."""
    sieve = bytearray([1]) * (limit + 1)
    sieve[0:2] = b"\x00\x00"
    for p in range(2, int(limit ** 0.5) + 1):
        if sieve[p]:
            sieve[p * p::p] = bytearray(len(sieve[p * p::p]))
    prefix, total = [0] * (limit + 1), 0
    for n in range(limit + 1):
        prefix[n] = total
        if sieve[n]:
            total += n
    return prefix


def verify(url, path):
    jobs = [line.split() for line in open(path) if line.strip()]
    prefix = prefix_sums(max((int(b) for _, _, b in jobs), default=0))
    conn = connection(url)
    counts = {"accepted": len(jobs), "finished": 0, "missing": 0, "wrong": 0, "other": 0}
    for job_id, a, b in jobs:
        status, document = None, None
        for _ in range(10):
            conn.request("GET", f"/sumPrime/{job_id}?wait=30")
            response = conn.getresponse()
            document = json.loads(response.read())
            status = response.status
            if status != 200 or document.get("status") in ("FINISHED", "FAILED", "CANCELLED"):
                break
        if status == 404:
            counts["missing"] += 1
        elif document.get("status") != "FINISHED":
            counts["other"] += 1
        elif int(document["sum"]) != prefix[int(b)] - prefix[int(a)]:
            counts["wrong"] += 1
        else:
            counts["finished"] += 1
    print(json.dumps(counts))
    return 0 if counts["finished"] == counts["accepted"] else 1


if __name__ == "__main__":
    command, url, path = sys.argv[1:4]
    sys.exit(submit(url, path) if command == "submit" else verify(url, path))
