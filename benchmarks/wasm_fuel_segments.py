"""Where the wasm filter's instructions go in one request of benchmarks/dataplane.py's workloads: wasmtime fuel
(deterministic, about one unit per wasm instruction) between consecutive host calls, for the build the
controller picks (docs/performance.md, "Data plane", "Where the remaining cost goes").

    .venv/bin/python benchmarks/wasm_fuel_segments.py [--workload edit|compute] [--wasm PATH]

Each line is a host call with the fuel the filter spent since the previous one (or since the callback began):
the fuel before `proxy_get_header_map_pairs` is program selection, the fuel after it up to the first
`proxy_increment_metric` is parsing the header pairs, the fuel before the first header write is the
interpreter, and so on.
"""
from __future__ import annotations

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def segments(source: str, url: str, headers: dict[str, str], wasm: bytes) -> list[tuple[str, str, int]]:
    """(callback, host call or "end", fuel since the previous entry) for one request after three warm-ups."""
    import kgw_rules
    from kgw_rules.exchange import Request
    from kgw_rules.harness import FilterVM, test_bundle
    from kgw_rules.harness import host as proxy_host

    blob = kgw_rules.compile(source, "bench.kgw").to_bytes(strip=True)
    marks: list[tuple[str, str, int]] = []
    callback = [""]
    cls = proxy_host.ProxyWasmHost
    originals = {n: getattr(cls, n) for n in dir(cls) if n.startswith("_proxy_")}

    def traced(name: str, f):
        def g(self, *args):
            marks.append((callback[0], name[1:], proxy_host.FUEL - self.store.get_fuel()))
            return f(self, *args)
        return g

    # the linker binds the imports when the host is built: trace the class's methods for that moment only
    for n, f in originals.items():
        setattr(cls, n, traced(n, f))
    try:
        vm = FilterVM(test_bundle([blob], b"default/bench/0"), wasm=wasm, fuel=True)
    finally:
        for n, f in originals.items():
            setattr(cls, n, f)
    host = vm.host
    call = host.call

    def traced_call(name: str, *args: int):
        callback[0] = name
        result = call(name, *args)
        marks.append((name, "end", host.last_fuel))
        return result

    req = Request(url=url.encode(), method=b"GET",
                  headers=[(k.encode(), v.encode()) for k, v in {"host": "127.0.0.1", **headers}.items()])
    for _ in range(3):
        vm.exchange(req, None)
    host.call = traced_call
    marks.clear()
    vm.exchange(req, None)
    host.call = call
    out, prev, last = [], 0, ""
    for cb, what, fuel in marks:
        if cb != last:
            prev, last = 0, cb
        out.append((cb, what, fuel - prev))
        prev = fuel
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", choices=("edit", "compute"), default="edit")
    ap.add_argument("--wasm", help="a build to measure instead of the one the controller picks")
    args = ap.parse_args(argv)
    from benchmarks import dataplane_compute as cmp
    from benchmarks import dataplane_configs as cfg
    source, url, headers = (cfg.RULES, cfg.URL, cfg.HEADERS) if args.workload == "edit" else \
        (cmp.RULES, cmp.URL, cmp.HEADERS)
    wasm = pathlib.Path(args.wasm or cfg.wasm_build(source))
    print(f"{wasm.name}, workload {args.workload}")
    total = 0
    for cb, what, fuel in segments(source, url, headers, wasm.read_bytes()):
        print(f"  {cb:<26} {what:<34} {fuel:>+8}")
        total += fuel
    print(f"  {'total':<26} {'':<34} {total:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
