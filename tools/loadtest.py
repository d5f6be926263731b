#!/usr/bin/env python3
"""Connection-limit checks for `msg-gen serve` on loopback (run by tools/loadtest.sh --limits).

Starts the server with the open-file limit at 128 (so the connection cap is
derived: 128 - 32 = 96), then:
  1. holds 200 idle TCP connections and times GET /healthz (goal: < 1 s);
  2. opens 500 slowloris connections (one header byte every 2 s) and counts
     how many the server has closed after --header-timeout (goal: all),
     timing /healthz meanwhile.
Bounded in time (about 20 s); nothing leaves 127.0.0.1.
"""
import re, resource, socket, subprocess, sys, time

def healthz(port, timeout=5.0):
    t0 = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        ok = data.startswith(b"HTTP/1.1 200")
    except OSError as e:
        ok = False
    return ok, (time.monotonic() - t0) * 1000

def main():
    binary = sys.argv[1]
    weights = sys.argv[2:]  # optional --weights FILE
    header_timeout = 3
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))  # this client's own sockets
    help_text = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True).stdout
    limits = ["--header-timeout", str(header_timeout)] if "--header-timeout" in help_text else []  # older builds: none
    cmd = ["bash", "-c", 'ulimit -n 128 && exec "$@"', "serve", binary, "serve", "--port", "0",
           "--log-level", "notice"] + limits + weights
    server = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        port, line = None, ""
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            line = server.stderr.readline()
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
        if port is None:
            print("server did not start"); return 1
        cap = re.search(r"max_connections=(\d+)", line)
        print(f"# ulimit -n 128: server logged max_connections={cap.group(1) if cap else '?'}")
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(200)]
        time.sleep(0.5)
        ok, ms = healthz(port)
        print(f"200 idle connections held: /healthz {'200' if ok else 'FAILED'} in {ms:.0f} ms (goal < 1000 ms: {'met' if ok and ms < 1000 else 'MISSED'})")
        for s in idle:
            s.close()
        time.sleep(0.5)
        slow, refused = [], 0
        for _ in range(500):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
                s.sendall(b"GET /healthz HTTP/1.1\r\n")
            except OSError:
                refused += 1  # a wedged server stops accepting
                continue
            s.setblocking(False)
            slow.append(s)
        if refused:
            print(f"500 slowloris connections: {refused} could not even connect")
        ok, ms = healthz(port)
        start = time.monotonic()
        closed = set()
        while time.monotonic() - start < header_timeout + 6 and len(closed) < len(slow):
            for i, s in enumerate(slow):
                if i in closed:
                    continue
                try:
                    s.send(b"X")  # one header byte per round
                    data = s.recv(4096)
                    if data == b"" or data.startswith(b"HTTP/1.1 408"):
                        closed.add(i)
                except BlockingIOError:
                    pass
                except OSError:
                    closed.add(i)
            time.sleep(2)
        print(f"500 slowloris connections: /healthz {'200' if ok else 'FAILED'} in {ms:.0f} ms while they dripped; "
              f"{len(closed)} of {len(slow)} closed within {header_timeout + 6} s (--header-timeout {header_timeout}; goal: all: "
              f"{'met' if len(closed) == len(slow) else 'MISSED'})")
        for s in slow:
            s.close()
        return 0
    finally:
        server.terminate()
        server.wait(timeout=30)

if __name__ == "__main__":
    sys.exit(main())
