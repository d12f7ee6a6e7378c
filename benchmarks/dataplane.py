"""Data-plane cost per request: Envoy CPU, throughput and p99 for the same work done by built-in filters,
Lua, the kgw wasm filter and the kgw native module, against no filter (docs/performance.md, "Data plane").

    .venv/bin/python benchmarks/dataplane.py [--quick] [--rounds 15] [--duration 2] [--connections 8]

Needs Debian's `wrk` (`apt-get install -y wrk`) and the checkout's .venv (`./scripts/test` makes it: the
editable install, Envoy from PyPI, the pinned Zig for variant (f)). One Envoy under test (--concurrency 1)
holds one listener per variant; every route proxies to a second Envoy answering 200 by direct_response on
loopback (a fast C++ upstream; its CPU is not counted). wrk (1 thread, fixed connections) loads one
variant at a time; all variants of both workloads are interleaved in every round, in a rotated order, so
drift in machine load hits them alike. Envoy CPU per request = (utime + stime of the Envoy process over
the wrk window) / requests wrk completed. Ratios are taken against the workload's no-filter baseline of
the same round, then the median over rounds is reported.
Workload *edit* (dataplane_configs.py): 5 header edits and a path rewrite. Workload *compute*
(dataplane_compute.py): a regex capture, two header conditionals, a query edit, a header from the capture.
Variant (f) is benchmarks/floor_filter.zig: the host calls (d) makes for the edit workload and nothing
else, i.e. what the proxy-wasm ABI costs before the filter computes anything.
The last two lines are the ones scripts track:
    dataplane: kgw/none=... lua/none=... header_mutation/none=... rules_off/none=... native/none=...
    dataplane-compute: kgw/none=... lua/none=... native/none=...
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
# `tests.e2e.envoy` holds the Envoy config builders and process wrapper; reuse it rather than copy it.
sys.path.insert(0, str(ROOT))
from benchmarks.measure import run_reported, wrk_arguments, wrk_settings  # noqa: E402  (after the path)

TICK = os.sysconf("SC_CLK_TCK")
LABELS = {"none": "(a) no filter", "header_mutation": "(b) header_mutation", "lua": "(c) lua",
          "kgw": "(d) kgw wasm", "rules_off": "(e) kgw wasm, route without rules", "floor": "(f) host calls only",
          "native": "(g) kgw native", "native_off": "(h) kgw native, route without rules",
          "c_none": "compute: no filter", "c_lua": "compute: lua", "c_kgw": "compute: kgw wasm",
          "c_native": "compute: kgw native"}
FLOOR_SRC = pathlib.Path(__file__).with_name("floor_filter.zig")


def preflight() -> str | None:
    """Why the benchmark cannot run here, with the fix; None when it can."""
    if not shutil.which("wrk"):
        return "wrk not found: install it with `apt-get install -y wrk` (Debian's package)"
    try:
        import kgw_rules  # noqa: F401
        from tests.e2e.envoy import ENVOY
    except ImportError as e:
        return (f"cannot import kgw ({e}): run ./scripts/test once (it creates .venv with the editable install), "
                "then run this script with .venv/bin/python")
    if not pathlib.Path(ENVOY).exists():
        return "envoy not found: it comes with the test extras (`.venv/bin/pip install -e '.[test]'`)"
    if importlib.util.find_spec("ziglang") is None:
        return "the pinned Zig is missing (variant (f) is built here): `.venv/bin/pip install -e '.[test]'`"
    return None


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of the process (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Plan:
    """Where each variant is served and what it must do to the request."""

    def __init__(self, ports: dict[str, int]):
        from benchmarks import dataplane_compute as cmp
        from benchmarks import dataplane_configs as cfg

        self.cfg, self.cmp, self.ports = cfg, cmp, ports
        self.variants = list(cfg.VARIANTS) + list(cmp.VARIANTS)

    def url(self, v: str) -> str:
        if v in self.cmp.VARIANTS:
            return f"http://127.0.0.1:{self.ports[self.cmp.VARIANTS[v]]}" + self.cmp.URL
        port = self.ports[self.cfg.SHARED_LISTENER.get(v, v)]
        return f"http://127.0.0.1:{port}" + (self.cfg.URL_OFF if v in self.cfg.SHARED_LISTENER else self.cfg.URL)

    def headers(self, v: str) -> dict[str, str]:
        return self.cmp.HEADERS if v in self.cmp.VARIANTS else self.cfg.HEADERS

    def expected(self, v: str) -> dict[str, str]:
        if v == "c_none":
            return {"path": self.cmp.URL}
        if v in self.cmp.VARIANTS:
            return self.cmp.EXPECTED
        if v in ("none", *self.cfg.SHARED_LISTENER):
            path = self.cfg.URL_OFF if v in self.cfg.SHARED_LISTENER else self.cfg.URL
            return {"path": path, "x-remove-me": "secret", "x-old": "moved"}
        return {"path": "/v2/items/42?page=1", "x-a": "1", "x-b": "2", "x-c": "3", "x-new": "moved"}


def check(plan: Plan, instances: int) -> None:
    """Each variant must really do its work (or, for the baselines, none): the upstream echoes the request
    it received in x-echo-* headers when asked with x-bench-check. With several instances per chain,
    added headers may carry one value per instance: only the first is compared."""
    for v in plan.variants:  # (f) hard-codes the results, so this checks its calls land where (d)'s do
        req = urllib.request.Request(plan.url(v), headers={**plan.headers(v), "x-bench-check": "1"})
        with urllib.request.urlopen(req, timeout=5) as r:
            got = {k[len("x-echo-"):]: val for k, val in r.headers.items() if k.startswith("x-echo-")}
        if instances > 1:
            got = {k: val.split(",")[0] for k, val in got.items()}
        if got != plan.expected(v):
            raise SystemExit(f"variant {v}: upstream received {got}, expected {plan.expected(v)}")


def wrk(target: str, headers: dict[str, str], duration: int, connections: int) -> dict:
    """One bounded wrk run; requests, throughput and p99 (ms) from its --latency report."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [target], capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors against {target}:\n{out}")
    n = int(re.search(r"(\d+) requests in", out).group(1))
    val, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    p99 = float(val) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    return {"requests": n, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p99": p99}


def measure(pid: int, plan: Plan, v: str, duration: int, connections: int) -> dict:
    return measure_url(pid, plan.url(v), plan.headers(v), duration, connections)


def measure_url(pid: int, url: str, headers: dict[str, str], duration: int, connections: int) -> dict:
    """One wrk run against `url`, with the CPU process `pid` spent per request (`cpu_us`)."""
    c0 = cpu_seconds(pid)
    r = wrk(url, headers, duration, connections)
    r["cpu_us"] = (cpu_seconds(pid) - c0) / r["requests"] * 1e6
    return r


def build_floor(out: pathlib.Path) -> str:
    """Compile (f) with the pinned Zig, as the kgw filter is built (kgw_rules/build_filter.py)."""
    from kgw_rules.build_filter import zig_command
    cmd = [*zig_command(), "build-exe", str(FLOOR_SRC), "-target", "wasm32-freestanding", "-O", "ReleaseSmall",
           "-fstrip", "-fno-entry", "-rdynamic", "--cache-dir", str(out.parent / "zig-cache"),
           "--global-cache-dir", str(out.parent / "zig-gcache"), f"-femit-bin={out}"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit("building benchmarks/floor_filter.zig failed:\n" + res.stderr)
    return str(out)


def run(args) -> dict[str, list[dict]]:
    from benchmarks import dataplane_compute as cmp
    from benchmarks import dataplane_configs as cfg
    from tests.e2e.envoy import Envoy, free_port

    ports = {v: free_port() for v in cfg.VARIANTS if v not in cfg.SHARED_LISTENER}
    ports |= {name: free_port() for name in cmp.VARIANTS.values() if name != "none"}
    plan = Plan(ports)
    up_port = free_port()
    results: dict[str, list[dict]] = {v: [] for v in plan.variants}
    n = len(plan.variants)
    with tempfile.TemporaryDirectory(prefix="kgw-dataplane-") as tmp:
        tmpdir = pathlib.Path(tmp)
        floor = build_floor(tmpdir / "floor.wasm")
        listeners = cfg.proxy_listeners(ports, floor, args.instances, args.kgw_wasm) + \
            cmp.listeners(ports, args.kgw_wasm)
        with Envoy([cfg.upstream_listener(up_port)], [], tmpdir), \
                Envoy(listeners, [cfg.upstream_cluster(up_port)], tmpdir, native=True) as proxy:
            pid = proxy.proc.pid
            # the venv's `envoy` is a Python shim that execs the binary: the pid must be Envoy itself
            assert pathlib.Path(f"/proc/{pid}/comm").read_text().strip() == "envoy"
            check(plan, args.instances)
            for v in plan.variants:  # warm V8, Lua and the upstream connection pool
                wrk(plan.url(v), plan.headers(v), args.warmup, args.connections)
            for rnd in range(args.rounds):
                order = plan.variants[rnd % n:] + plan.variants[:rnd % n]
                for v in order:
                    results[v].append(measure(pid, plan, v, args.duration, args.connections))
                print(f"round {rnd + 1}/{args.rounds}: " + " ".join(
                    f"{v}={results[v][-1]['cpu_us']:.1f}us" for v in plan.variants), flush=True)
    return results


def _baseline(v: str) -> str:
    return "c_none" if v.startswith("c_") else "none"


def report(results: dict[str, list[dict]], instances: int = 1) -> list[str]:
    med = statistics.median
    variants = list(results)
    # ratio per round against the same round's baseline, then the median: slow drift cancels out
    rounds = {v: list(zip(results[v], results[_baseline(v)], strict=True)) for v in variants}
    ratio = {v: med(r["cpu_us"] / b["cpu_us"] for r, b in rounds[v]) for v in variants}
    p99r = {v: med(r["p99"] / b["p99"] for r, b in rounds[v]) for v in variants}
    print(f"\n{'variant':<36} {'CPU us/req':>10} {'ratio':>6} {'req/s':>8} {'p99 ms':>7} {'p99 ratio':>9}")
    for v in variants:
        rs = results[v]
        spread = max(r["cpu_us"] for r in rs) - min(r["cpu_us"] for r in rs)
        print(f"{LABELS[v]:<36} {med(r['cpu_us'] for r in rs):>10.2f} {ratio[v]:>6.2f} "
              f"{med(r['rps'] for r in rs):>8.0f} {med(r['p99'] for r in rs):>7.3f} {p99r[v]:>9.2f}"
              f"   (CPU range over rounds {spread:.2f} us)")
    if instances > 1:
        print(f"\nper filter instance ({instances} per chain; median of (variant - none) / {instances} over rounds):")
        for v in variants:
            if v not in ("none", "c_none") and not v.startswith("c_"):
                each = med((r["cpu_us"] - b["cpu_us"]) / instances for r, b in rounds[v])
                print(f"{LABELS[v]:<36} {each:>+10.2f} us")
    edit = ("kgw", "lua", "header_mutation", "rules_off", "native")
    compute = ("c_kgw", "c_lua", "c_native")
    return ["dataplane: " + " ".join(f"{v}/none={ratio[v]:.2f}" for v in edit),
            "dataplane-compute: " + " ".join(f"{v[2:]}/none={ratio[v]:.2f}" for v in compute)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wrk_arguments(ap, rounds=15, quick_rounds=6, quick_help="about 3 minutes")
    ap.add_argument("--kgw-wasm", help="another build of the wasm filter for (d), (e) and compute, e.g. an older "
                                       "commit's")
    ap.add_argument("--instances", type=int, default=1,
                    help="copies of each filter per chain; >1 also reports each copy's cost, (variant - none) / N")
    args = ap.parse_args(argv)
    return run_reported("dataplane benchmark", preflight(), wrk_settings(args),
                        lambda: report(run(args), args.instances))

if __name__ == "__main__":
    sys.exit(main())
