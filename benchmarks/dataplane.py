"""Data-plane cost per request: Envoy CPU, throughput and p99 for the same transformation done natively,
in Lua and by the kgw filter, against no filter (docs/performance.md, "Data plane: cost per request").

    python benchmarks/dataplane.py [--quick] [--rounds 15] [--duration 2] [--connections 8]

Needs Debian's `wrk` (`apt-get install wrk`). One Envoy under test (--concurrency 1) holds one listener per
variant; every route proxies to a second Envoy answering 200 by direct_response on loopback (a fast C++
upstream; its CPU is not counted). wrk (1 thread, fixed connections) loads one variant at a time; the
variants are interleaved in every round, in a rotated order, so drift in machine load hits them alike.
Envoy CPU per request = (utime + stime of the Envoy process over the wrk window) / requests wrk completed.
Ratios are taken against (a) `none` of the same round, then the median over rounds is reported.
Variant (f) is benchmarks/floor_filter.zig, built here with the pinned Zig: the host calls (d) makes for
this transformation and nothing else, i.e. what the proxy-wasm ABI costs before the filter computes anything.
The last line is the one scripts track:
    dataplane: kgw/none=... lua/none=... header_mutation/none=... rules_off/none=...
"""
from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

# `tests.e2e.envoy` holds the Envoy config builders and process wrapper; reuse it rather than copy it.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from benchmarks import dataplane_configs as cfg  # noqa: E402
from tests.e2e.envoy import Envoy, free_port  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
LABELS = {"none": "(a) no filter", "header_mutation": "(b) header_mutation", "lua": "(c) lua",
          "kgw": "(d) kgw", "rules_off": "(e) kgw, route without rules", "floor": "(f) host calls only"}
