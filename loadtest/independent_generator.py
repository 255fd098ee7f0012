"""An open-loop load generator for primesum that shares no code with `primesum loadtest`
(Python, asyncio with uvloop when installed, HTTP/1.1 written by hand).

It exists to check our own load tool: both run the same flow against the same server at the
same rate (`scripts/crosscheck-loadtest`), and their end-to-end percentiles must agree.

Flow per arrival: POST /sumPrime with a distinct 1,000-wide range, then GET ?wait=N until the
job is terminal. Arrivals are open loop (scheduled by the clock, never waiting for earlier
jobs). A random sample of 500 sums is checked afterwards against a sieve written here.

    python independent_generator.py --target http://127.0.0.1:8080 --rate 300 --duration 10
"""

import argparse
import asyncio
import json
import math
import random
import resource
import sys
import time



def base_primes(limit: int) -> list:
    """The primes up to `limit`, by the sieve of Eratosthenes."""
    flags = bytearray([1]) * (limit + 1)
    flags[0] = 0
    if limit >= 1:
        flags[1] = 0
    for p in range(2, math.isqrt(limit) + 1):
        if flags[p]:
            flags[p * p :: p] = bytearray(len(flags[p * p :: p]))
    return [p for p in range(limit + 1) if flags[p]]


def primes_sum(a: int, b: int, primes: list) -> int:
    """The sum of the primes in [a, b), by a segmented sieve; `primes` reaches sqrt(b)."""
    segment = bytearray([1]) * (b - a)
    for p in primes:
        if p * p >= b:
            break
        start = max(p * p, (a + p - 1) // p * p)
        segment[start - a :: p] = bytearray(len(segment[start - a :: p]))
    return sum(a + i for i, flag in enumerate(segment) if flag and a + i >= 2)


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time. A plain asyncio protocol
    rather than aiohttp: aiohttp's own overhead (~1.5 ms a job) would dwarf the milliseconds
    being compared."""

    def __init__(self):
        self.transport = None
        self.buffer = b""
        self.waiter = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0 or self.waiter is None:
            return
        head = self.buffer[:head_end].decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if len(self.buffer) < head_end + 4 + length:
            return
        body = self.buffer[head_end + 4 : head_end + 4 + length]
        self.buffer = self.buffer[head_end + 4 + length :]
        waiter, self.waiter = self.waiter, None
        waiter.set_result((int(head[0].split()[1]), body))

    def connection_lost(self, error):
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error or ConnectionError("closed"))
        self.waiter = None

    def request(self, raw):
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return self.waiter


class Pool:
    def __init__(self, host, port):
        self.host, self.port, self.idle = host, port, []

    async def send(self, method, path, body=b""):
        while self.idle:
            connection = self.idle.pop()
            if not connection.transport.is_closing():
                break
        else:
            _, connection = await asyncio.get_running_loop().create_connection(Connection, self.host, self.port)
        raw = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        status, payload = await connection.request(raw)
        self.idle.append(connection)
        return status, json.loads(payload)


async def follow(pool, a, b, wait, timeout, results, errors):
    started = time.perf_counter()
    try:
        body = json.dumps({"a": str(a), "b": str(b)}).encode()
        status, document = await asyncio.wait_for(pool.send("POST", "/sumPrime", body), timeout)
        if status not in (200, 202):
            errors[f"post_{status}"] = errors.get(f"post_{status}", 0) + 1
            return
        while document.get("status") in ("QUEUED", "IN_PROGRESS"):
            status, document = await asyncio.wait_for(
                pool.send("GET", f"/sumPrime/{document['_id']}?wait={wait}"), timeout
            )
            if status != 200:
                errors[f"get_{status}"] = errors.get(f"get_{status}", 0) + 1
                return
        elapsed = time.perf_counter() - started
        if document.get("status") != "FINISHED":
            errors["not_finished"] = errors.get("not_finished", 0) + 1
            return
        results.append((elapsed, a, b, document.get("sum")))
    except Exception as error:  # a transport failure or timeout counts, whatever its kind
        kind = type(error).__name__
        errors[kind] = errors.get(kind, 0) + 1


async def run(arguments):
    host, _, port = arguments.target.split("//", 1)[-1].rstrip("/").rpartition(":")
    pool = Pool(host.strip("[]"), int(port))
    results, errors = [], {}
    # Ranges below 1e11 keep the check cheap; the offset of 3 keeps them apart from the
    # ranges `primesum loadtest` submits (n * 1,000 + 1), so none is answered from its results.
    salt = random.randrange(100) * 1_000_000
    tasks = []
    start = time.perf_counter()
    index = 0
    while True:
        due = start + index / arguments.rate
        if due - start >= arguments.duration:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        n = salt + index
        a, b = n * 1_000 + 3, n * 1_000 + 1_003
        tasks.append(
            asyncio.create_task(follow(pool, a, b, arguments.long_poll, arguments.timeout, results, errors))
        )
        index += 1
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    for connection in pool.idle:
        connection.transport.close()
    return index, results, errors, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="http://127.0.0.1:8080")
    parser.add_argument("--rate", type=float)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--long-poll", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--json", help="write the summary here as JSON")
    arguments = parser.parse_args()
    host = arguments.target.split("//", 1)[-1].split(":")[0].strip("[]")
    # As `primesum loadtest`: a target off this host (a test cluster in a network namespace)
    # only with the rate and the duration said, never an unbounded run by default.
    if not (host.startswith("127.") or host in ("localhost", "::1")) and (
            arguments.rate is None or arguments.duration is None):
        sys.exit("--rate and --duration are required when --target is not a loopback address")
    arguments.rate = 100 if arguments.rate is None else arguments.rate
    arguments.duration = 10 if arguments.duration is None else arguments.duration

    try:
        import uvloop

        uvloop.install()
        loop_name = "uvloop"
    except ImportError:
        loop_name = "asyncio"
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    launched, results, errors, wall = asyncio.run(run(arguments))
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    # Pure Python sieves ~100 ranges a second: check a random sample of 500.
    checked = random.sample(results, min(500, len(results)))
    primes = base_primes(math.isqrt(max((b for _, _, b, _ in checked), default=4)) + 1)
    wrong = sum(1 for _, a, b, total in checked if str(primes_sum(a, b, primes)) != str(total))
    latencies = sorted(elapsed * 1000 for elapsed, *_ in results)
    summary = {
        "generator": f"python asyncio ({loop_name})",
        "rate": arguments.rate,
        "launched": launched,
        "finished": len(results),
        "sumsChecked": len(checked),
        "wrongSums": wrong,
        "errors": errors,
        "wallSeconds": round(wall, 3),
        "cpuMsPerJob": round(cpu * 1000 / max(launched, 1), 3),
        "endToEndMs": {
            name: round(percentile(latencies, fraction), 3)
            for name, fraction in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))
        },
    }
    print(json.dumps(summary, indent=2))
    if arguments.json:
        with open(arguments.json, "w") as handle:
            json.dump(summary, handle, indent=2)
    if errors or wrong or len(results) != launched:
        sys.exit(1)


if __name__ == "__main__":
    main()
