#!/usr/bin/env python3
"""One benchmark measurement: probe the answers, warm up, run wrk, and account CPU from /proc.

1. Probe: a few requests with http.client (the single token, or the first/middle/last of the token
   list) must get --expect; otherwise exit 3 (a benchmark of wrong answers is worthless).
2. Warm-up: wrk for --warmup seconds, not recorded.
3. Measured run: wrk (pinned with taskset to --wrk-cpus) for --duration seconds. Before and after,
   utime+stime of the gateway and of nginx from /proc/<pid>/stat (clock ticks, CLK_TCK), and the
   machine's /proc/stat; wrk's own CPU from its rusage (os.wait4).
4. Check: with --expect 200 no response may be non-2xx/3xx; with 401/403 every response must be
   (wrk only counts non-2xx/3xx; the probe pinned down which status). Socket errors above 0.1% of
   the requests also fail the run. Exit 3 on a failure, after printing why.
5. Append one JSON object (the run) to --out.

Environment: BENCH_TOKEN / BENCH_TOKENS are passed to wrk (see wrk.lua) and used by the probe."""
import argparse
import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TCK = os.sysconf("SC_CLK_TCK")


def proc_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the comm field: state is fields[0]; utime, stime are stat fields 14, 15.
    return int(fields[11]) + int(fields[12])


def machine() -> dict:
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            name, *v = line.split()
            v = [int(x) for x in v[:8]]
            total = sum(v)
            idle = v[3] + v[4]
            out[name] = (total - idle, total)
    return out


def diagnose(pid: int, url: str) -> str:
    """What the gateway is doing, for a failed run: state, per-thread wait channel, descriptors,
    and every process listening on the port (SO_REUSEPORT would let another one share it)."""
    out = []
    try:
        state = [l for l in open(f"/proc/{pid}/status") if l.startswith(("State", "VmRSS", "Threads"))]
        out.append(" ".join(x.strip() for x in state))
        for t in sorted(os.listdir(f"/proc/{pid}/task")):
            comm = open(f"/proc/{pid}/task/{t}/comm").read().strip()
            wchan = open(f"/proc/{pid}/task/{t}/wchan").read().strip()
            stat = open(f"/proc/{pid}/task/{t}/stat").read().rsplit(")", 1)[1].split()
            out.append(f"thread {t} {comm}: state {stat[0]} wchan {wchan or '-'}")
        out.append(f"open descriptors: {len(os.listdir(f'/proc/{pid}/fd'))}")
    except OSError as e:
        out.append(f"/proc/{pid}: {e}")
    port = urllib.parse.urlsplit(url).port
    ss = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True)
    out.append(f"listening on {port}:\n" + ss.stdout.strip())
    ss = subprocess.run(["ss", "-Htn", "state", "established", f"dport = :{port}"], capture_output=True, text=True)
    out.append(f"established client connections to {port}: {len(ss.stdout.splitlines())}")
    return "\n".join(out)


