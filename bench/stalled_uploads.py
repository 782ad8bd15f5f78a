#!/usr/bin/env python3
"""Stalled uploads against a running ilb (mvn compile camel:run): what they cost it.

Opens N connections that each send the head of a 32 MiB POST and 31 MiB of its body, then go silent,
first without an API key, then with one (--key). Prints ilb's resident memory and heap (after a full
GC, by jcmd) before and while they stall, how many ilb answered and how, and how long ilb kept the
silent ones open.

    python3 bench/stalled_uploads.py [--connections 24] [--key sk-ilb-demo] [--port 8080]
"""
import argparse
import re
import socket
import subprocess
import threading
import time

MIB = 1024 * 1024


def ilb_pid(port):
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    match = re.search(r"pid=(\d+)", out)
    if not match:
        raise SystemExit(f"nothing listens on port {port}: start ilb first (mvn compile camel:run)")
    return int(match.group(1))


def memory(pid):
    """Resident set and heap in use after a full GC, in MiB."""
    subprocess.run(["jcmd", str(pid), "GC.run"], capture_output=True)
    heap = subprocess.run(["jcmd", str(pid), "GC.heap_info"], capture_output=True, text=True).stdout
    used = re.search(r"used (\d+)K", heap)
    with open(f"/proc/{pid}/status") as status:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1))
    return rss / 1024, (int(used.group(1)) / 1024 if used else float("nan"))


def upload(port, key, body_bytes, outcome):
    sock = socket.create_connection(("127.0.0.1", port))
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nhost: ilb\r\ncontent-type: application/json\r\n"
            + (f"authorization: Bearer {key}\r\n" if key else "")
            + f"content-length: {32 * MIB}\r\n\r\n")
    started = time.monotonic()
    try:
        sock.sendall(head.encode())
        chunk = b"x" * MIB
        for _ in range(body_bytes // MIB):
            sock.sendall(chunk)
        outcome["sent"] = True
    except OSError as e:
        outcome["sent"] = False
        outcome["error"] = type(e).__name__
    outcome["socket"] = sock
    outcome["started"] = started


def read_answer(outcome, timeout):
    """What ilb answered (status line) and when it closed the connection, waiting at most timeout seconds."""
    sock = outcome["socket"]
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            got = sock.recv(65536)
            if not got:
                break
            data += got
    except socket.timeout:
        outcome["closed_after"] = None
    except OSError:
        pass
    if "closed_after" not in outcome:
        outcome["closed_after"] = time.monotonic() - outcome["started"]
    outcome["status"] = data.split(b"\r\n", 1)[0].decode(errors="replace") if data else "(nothing)"
    sock.close()


def run(port, pid, connections, key, label, wait):
    before = memory(pid)
    outcomes = [dict() for _ in range(connections)]
    threads = [threading.Thread(target=upload, args=(port, key, 31 * MIB, o)) for o in outcomes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    during = memory(pid)
    readers = [threading.Thread(target=read_answer, args=(o, wait)) for o in outcomes]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    statuses = {}
    for o in outcomes:
        statuses[o["status"]] = statuses.get(o["status"], 0) + 1
    closed = [o["closed_after"] for o in outcomes if o["closed_after"] is not None]
    print(f"{label}: {connections} connections, each the head of a 32 MiB POST and 31 MiB of body, then silent")
    print(f"  ilb before: RSS {before[0]:.0f} MiB, heap after GC {before[1]:.0f} MiB")
    print(f"  while they stall: RSS {during[0]:.0f} MiB, heap after GC {during[1]:.0f} MiB")
    print(f"  answers: {statuses}")
    print(f"  closed by ilb: {len(closed)} of {connections}"
          + (f", the last {max(closed):.1f} s after it opened" if closed else "")
          + (f"; {connections - len(closed)} still open after {wait} s" if len(closed) < connections else ""))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--connections", type=int, default=24)
    parser.add_argument("--key", default="sk-ilb-demo")
    parser.add_argument("--wait", type=int, default=65, help="seconds to wait for ilb to close them")
    args = parser.parse_args()
    pid = ilb_pid(args.port)
    run(args.port, pid, args.connections, None, "without a key", args.wait)
    run(args.port, pid, args.connections, args.key, "with a key", args.wait)


if __name__ == "__main__":
    main()
