"""Cluster mode at scale: `kgw controller` against a real kube-apiserver + etcd, proxies as local Envoys
started from the bootstrap the controller deployed (tests/support/modes.py, the parity suite's ClusterMode).

    python benchmarks/cluster_reconfig.py [--routes 1000] [--policies 200] [--edits 20] [--workers 8]
                                          [--append-docs docs/performance.md]

Measures (1) creating every HTTPRoute and RoutePolicy at once (applied by --workers parallel clients):
from the first create to every route's status written by the controller and the last route served by
Envoy; (2) an edit of one route (its path changes, on a route without a policy) -> Envoy serving the new
path, the API server's watch delivery included. Needs the kube-apiserver built by scripts/kube-test-deps.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kgw_controller import echo  # noqa: E402
from tests.support.apiserver import ApiServer, binaries_missing, free_port  # noqa: E402
from tests.support.kubehelp import HERE, api_for, apply, install_crds  # noqa: E402
from tests.support.manifests import gateway_yaml, service_yaml  # noqa: E402
from tests.support.modes import ClusterMode  # noqa: E402

NS = "bench"


def gateway(port: int, backend_port: int) -> str:
    return gateway_yaml([("http", port, "HTTP")], name="bench", namespace=NS, gateway_class="bench") + "---\n" \
        + service_yaml("echo", backend_port, namespace=NS)


def route(n: int, path: str) -> dict:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": f"r{n}", "namespace": NS},
            "spec": {"parentRefs": [{"name": "bench"}], "rules": [
                {"matches": [{"path": {"type": "PathPrefix", "value": path}}],
                 "backendRefs": [{"name": "echo", "port": 80}]}]}}


def policy(n: int) -> dict:
    return {"apiVersion": "gateway.kgateway.dev/v1alpha1", "kind": "RoutePolicy",
            "metadata": {"name": f"p{n}", "namespace": NS},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": f"r{n}"}],
                     "transformation": {"request": {"set": [{"name": "x-policy", "value": f"p{n}"}]}}}}


def status_code(port: int, path: str) -> int:
    import http.client
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


def accepted(api) -> int:
    doc = api.get(f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes")
    return sum(1 for item in doc["items"] if any(
        c["type"] == "Accepted" and c["status"] == "True"
        for p in (item.get("status") or {}).get("parents") or [] for c in p["conditions"]))


def metric_sums(admin_url: str) -> dict[str, float]:
    """Sums of the controller's timing histograms (seconds), to split an edit's latency."""
    import re
    import urllib.request
    text = urllib.request.urlopen(admin_url + "/metrics", timeout=5).read().decode()
    return {m.group(1): float(m.group(2)) for m in re.finditer(
        r"^(kgw_translation_seconds_sum|kgw_source_load_seconds_sum|kgw_translation_seconds_count) ([0-9.e+-]+)$",
        text, re.M)}


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--routes", type=int, default=1000)
    ap.add_argument("--policies", type=int, default=200)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--append-docs", type=Path)
    args = ap.parse_args(argv)
    missing = binaries_missing()
    if missing:
        print(f"cluster_reconfig: {missing}", file=sys.stderr)
        return 2
    edited = [args.routes - 1 - k for k in range(args.edits)]  # never a route with a policy (those are 0..P-1)
    if args.policies > args.routes - args.edits:
        print("cluster_reconfig: --policies must leave --edits routes without a policy", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = ApiServer(root / "apiserver").start()
        upstream = echo.start_in_thread("127.0.0.1", 0)
        mode = None
        try:
            api = api_for(server.kubeconfig)
            crds = sorted((HERE / "gateway-api-crds").glob("*.yaml")) + sorted((REPO / "crds").glob("*.yaml"))
            install_crds(api, crds)
            port = free_port()
            mode = ClusterMode(root / "cluster", server, port_offset=0, identity="bench")
            mode.write("gateway.yaml", gateway(port, upstream.server_address[1]))
            mode.start()

            objects = [route(n, f"/r{n}") for n in range(args.routes)] + [policy(n) for n in range(args.policies)]
            t0 = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
                list(pool.map(lambda o: apply(api, o), objects))
            created = time.perf_counter() - t0
            last = f"/r{args.routes - 1}"
            while accepted(api) < args.routes or status_code(port, last) != 200:
                if time.perf_counter() - t0 > 300:
                    raise SystemExit("not converged after 300 s")
                time.sleep(0.05)
            converged = time.perf_counter() - t0

            served = []
            metrics_before = metric_sums(mode.controller.admin)
            for k, n in enumerate(edited):
                t_edit = time.perf_counter()
                apply(api, route(n, f"/edit{k}"))
                while status_code(port, f"/edit{k}") != 200:
                    if time.perf_counter() - t_edit > 20:
                        raise SystemExit(f"edit {k} not served after 20 s")
                    time.sleep(0.002)
                served.append((time.perf_counter() - t_edit) * 1000)
            metrics_after = metric_sums(mode.controller.admin)
            per_edit = {k: (metrics_after[k] - metrics_before.get(k, 0)) * 1000 / args.edits for k in metrics_after}
        finally:
            if mode is not None:
                mode.stop()  # the processes only: the API server and its objects go with the temp dir
            upstream.shutdown()
            upstream.server_close()
            server.stop()
    lines = [
        f"- inputs: {args.routes} HTTPRoutes, {args.policies} RoutePolicies (on other routes than the edited ones), "
        f"one Gateway; created by {args.workers} parallel clients",
        f"- creating everything at once: applied in {created:.1f} s; every route's status written and the last "
        f"route served {converged:.1f} s after the first create",
        f"- one route edited -> served by Envoy (watch delivery, translate, xDS push, ACK): p50 "
        f"{pct(served, 50):.0f} ms, p90 {pct(served, 90):.0f} ms, max {max(served):.0f} ms over {args.edits} edits",
        f"- per edit in the controller (mean): {per_edit['kgw_translation_seconds_count'] / 1000:.1f} translations, "
        f"loading the snapshot {per_edit['kgw_source_load_seconds_sum']:.0f} ms, translate+to_xds+publish "
        f"{per_edit['kgw_translation_seconds_sum']:.0f} ms",
    ]
    print("\n".join(lines))
    if args.append_docs:
        cmd = "python benchmarks/cluster_reconfig.py " + " ".join(
            a for a in (argv if argv is not None else sys.argv[1:]))
        cmd = cmd.split(" --append-docs")[0]
        with open(args.append_docs, "a") as f:
            f.write("\n".join(["", "## Controller: cluster mode at scale", "",
                               f"Command: `{cmd}` (2-core x86-64, kube-apiserver 1.20 + etcd, Envoy 1.40, loopback).",
                               "", *lines, ""]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
