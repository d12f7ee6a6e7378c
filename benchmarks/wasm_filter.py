"""WASM filter benchmark: the spec's first program through kgw_filter.wasm under wasmtime.

    python benchmarks/wasm_filter.py [--requests 2000]

Reports the .wasm size, wall time per request (harness included, and the filter callbacks alone),
and wasm instructions per request measured with wasmtime fuel (deterministic: one unit per executed
wasm instruction, roughly), for the request phase, the response phase and a local response.
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

import kgw_rules
from kgw_rules.exchange import Request, Response
from kgw_rules.harness import FilterVM, test_bundle
from kgw_rules.harness.engine import PhaseStats

FIRST_PROGRAM = (pathlib.Path(__file__).resolve().parents[1] / "examples" / "rules" / "api.kgw").read_text()

HEADERS = [(b"user-agent", b"curl/8.5.0"), (b"accept", b"*/*"), (b"authorization", b"Bearer t0k3n"),
           (b"x-user-id", b" Alice "), (b"cookie", b"session=abc; theme=dark"), (b"x-request-id", b"5f0c6e2a")]
REQUEST = Request(url=b"/v1/users/42?id=3&debug=1", headers=HEADERS)
RESPONSE = Response(status=200, headers=[(b"server", b"upstream"), (b"content-type", b"application/json"),
                                         (b"content-length", b"17")])
NO_AUTH = Request(url=b"/v1/users/42", headers=HEADERS[:2])


def measure(vm: FilterVM, req: Request, resp: Response | None, n: int) -> tuple[float, float, int]:
    """(wall us per exchange, us per exchange inside filter callbacks, fuel per exchange)."""
    for _ in range(50):
        vm.exchange(req, resp)
    inside = []
    host = vm.host
    original = host.call

    def timed(name, *args):
        t = time.perf_counter()
        try:
            return original(name, *args)
        finally:
            inside[-1] += time.perf_counter() - t

    host.call = timed
    t0 = time.perf_counter()
    for _ in range(n):
        inside.append(0.0)
        vm.exchange(req, resp)
    wall = (time.perf_counter() - t0) / n * 1e6
    host.call = original
    stats = PhaseStats()
    vm.exchange(req, resp, stats=stats)
    return wall, statistics.median(inside) * 1e6, stats.fuel


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args(argv)
    blob = kgw_rules.compile(FIRST_PROGRAM, "api.kgw").to_bytes(strip=True)
    wasm = kgw_rules.filter_wasm_bytes()
    print(f".wasm size: {len(wasm)} bytes ({len(wasm) / 1024:.1f} KiB); first program bytecode: {len(blob)} bytes")
    rows = []
    for label, req, resp in (("request + response phase", REQUEST, RESPONSE), ("local 401", NO_AUTH, None)):
        # Times come from a run without the fuel meter (it slows wasmtime); fuel from a metered run.
        wall, inside, _ = measure(FilterVM(test_bundle([blob], b"default/api/0"), fuel=False), req, resp, args.requests)
        metered = FilterVM(test_bundle([blob], b"default/api/0"), fuel=True)
        rows.append((label, wall, inside, measure(metered, req, resp, args.requests)[2]))
    print(f"{'exchange':<28} {'wall us/req':>12} {'in callbacks us/req':>20} {'fuel/req':>9}")
    for label, wall, inside, f in rows:
        print(f"{label:<28} {wall:>12.1f} {inside:>20.1f} {f:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