def tokens_to_probe() -> list:
    single = os.environ.get("BENCH_TOKEN")
    many = os.environ.get("BENCH_TOKENS")
    if single:
        return [open(single).readline().strip()]
    if many:
        toks = [t.strip() for t in open(many) if t.strip()]
        return [toks[0], toks[len(toks) // 2], toks[-1]]
    return [None]


def probe(url: str, expect: int) -> list:
    u = urllib.parse.urlsplit(url)
    problems = []
    for tok in tokens_to_probe():
        if u.scheme == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=5, context=ctx)
        else:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        headers = {"X-Auth": "Bearer " + tok} if tok else {}
        try:
            conn.request("GET", u.path or "/", headers=headers)
            r = conn.getresponse()
            body = r.read()
            if r.status != expect:
                problems.append(f"probe got {r.status} (wanted {expect}): {body[:200]!r}")
        except OSError as e:
            problems.append(f"probe failed: {e}")
        finally:
            conn.close()
    return problems


def wrk(args, seconds: float):
    cmd = ["taskset", "-c", args.wrk_cpus, "wrk", "-t", str(args.threads), "-c",
           str(args.connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "5s", "-s",
           os.path.join(HERE, "wrk.lua"), args.url]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + seconds + 60
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            p.kill()
            pid, status, ru = os.wait4(p.pid, 0)
            raise SystemExit(f"measure.py: wrk did not finish within {seconds + 60:.0f} s")
        time.sleep(0.05)
    out = p.stdout.read()
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, out, ru.ru_utime + ru.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--round", type=int, required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--expect", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True, help="process whose CPU is accounted")
    ap.add_argument("--nginx-pid", type=int, required=True)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--wrk-cpus", default="1")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    tag = f"{args.gateway}/{args.workload} round {args.round}"

    problems = probe(args.url, args.expect)
    if problems:
        print(f"FAIL {tag}: " + "; ".join(problems) + "\n" + diagnose(args.pid, args.url), file=sys.stderr)
        return 3
    if args.warmup > 0:
        rc, out, _ = wrk(args, args.warmup)
        if rc != 0:
            print(f"FAIL {tag}: warm-up wrk exited {rc}:\n{out}", file=sys.stderr)
            return 3

    g0, n0, m0, t0 = proc_ticks(args.pid), proc_ticks(args.nginx_pid), machine(), time.monotonic()
    rc, out, wrk_cpu = wrk(args, args.duration)
    g1, n1, m1, t1 = proc_ticks(args.pid), proc_ticks(args.nginx_pid), machine(), time.monotonic()
    m = re.search(r"^BENCH_JSON (\{.*\})$", out, re.M)
    if rc != 0 or not m:
        print(f"FAIL {tag}: wrk exited {rc} without a summary:\n{out}", file=sys.stderr)
        return 3
    r = json.loads(m.group(1))
    wall = t1 - t0
    requests = r["requests"]
    secs = r["duration_us"] / 1e6
    gw_cpu = (g1 - g0) / TCK
    ncores = len(m0) - 1
    busy = {k: (m1[k][0] - m0[k][0]) / max(1, m1[k][1] - m0[k][1]) for k in m0}
    machine_busy_s = (m1["cpu"][0] - m0["cpu"][0]) / TCK
    rec = {
        "gateway": args.gateway, "workload": args.workload, "round": args.round,
        "url": args.url, "expect": args.expect, "connections": args.connections,
        "wrk_threads": args.threads, "duration_s": secs, "requests": requests,
        "rps": requests / secs if secs else 0.0,
        "p50_us": r["p50_us"], "p90_us": r["p90_us"], "p99_us": r["p99_us"],
        "p999_us": r["p999_us"], "mean_us": r["mean_us"], "max_us": r["max_us"],
        "gw_cpu_s": gw_cpu,
        "cpu_us_per_req": gw_cpu * 1e6 / requests if requests else None,
        "gw_cpu_util": gw_cpu / wall,
        "nginx_cpu_util": (n1 - n0) / TCK / wall,
        "wrk_cpu_util": wrk_cpu / wall,
        "machine_busy": busy["cpu"],
        "core_busy": {k: v for k, v in busy.items() if k != "cpu"},
        "others_cpu_util": max(0.0, machine_busy_s - gw_cpu - (n1 - n0) / TCK - wrk_cpu) / wall,
        "ncores": ncores,
        "non_2xx_3xx": r["non_2xx_3xx"],
        "socket_errors": {k: r[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")},
    }
    if args.gateway == "upstream":
        rec["nginx_cpu_util"] = rec["gw_cpu_util"]
    fails = []
    if requests == 0:
        fails.append("no request completed")
    elif args.expect < 300 and r["non_2xx_3xx"] != 0:
        fails.append(f"{r['non_2xx_3xx']} of {requests} responses were not 2xx/3xx (wanted {args.expect})")
    elif args.expect >= 400 and r["non_2xx_3xx"] != requests:
        fails.append(f"{requests - r['non_2xx_3xx']} of {requests} responses were 2xx/3xx (wanted {args.expect})")
    sock = sum(rec["socket_errors"].values())
    if requests and sock > requests * 0.001:
        fails.append(f"{sock} socket errors for {requests} requests: {rec['socket_errors']}")
    rec["ok"] = not fails
    with open(args.out, "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(f"  {tag:<34} {rec['rps']:>9.0f} req/s  p50 {r['p50_us']:>6} µs  p99 {r['p99_us']:>6} µs  "
          f"gw CPU {rec['cpu_us_per_req'] or 0:>6.1f} µs/req ({rec['gw_cpu_util']:.0%})  "
          f"wrk {rec['wrk_cpu_util']:.0%} nginx {rec['nginx_cpu_util']:.0%} others {rec['others_cpu_util']:.0%}",
          flush=True)
    if fails:
        print(f"FAIL {tag}: " + "; ".join(fails) + f"\nwrk output:\n{out}\n" + diagnose(args.pid, args.url),
              file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
