"""Reconfiguration latency of `kgw up` with a real Envoy.

    python benchmarks/reconfig.py [--routes 1000] [--files 10] [--edits 20] [--xds-protocol delta|sotw]
                                  [--policies N] [--append-docs docs/performance.md]

Measures (1) startup: from `kgw up` starting to every Envoy having ACKed the first full push, and Envoy's own
ACK time per xDS type (push -> ACK, from kgw_xds_ack_seconds); (2) reconfiguration: from rewriting one manifest
file (one route's path changes) to Envoy answering 200 on the new path, over --edits edits, with the time
spent loading (kgw_source_load_seconds) and translating (kgw_translation_seconds) beside it. `--policies N`
adds N RoutePolicies (one request header each, in a file of their own) on routes other than the edited ones,
so the run shows what policies cost a route edit.

`kgw up` runs as its own process, as users run it: in-process, this script's polling loop and echo upstream
would compete with the controller for the GIL and the numbers would measure that contention. The poll waits
2 ms between requests so that it does not take a core from the controller and Envoy on a 2-core machine.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kgw_controller import echo

GATEWAY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: kgw}
spec: {controllerName: kgateway.dev/kgateway}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: bench, namespace: default}
spec:
  gatewayClassName: kgw
  listeners: [{name: http, port: 8080, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: echo-1, namespace: default, labels: {kubernetes.io/service-name: echo}}
addressType: IPv4
ports: [{name: http, port: ECHO_PORT}]
endpoints: [{addresses: [127.0.0.1]}]
"""

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: default}}
spec:
  parentRefs: [{{name: bench}}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: {path}}}}}]
    backendRefs: [{{name: echo, port: 80}}]
"""


POLICY = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: RoutePolicy
metadata: {{name: p{n}, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r{n}}}]
  transformation:
    request:
      set: [{{name: x-policy, value: "p{n}"}}]
"""


def policy_targets(routes: int, policies: int, edited: set[int]) -> list[int]:
    """Routes that carry a policy: never one the run edits."""
    return [n for n in range(routes) if n not in edited][:policies]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except OSError:
        return 0
    finally:
        conn.close()


def write_routes(directory: Path, file_index: int, per_file: int, renamed: dict[int, str]) -> None:
    docs = []
    for i in range(per_file):
        n = file_index * per_file + i
        docs.append(ROUTE.format(name=f"r{n}", path=renamed.get(n, f"/r{n}")))
    tmp = directory / f".routes-{file_index}.tmp"
    tmp.write_text("---\n".join(docs))
    tmp.rename(directory / f"routes-{file_index}.yaml")


def metric_sum(text: str, name: str) -> dict[str, float]:
    out = {}
    for m in re.finditer(rf'^{name}(?:\{{(.*?)\}})? ([0-9.e+-]+)$', text, re.M):
        out[m.group(1) or ""] = float(m.group(2))
    return out


