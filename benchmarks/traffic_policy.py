"""What a TrafficPolicy costs Envoy per request: retry + local rate limit + gzip compression on one rule of an
HTTPRoute, against the rule beside it without a policy (docs/performance.md, "TrafficPolicy").

    .venv/bin/python benchmarks/traffic_policy.py [--quick] [--rounds 12] [--duration 2] [--connections 8]

The xDS is kgw's own: the manifest below is translated (kgw_controller.translate, xdsgen.to_xds) and served
as a static bootstrap (tests/controller/translate/static_bootstrap.py), so the filters, their order and
the per-route configs are exactly what a Gateway gets over ADS. One Envoy under test (--concurrency 1);
the upstream is a second Envoy answering a 1 KiB JSON body by direct_response (its CPU is not counted).
Variants, loaded one at a time by wrk (1 thread, fixed connections), interleaved in a rotated order per
round: (a) the rule without a policy, (b) the rule with the policy and a client accepting gzip (every
response compressed), (c) the same rule with a client that does not accept gzip (retry and rate limit
only; the compressor passes the response through). Envoy CPU per request = (utime + stime over the wrk
window) / requests; ratios against (a) of the same round, median over rounds.
The last line is the one scripts track:
    traffic-policy: policy_gzip/plain=... policy/plain=...
"""
from __future__ import annotations

import argparse
import gzip
import pathlib
import statistics
import sys
import tempfile
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BODY = ('{"items": [' + ", ".join(f'{{"id": {i}, "name": "item-{i}", "tags": ["a", "b"]}}' for i in range(24))
        + "]}")
VARIANTS = {  # name -> (path, request headers)
    "plain": ("/plain/x", {"accept-encoding": "gzip"}),
    "policy_gzip": ("/policy/x", {"accept-encoding": "gzip"}),
    "policy": ("/policy/x", {}),
}
LABELS = {"plain": "(a) rule without a policy", "policy_gzip": "(b) retry + rate limit + gzip",
          "policy": "(c) retry + rate limit (no gzip asked)"}


POLICY = """\
  retry: {retryOn: [5xx, reset], attempts: 3, backoffBaseInterval: 25ms}
  rateLimit:
    local: {tokenBucket: {maxTokens: 1000000000, tokensPerFill: 1000000000, fillInterval: 1s}}
  compression:
    responseCompression: {libraries: [Gzip]}
"""


def manifest(upstream_port: int) -> str:
    from tests.support.manifests import gateway_yaml, prefix_rules_route, service_yaml, traffic_policy_yaml

    return "---\n".join([gateway_yaml([("http", 8080, "HTTP")]), service_yaml("up", upstream_port),
                          prefix_rules_route("web", ("plain", "policy"), backend="up"),
                          traffic_policy_yaml("policy", "web", "policy", POLICY)])


def proxy_config(upstream_port: int, port: int) -> tuple[list[dict], list[dict]]:
    """kgw's xDS for the manifest as static listeners and clusters, the listener moved to 127.0.0.1:port."""
    from benchmarks.kgw_static import static_config

    return static_config(manifest(upstream_port), port)


def upstream(port: int) -> dict:
    from benchmarks.dataplane_configs import listener

    ok = {"status": 200, "body": {"inline_string": BODY}}
    return listener("upstream", port, [{"name": "ok", "match": {"prefix": "/"}, "direct_response": ok,
                                        "response_headers_to_add": [{"header": {"key": "content-type",
                                                                                "value": "application/json"}}]}], [])


def check(port: int) -> None:
    """Each variant does its work: (b) is gzip-compressed and rate-limited, (c) rate-limited, (a) neither."""
    for name, (path, headers) in VARIANTS.items():
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
        with urllib.request.urlopen(req, timeout=5) as r:
            body, got = r.read(), {k.lower(): v for k, v in r.headers.items()}
        compressed = got.get("content-encoding") == "gzip"
        limited = "x-ratelimit-limit" in got
        text = gzip.decompress(body).decode() if compressed else body.decode()
        if text != BODY or compressed != (name == "policy_gzip") or limited != name.startswith("policy"):
            raise SystemExit(f"variant {name}: compressed={compressed} rate-limited={limited} headers={got}")


def run(args) -> dict[str, list[dict]]:
    from benchmarks.dataplane import measure_url
    from benchmarks.measure import interleaved_rounds
    from tests.e2e.envoy import Envoy, free_port

    up_port, port = free_port(), free_port()
    listeners, clusters = proxy_config(up_port, port)
    with tempfile.TemporaryDirectory(prefix="kgw-traffic-bench-") as tmp:
        tmpdir = pathlib.Path(tmp)
        with Envoy([upstream(up_port)], [], tmpdir), Envoy(listeners, clusters, tmpdir) as proxy:
            pid = proxy.proc.pid
            assert pathlib.Path(f"/proc/{pid}/comm").read_text().strip() == "envoy"
            check(port)

            def load(v: str, seconds: int) -> dict:
                path, headers = VARIANTS[v]
                return measure_url(pid, f"http://127.0.0.1:{port}{path}", headers, seconds, args.connections)

            def progress(rnd: int, results: dict[str, list[dict]]) -> None:
                print(f"round {rnd + 1}/{args.rounds}: "
                      + " ".join(f"{v}={rs[-1]['cpu_us']:.1f}us" for v, rs in results.items()), flush=True)

            for v in VARIANTS:  # warm the connection pools and the compressor
                load(v, args.warmup)
            return interleaved_rounds(list(VARIANTS), args.rounds, lambda v: load(v, args.duration), progress)


def report(results: dict[str, list[dict]]) -> str:
    from benchmarks.measure import median_ratio

    med = statistics.median
    base = results["plain"]
    ratio = {v: median_ratio(results, v, "plain", "cpu_us") for v in results}
    print(f"\n{'variant':<40} {'CPU us/req':>10} {'ratio':>6} {'+us/req':>8} {'req/s':>8} {'p99 ms':>7}")
    for v, rs in results.items():
        extra = med(r["cpu_us"] - b["cpu_us"] for r, b in zip(rs, base, strict=True))
        print(f"{LABELS[v]:<40} {med(r['cpu_us'] for r in rs):>10.2f} {ratio[v]:>6.2f} {extra:>+8.2f} "
              f"{med(r['rps'] for r in rs):>8.0f} {med(r['p99'] for r in rs):>7.3f}")
    return f"traffic-policy: policy_gzip/plain={ratio['policy_gzip']:.2f} policy/plain={ratio['policy']:.2f}"


def main(argv: list[str] | None = None) -> int:
    from benchmarks.dataplane import preflight
    from benchmarks.measure import run_reported, wrk_arguments, wrk_settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wrk_arguments(ap, rounds=12, quick_rounds=5, quick_help="about a minute")
    args = ap.parse_args(argv)
    return run_reported("traffic policy benchmark", preflight(), wrk_settings(args), lambda: [report(run(args))])

if __name__ == "__main__":
    sys.exit(main())
