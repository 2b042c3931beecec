#!/usr/bin/env python3
"""Holds N idle keep-alive client connections to a gateway, for the RSS measurement.

Opens N TCP connections to HOST:PORT (at most --parallel handshakes/requests in flight), sends one
keep-alive GET on each (with `X-Auth: Bearer <token>` when --token-file is given), reads the
response (Content-Length framed), and keeps every connection open. When all are done it writes
`{"open": n, "failed": m, "statuses": {...}, "seconds": s}` to --ready-file, then holds them until
SIGTERM/SIGINT or --hold seconds, and closes them. Raises its own RLIMIT_NOFILE to the hard limit.

Usage: idle_conns.py --port P --count 10000 --ready-file F [--token-file T] [--hold 120]"""
import argparse
import asyncio
import json
import os
import resource
import signal
import time


async def one(host, port, request, sem, conns, stats):
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await asyncio.wait_for(reader.readexactly(length), 10)
            stats[status] = stats.get(status, 0) + 1
            conns.append(writer)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            stats["failed:" + type(e).__name__] = stats.get("failed:" + type(e).__name__, 0) + 1


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--parallel", type=int, default=200)
    ap.add_argument("--token-file")
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--hold", type=float, default=120)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    auth = b""
    if a.token_file:
        auth = b"X-Auth: Bearer " + open(a.token_file, "rb").readline().strip() + b"\r\n"
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n" % (a.port, auth)
    sem = asyncio.Semaphore(a.parallel)
    conns, stats = [], {}
    t0 = time.monotonic()
    await asyncio.gather(*(one(a.host, a.port, request, sem, conns, stats) for _ in range(a.count)))
    failed = sum(v for k, v in stats.items() if isinstance(k, str))
    with open(a.ready_file + ".tmp", "w") as f:
        json.dump({"open": len(conns), "failed": failed, "statuses": {str(k): v for k, v in stats.items()},
                   "seconds": round(time.monotonic() - t0, 2), "nofile": hard}, f)
    os.rename(a.ready_file + ".tmp", a.ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), a.hold)
    except asyncio.TimeoutError:
        pass
    for w in conns:
        w.close()


if __name__ == "__main__":
    asyncio.run(main())
