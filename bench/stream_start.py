#!/usr/bin/env python3
"""Time to first token through ilb against the same backend directly, side by side.

Start ilb with its demo fleet first (mvn compile camel:run), then: python3 bench/stream_start.py [runs] [warm-up]
ilb first gets [warm-up] streamed requests (default 10000, 16 at a time) so that the JIT has compiled
its request path; then requests alternate between direct (simulated GPU backend, :9101) and ilb
(:8080), so both see the same machine state. The report gives medians, p99 and ilb's added time as a difference and a ratio.
"""
import http.client
import json
import statistics
import sys
import threading
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
WARM_UP = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
AUTH = {"authorization": "Bearer sk-ilb-demo", "content-type": "application/json"}
BODY = json.dumps({"model": "llama-3.1-8b-instruct", "stream": True, "max_tokens": 8,
                   "messages": [{"role": "user", "content": "hello"}]})


def first_token_and_total(conn):
    start = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", BODY, AUTH)
    response = conn.getresponse()
    first = None
    while True:
        line = response.readline()
        if not line:
            break
        if line.startswith(b"data: ") and first is None:
            first = time.perf_counter() - start
        if line.startswith(b"data: [DONE]"):
            # read the terminating chunk so the connection can be reused
            response.read()
            break
    return first, time.perf_counter() - start


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def warm_up():
    """The same streamed requests, 16 at a time, until the JIT has compiled ilb's path for them."""
    def client(count):
        conn = http.client.HTTPConnection("127.0.0.1", 8080)
        for _ in range(count):
            first_token_and_total(conn)
    threads = [threading.Thread(target=client, args=(WARM_UP // 16,)) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main():
    warm_up()
    results = {"direct": ([], []), "ilb": ([], [])}
    conns = {"direct": http.client.HTTPConnection("127.0.0.1", 9101),
             "ilb": http.client.HTTPConnection("127.0.0.1", 8080)}
    for i in range(RUNS + 20):
        for name in ("direct", "ilb") if i % 2 == 0 else ("ilb", "direct"):
            first, total = first_token_and_total(conns[name])
            if i >= 20:  # warm-up
                results[name][0].append(first * 1000)
                results[name][1].append(total * 1000)
    print(f"{RUNS} streamed chat completions each, alternating, keep-alive connections")
    print(f"{'':8} {'TTFT p50':>10} {'TTFT p99':>10} {'total p50':>10}")
    for name, (ttft, total) in results.items():
        print(f"{name:8} {statistics.median(ttft):9.2f}ms {percentile(ttft, 0.99):9.2f}ms "
              f"{statistics.median(total):9.2f}ms")
    d, n = statistics.median(results["direct"][0]), statistics.median(results["ilb"][0])
    print(f"ilb adds {n - d:.2f} ms to the median time to first token (ratio {n / d:.3f})")


if __name__ == "__main__":
    main()