@contextlib.contextmanager
def kgw_up(manifests: Path, state: Path, admin_port: int, port_offset: int, protocol: str, timeout: float = 90):
    """A `kgw up` child process, ready (every Envoy ACKed) on entry, stopped with SIGINT on exit."""
    log = open(state.parent / "kgw.log", "w")  # noqa: SIM115 - the controller writes it until it is stopped below
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgw_controller.cli", "up", str(manifests), "--admin", f"127.0.0.1:{admin_port}",
         "--port-offset", str(port_offset), "--state-dir", str(state), "--xds-protocol", protocol,
         "--ready-timeout", str(timeout)],
        stdout=subprocess.DEVNULL, stderr=log, env={**os.environ})
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"kgw up exited with {proc.returncode}: {(state.parent / 'kgw.log').read_text()}")
            try:
                if admin_status(admin_port, "/readyz") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("kgw up never became ready")
            time.sleep(0.01)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process so far: what a change costs, whatever else the machine runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def admin_status(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def admin_text(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    return conn.getresponse().read().decode()


def _type_label(labels: str) -> str:
    return re.search(r'type="(\w+)"', labels).group(1)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--routes", type=int, default=1000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--xds-protocol", choices=("delta", "sotw"), default="delta")
    ap.add_argument("--policies", type=int, default=0, help="RoutePolicies on routes the run does not edit")
    ap.add_argument("--append-docs", type=Path, help="append the results as a section to this markdown file")
    args = ap.parse_args(argv)
    per_file = args.routes // args.files

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        manifests = root / "m"
        manifests.mkdir()
        upstream = echo.start_in_thread("127.0.0.1", 0)
        (manifests / "gateway.yaml").write_text(GATEWAY.replace("ECHO_PORT", str(upstream.server_address[1])))
        for f in range(args.files):
            write_routes(manifests, f, per_file, {})
        edited = {(k * 37) % args.routes for k in range(args.edits)}
        if args.policies:
            targets = policy_targets(args.routes, args.policies, edited)
            if len(targets) < args.policies:
                raise SystemExit(f"--policies {args.policies}: only {len(targets)} routes are not edited")
            (manifests / "policies.yaml").write_text("---\n".join(POLICY.format(n=n) for n in targets))
        gw_port, admin_port = free_port(), free_port()
        t0 = time.perf_counter()
        load_before = os.getloadavg()[0]
        with kgw_up(manifests, root / "state", admin_port, gw_port - 8080, args.xds_protocol) as proc:
            startup = time.perf_counter() - t0
            metrics = admin_text(admin_port, "/metrics")
            ack = {k: v * 1000 for k, v in metric_sum(metrics, "kgw_xds_ack_seconds_sum").items()}
            first_load = metric_sum(metrics, "kgw_source_load_seconds_sum")[""] * 1000
            first_translation = metric_sum(metrics, "kgw_translation_seconds_sum")[""] * 1000
            assert status_of(gw_port, f"/r{args.routes - 1}") == 200, "routes not served"
            served, translations, loads, renamed = [], [], [], {}
            envoy_pid = int(re.search(r'"envoy_pid": (\d+)', admin_text(admin_port, "/status")).group(1))
            cpu_before = cpu_seconds(proc.pid), cpu_seconds(envoy_pid)
            for k in range(args.edits):
                n = (k * 37) % args.routes
                renamed[n] = f"/edit{k}"
                m = admin_text(admin_port, "/metrics")
                before = (metric_sum(m, "kgw_translation_seconds_sum")[""],
                          metric_sum(m, "kgw_source_load_seconds_sum")[""])
                t_edit = time.perf_counter()
                write_routes(manifests, n // per_file, per_file, renamed)
                while status_of(gw_port, f"/edit{k}") != 200:
                    if time.perf_counter() - t_edit > 20:
                        raise SystemExit(f"edit {k} not served after 20 s")
                    time.sleep(0.002)
                served.append((time.perf_counter() - t_edit) * 1000)
                gen = k + 2
                while f'"generation": {gen}' not in admin_text(admin_port, "/readyz"):
                    time.sleep(0.005)
                m = admin_text(admin_port, "/metrics")
                translations.append((metric_sum(m, "kgw_translation_seconds_sum")[""] - before[0]) * 1000)
                loads.append((metric_sum(m, "kgw_source_load_seconds_sum")[""] - before[1]) * 1000)
            # includes answering this script's /metrics and /readyz polls, so it is an upper bound
            cpu = [(cpu_seconds(pid) - before) * 1000 / args.edits
                   for pid, before in zip((proc.pid, envoy_pid), cpu_before, strict=True)]
            rds_ack = metric_sum(admin_text(admin_port, "/metrics"), "kgw_xds_ack_seconds_sum")
            rds_count = metric_sum(admin_text(admin_port, "/metrics"), "kgw_xds_ack_seconds_count")
            rds_key = next(k for k in rds_ack if _type_label(k) == "RDS")
            rds_mean = rds_ack[rds_key] / rds_count[rds_key] * 1000
        upstream.shutdown()
        upstream.server_close()

    ack_line = ", ".join(f"{_type_label(k)} {v:.1f} ms" for k, v in ack.items())
    lines = [
        f"- inputs: {args.routes} HTTPRoutes (one rule each) in {args.files} files, one Gateway, "
        f"{args.policies} RoutePolicies on other routes, "
        f"{args.xds_protocol} xDS, {args.edits} edits (each rewrites one file of {per_file} routes)",
        f"- startup to every Envoy ACKed (process start and imports, first load, translate, full push): "
        f"{startup * 1000:.0f} ms; of which first load {first_load:.0f} ms, "
        f"translate+to_xds {first_translation:.0f} ms",
        f"- Envoy ACK time for the full first push (push -> ACK per type): {ack_line}",
        f"- file change -> Envoy serving it: p50 {pct(served, 50):.0f} ms, p90 {pct(served, 90):.0f} ms, "
        f"max {max(served):.0f} ms",
        f"- of which reading+parsing the changed manifests: p50 {pct(loads, 50):.0f} ms, "
        f"p90 {pct(loads, 90):.0f} ms; translate+to_xds: p50 {pct(translations, 50):.0f} ms, "
        f"p90 {pct(translations, 90):.0f} ms",
        f"- Envoy RDS ACK time per change (mean over all RDS pushes): {rds_mean:.1f} ms",
        f"- CPU per change (mean): kgw up {cpu[0]:.0f} ms, Envoy {cpu[1]:.0f} ms; machine load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (wall times stretch when it exceeds the cores)",
    ]
    print("\n".join(lines))
    if args.append_docs:
        cmd = "python benchmarks/reconfig.py " + " ".join(argv if argv is not None else sys.argv[1:])
        section = ["", "## Controller: reconfiguration latency", "",
                   f"Command: `{cmd.replace(' --append-docs ' + str(args.append_docs), '')}` "
                   f"(2-core x86-64, Envoy 1.40, loopback).", "", *lines, ""]
        with open(args.append_docs, "a") as f:
            f.write("\n".join(section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
