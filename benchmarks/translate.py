"""Benchmark translate() + to_xds() on generated HTTPRoutes.

    /work/venv/bin/python benchmarks/translate.py            # 1,000 and 10,000 routes
    /work/venv/bin/python benchmarks/translate.py --routes 500 --rounds 3

Each route has its own hostname, two rules (a PathPrefix and an Exact+header match) and one backend;
services are shared by 4 routes each, every service has an EndpointSlice with 3 endpoints.
Times are medians over rounds; memory is the process's peak RSS (ru_maxrss, taken before tracing:
Resources + IR + xDS + the interpreter and protobuf modules) and the tracemalloc peak of one extra
round of translate + to_xds (the traced round is slower and not timed).
"""
from __future__ import annotations

import argparse
import gc
import resource
import statistics
import time
import tracemalloc

from kgw_controller.resources import Resources
from kgw_controller.translate import translate
from kgw_controller.xdsgen import to_xds


def manifests(n_routes: int):
    """Yields the objects one by one, as a file or API source would hand them over."""
    yield from [
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "kgw"},
         "spec": {"controllerName": "kgateway.dev/kgateway"}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
         "metadata": {"name": "gw", "namespace": "bench"},
         "spec": {"gatewayClassName": "kgw", "listeners": [
             {"name": "http", "port": 8080, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}]}},
    ]
    n_services = max(1, n_routes // 4)
    for s in range(n_services):
        yield ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{s}", "namespace": "bench"},
                     "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
        yield ({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                     "metadata": {"name": f"svc-{s}-x", "namespace": "bench",
                                  "labels": {"kubernetes.io/service-name": f"svc-{s}"}},
                     "addressType": "IPv4", "ports": [{"name": "http", "port": 8080}],
                     "endpoints": [{"addresses": [f"10.{s // 250 % 250}.{s % 250}.{k}"]} for k in (1, 2, 3)]})
    for i in range(n_routes):
        backend = [{"name": f"svc-{i % n_services}", "port": 80}]
        yield ({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": f"route-{i}", "namespace": "bench"},
            "spec": {
                "parentRefs": [{"name": "gw"}],
                "hostnames": [f"host-{i}.example.com"],
                "rules": [
                    {"matches": [{"path": {"type": "PathPrefix", "value": f"/api/{i}"}}], "backendRefs": backend},
                    {"matches": [{"path": {"type": "Exact", "value": "/health"},
                                  "headers": [{"name": "x-probe", "value": "1"}]}], "backendRefs": backend},
                ],
            },
        })


def build(resources: Resources) -> int:
    result = translate(resources)
    return sum(len(by_name) for ir in result.gateways.values() for by_name in to_xds(ir).values())


def run(n_routes: int, rounds: int) -> dict:
    t0 = time.perf_counter()
    resources, errors = Resources.from_objects(manifests(n_routes))
    parse_s = time.perf_counter() - t0
    assert not errors, errors[:3]
    times, translate_times = [], []
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        result = translate(resources)
        t1 = time.perf_counter()
        n_resources = sum(len(v) for ir in result.gateways.values() for v in to_xds(ir).values())
        t2 = time.perf_counter()
        translate_times.append(t1 - t0)
        times.append(t2 - t0)
        del result
    rss_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before tracemalloc inflates it
    tracemalloc.start()
    build(resources)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "routes": n_routes, "xds_resources": n_resources, "parse_s": parse_s,
        "translate_s": statistics.median(translate_times), "total_s": statistics.median(times),
        "traced_peak_mb": traced_peak / 2**20,
        "rss_peak_mb": rss_peak_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("| HTTPRoutes | xDS resources | parse (from_objects) | translate | translate + to_xds (median) "
          "| tracemalloc peak | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.routes:
        r = run(n, args.rounds)
        print(f"| {r['routes']:,} | {r['xds_resources']:,} | {r['parse_s']:.2f} s | {r['translate_s']:.3f} s "
              f"| {r['total_s']:.3f} s | {r['traced_peak_mb']:.0f} MB | {r['rss_peak_mb']:.0f} MB |", flush=True)


if __name__ == "__main__":
    main()