FLOOR_SRC = pathlib.Path(__file__).with_name("floor_filter.zig")


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of the process (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def url(ports: dict[str, int], variant: str) -> str:
    port = ports["kgw" if variant == "rules_off" else variant]
    return f"http://127.0.0.1:{port}" + (cfg.URL_OFF if variant == "rules_off" else cfg.URL)


def check(ports: dict[str, int], instances: int) -> None:
    """Each variant must really do the transformation (or, for the baselines, none): the upstream echoes
    the request it received in x-echo-* headers when asked with x-bench-check. With several instances
    per chain, added headers may carry one value per instance: only the first is compared."""
    done = {"path": "/v2/items/42?page=1", "x-a": "1", "x-b": "2", "x-c": "3", "x-new": "moved"}
    for v in cfg.VARIANTS:  # (f) hard-codes the results, so this checks its calls land where (d)'s do
        req = urllib.request.Request(url(ports, v), headers={**cfg.HEADERS, "x-bench-check": "1"})
        with urllib.request.urlopen(req, timeout=5) as r:
            got = {k[len("x-echo-"):]: val for k, val in r.headers.items() if k.startswith("x-echo-")}
        if instances > 1:
            got = {k: val.split(",")[0] for k, val in got.items()}
        if v in ("none", "rules_off"):
            want = {"path": cfg.URL_OFF if v == "rules_off" else cfg.URL, "x-remove-me": "secret", "x-old": "moved"}
        else:
            want = done
        if got != want:
            raise SystemExit(f"variant {v}: upstream received {got}, expected {want}")


def wrk(target: str, duration: int, connections: int) -> dict:
    """One bounded wrk run; requests, throughput and p99 (ms) from its --latency report."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    for k, v in cfg.HEADERS.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [target], capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors against {target}:\n{out}")
    n = int(re.search(r"(\d+) requests in", out).group(1))
    val, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    p99 = float(val) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    return {"requests": n, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p99": p99}


def measure(pid: int, target: str, duration: int, connections: int) -> dict:
    c0 = cpu_seconds(pid)
    r = wrk(target, duration, connections)
    r["cpu_us"] = (cpu_seconds(pid) - c0) / r["requests"] * 1e6
    return r


def build_floor(out: pathlib.Path) -> str:
    """Compile (f) with the pinned Zig, as the kgw filter is built (kgw_rules/build_filter.py)."""
    from kgw_rules.build_filter import zig_command
    cmd = [*zig_command(), "build-exe", str(FLOOR_SRC), "-target", "wasm32-freestanding", "-O", "ReleaseSmall",
           "-fstrip", "-fno-entry", "-rdynamic", "--cache-dir", str(out.parent / "zig-cache"),
           "--global-cache-dir", str(out.parent / "zig-gcache"), f"-femit-bin={out}"]
    subprocess.run(cmd, check=True, capture_output=True)
    return str(out)


def run(args) -> dict[str, list[dict]]:
    ports = {v: free_port() for v in cfg.VARIANTS if v != "rules_off"}
    up_port = free_port()
    results: dict[str, list[dict]] = {v: [] for v in cfg.VARIANTS}
    n = len(cfg.VARIANTS)
    with tempfile.TemporaryDirectory(prefix="kgw-dataplane-") as tmp:
        tmpdir = pathlib.Path(tmp)
        floor = build_floor(tmpdir / "floor.wasm")
        with Envoy([cfg.upstream_listener(up_port)], [], tmpdir), \
                Envoy(cfg.proxy_listeners(ports, floor, args.instances, args.kgw_wasm), [cfg.upstream_cluster(up_port)],
                      tmpdir) as proxy:
            pid = proxy.proc.pid
            # the venv's `envoy` is a Python shim that execs the binary: the pid must be Envoy itself
            assert pathlib.Path(f"/proc/{pid}/comm").read_text().strip() == "envoy"
            check(ports, args.instances)
            for v in cfg.VARIANTS:  # warm V8, Lua and the upstream connection pool
                wrk(url(ports, v), args.warmup, args.connections)
            for rnd in range(args.rounds):
                order = cfg.VARIANTS[rnd % n:] + cfg.VARIANTS[:rnd % n]
                for v in order:
                    results[v].append(measure(pid, url(ports, v), args.duration, args.connections))
                print(f"round {rnd + 1}/{args.rounds}: " + " ".join(
                    f"{v}={results[v][-1]['cpu_us']:.1f}us" for v in cfg.VARIANTS), flush=True)
    return results


def report(results: dict[str, list[dict]], instances: int = 1) -> str:
    med = statistics.median
    # ratio per round against the same round's baseline, then the median: slow drift cancels out
    rounds = {v: list(zip(results[v], results["none"], strict=True)) for v in cfg.VARIANTS}
    ratio = {v: med(r["cpu_us"] / b["cpu_us"] for r, b in rounds[v]) for v in cfg.VARIANTS}
    p99r = {v: med(r["p99"] / b["p99"] for r, b in rounds[v]) for v in cfg.VARIANTS}
    print(f"\n{'variant':<30} {'CPU us/req':>10} {'ratio':>6} {'req/s':>8} {'p99 ms':>7} {'p99 ratio':>9}")
    for v in cfg.VARIANTS:
        rs = results[v]
        spread = max(r["cpu_us"] for r in rs) - min(r["cpu_us"] for r in rs)
        print(f"{LABELS[v]:<30} {med(r['cpu_us'] for r in rs):>10.2f} {ratio[v]:>6.2f} "
              f"{med(r['rps'] for r in rs):>8.0f} {med(r['p99'] for r in rs):>7.3f} {p99r[v]:>9.2f}"
              f"   (CPU range over rounds {spread:.2f} us)")
    if instances > 1:
        print(f"\nper filter instance ({instances} per chain; median of (variant - none) / {instances} over rounds):")
        for v in cfg.VARIANTS[1:]:
            each = med((r["cpu_us"] - b["cpu_us"]) / instances for r, b in rounds[v])
            print(f"{LABELS[v]:<30} {each:>+10.2f} us")
    tracked = ("kgw", "lua", "header_mutation", "rules_off")
    return "dataplane: " + " ".join(f"{v}/none={ratio[v]:.2f}" for v in tracked)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="8 rounds (about 105 s)")
    ap.add_argument("--rounds", type=int, default=15)
    # many short windows rather than a few long ones: on a shared machine the load changes within seconds,
    # and the per-round ratio only cancels what (a) and the variant both saw
    ap.add_argument("--duration", type=int, default=2, help="seconds per variant per round")
    ap.add_argument("--warmup", type=int, default=1, help="seconds per variant before the rounds")
    ap.add_argument("--connections", type=int, default=8, help="wrk connections (the fixed concurrency)")
    ap.add_argument("--kgw-wasm", help="another build of the filter for (d) and (e), e.g. an older commit's")
    ap.add_argument("--instances", type=int, default=1,
                    help="copies of each filter per chain; >1 also reports each copy's cost, (variant - none) / N")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds = 8
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk")
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; {args.rounds} rounds x "
          f"{args.duration:g} s per variant, wrk -t1 -c{args.connections}", flush=True)
    t0 = time.time()
    results = run(args)
    line = report(results, args.instances)
    print(f"load average after: {os.getloadavg()[0]:.2f}; wall {time.time() - t0:.0f} s")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
