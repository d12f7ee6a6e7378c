"""What each part of the native module costs per request: a workload of benchmarks/dataplane.py on
copies of libkgw_rules.so built from this checkout with one part left out, against no filter and Lua, in one
Envoy (docs/performance.md, "Data plane", "Where the remaining cost goes").

    .venv/bin/python benchmarks/dataplane_native_parts.py [--rounds 12] [--instances 1] [--parts a,b]
                                                          [--workload edit|compute]

Every part is a text patch of wasm_filter/src (PARTS below) applied to a private copy; a patch that no longer
applies stops the script naming the part, so the table never measures a stale idea. Each build
is loaded under its own module name (`kgw_rules_<part>`), with the route's programs in a
DynamicModuleFilterPerRoute as the controller writes them. Builds without a part are measuring devices, not
correct filters: `no_edits` and `hook_only` leave the request unchanged. Same method as dataplane.py: wrk
-t1 -c8, Envoy CPU per request over the wrk window, variants interleaved in a rotated order per round,
medians of per-round differences against the round's no-filter run.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLEAR = "    if (map == .request and edits.len > 0) abi.envoy_dynamic_module_callback_http_clear_route_cache(filter);"
POLICY = "pub fn incrementPolicy(l: metrics.Labels, c: metrics.Counter) void {\n"
TOTAL = "pub fn increment(c: metrics.Counter) void {\n"
EDITS = "pub fn applyEdits(map: host.Map, edits: []const Edit) void {\n"
HOOK = "    const s = enter(filter, ptr) orelse return stream.Continue;\n"
RETURN = "    if (true) return;\n"
# part -> [(file, text, replacement)]
PARTS: dict[str, list[tuple[str, str, str]]] = {
    "full": [],
    "no_policy_counter": [("host_native.zig", POLICY, POLICY + RETURN)],
    "no_counters": [("host_native.zig", POLICY, POLICY + RETURN), ("host_native.zig", TOTAL, TOTAL + RETURN)],
    "no_route_clear": [("host_native.zig", CLEAR, "")],
    "no_edits": [("host_native.zig", EDITS, EDITS + RETURN)],
    "hook_only": [("native.zig", HOOK + "    if (s.unselected())",
                   HOOK + "    if (true) return stream.Continue;\n    if (s.unselected())")],
}


def patched_sources(part: str, src: pathlib.Path) -> dict[str, str]:
    """The files of wasm_filter/src that `part` changes, changed; SystemExit when a patch no longer applies."""
    out: dict[str, str] = {}
    for file, old, new in PARTS[part]:
        text = out.get(file) or (src / file).read_text()
        if text.count(old) != 1:
            raise SystemExit(f"part {part}: its patch of {file} no longer applies; update PARTS")
        out[file] = text.replace(old, new)
    return out


def build(part: str, libdir: pathlib.Path) -> None:
    from kgw_rules import build_filter as bf
    with tempfile.TemporaryDirectory(prefix="kgw-native-part-") as tmp:
        work = pathlib.Path(tmp)
        shutil.copytree(bf.SRC, work / "src")
        (work / "src" / "wire.zig").write_text(bf.generate_wire_zig())
        for file, text in patched_sources(part, bf.SRC).items():
            (work / "src" / file).write_text(text)
        name = f"{bf.NATIVE_NAME}_{part}"
        cmd = [*bf.zig_command(), "build-lib", "src/native.zig", "-target", bf.NATIVE_TARGETS["x86_64"],
               "-O", "ReleaseSafe", *bf.NATIVE_FLAGS, "--name", name, "--cache-dir", str(work / "cache"),
               "--global-cache-dir", str(work / "gcache"), f"-femit-bin={libdir / f'lib{name}.so'}"]
        res = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        if res.returncode:
            raise SystemExit(f"part {part}: zig build failed:\n{res.stderr}")


def workload(name: str) -> tuple[bytes, dict, str, dict[str, str]]:
    """(the route's programs for the native module, the same work as a Lua filter, URL, request headers)."""
    from benchmarks import dataplane_compute as cmp
    from benchmarks import dataplane_configs as cfg
    from kgw_rules.wire import BundleRoute, encode_bundle
    if name == "edit":
        return cfg.native_plugin(), cfg.LUA_FILTER, cfg.URL, cfg.HEADERS
    lua = {"name": cfg.LUA_FILTER["name"], "typed_config": {**cfg.LUA_FILTER["typed_config"],
                                                           "default_source_code": {"inline_string": cmp.LUA}}}
    plugin = encode_bundle({"c": cmp._blob()}, [BundleRoute(b"", b"default/compute/0", ("c",))])
    return plugin, lua, cmp.URL, cmp.HEADERS


def part_listener(part: str, port: int, instances: int, plugin: bytes) -> dict:
    from kgw_rules.build_filter import NATIVE_NAME
    from tests.e2e.envoy import NATIVE, listener, native_filter, native_route_programs, route
    module = {"name": f"{NATIVE_NAME}_{part}", "do_not_close": True}
    filters, per_route = [], {}
    for i in range(instances):
        f = native_filter()
        f["name"] = NATIVE if i == 0 else f"{NATIVE}.{i}"
        f["typed_config"]["dynamic_module_config"] = module
        programs = native_route_programs(plugin)[NATIVE]
        programs["dynamic_module_config"] = module
        filters.append(f)
        per_route[f["name"]] = programs
    return listener(part, port, [route("rules", {"prefix": "/"}, typed_per_filter_config=per_route)], filters)


def run(parts: list[str], rounds: int, instances: int, duration: int, work: str) -> dict[str, list[dict]]:
    from benchmarks import dataplane as dp
    from benchmarks import dataplane_configs as cfg
    from tests.e2e.envoy import Envoy, free_port, listener, route
    libdir = pathlib.Path(tempfile.mkdtemp(prefix="kgw-native-parts-"))
    try:
        for p in parts:
            build(p, libdir)
        ports = {"none": free_port(), "lua": free_port(), **{p: free_port() for p in parts}}
        plugin, lua, path, headers = workload(work)
        listeners = [listener("none", ports["none"], [route("plain", {"prefix": "/"})], []),
                     listener("lua", ports["lua"], [route("lua", {"prefix": "/"})], cfg._copies(lua, instances))]
        listeners += [part_listener(p, ports[p], instances, plugin) for p in parts]
        os.environ["ENVOY_DYNAMIC_MODULES_SEARCH_PATH"] = str(libdir)  # the Envoys inherit it
        results: dict[str, list[dict]] = {k: [] for k in ports}
        up = free_port()
        with tempfile.TemporaryDirectory(prefix="kgw-native-parts-envoy-") as tmp, \
                Envoy([cfg.upstream_listener(up)], [], pathlib.Path(tmp)), \
                Envoy(listeners, [cfg.upstream_cluster(up)], pathlib.Path(tmp)) as proxy:
            urls = {k: f"http://127.0.0.1:{port}{path}" for k, port in ports.items()}
            for url in urls.values():
                dp.wrk(url, headers, 1, 8)
            keys = list(ports)
            for rnd in range(rounds):
                for k in keys[rnd % len(keys):] + keys[:rnd % len(keys)]:
                    results[k].append(dp.measure_url(proxy.proc.pid, urls[k], headers, duration, 8))
                print(f"round {rnd + 1}/{rounds}: " + " ".join(f"{k}={results[k][-1]['cpu_us']:.1f}us" for k in keys),
                      flush=True)
        return results
    finally:
        shutil.rmtree(libdir)


def report(results: dict[str, list[dict]], instances: int) -> list[str]:
    med = statistics.median
    base = results["none"]
    full = results.get("full")
    lines = [f"\n{'variant':<20} {'CPU us/req':>10} {'ratio':>6} {'+us per copy':>13} {'vs full, per copy':>18}"]
    for k, rs in results.items():
        ratio = med(r["cpu_us"] / b["cpu_us"] for r, b in zip(rs, base, strict=True))
        each = med((r["cpu_us"] - b["cpu_us"]) / instances for r, b in zip(rs, base, strict=True))
        saved = "" if full is None or k in ("none", "lua", "full") else \
            f"{med((r['cpu_us'] - f['cpu_us']) / instances for r, f in zip(rs, full, strict=True)):>+18.2f}"
        lines.append(f"{k:<20} {med(r['cpu_us'] for r in rs):>10.1f} {ratio:>6.3f} {each:>+13.2f} {saved}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--duration", type=int, default=2, help="seconds per variant per round")
    ap.add_argument("--instances", type=int, default=1, help="copies of each filter per chain")
    ap.add_argument("--workload", choices=("edit", "compute"), default="edit",
                    help="dataplane.py's edit workload or its compute workload (dataplane_compute.py)")
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of: {', '.join(PARTS)}")
    args = ap.parse_args(argv)
    from benchmarks import dataplane as dp
    from benchmarks.measure import run_reported
    parts = [p for p in args.parts.split(",") if p]
    unknown = [p for p in parts if p not in PARTS]
    problem = dp.preflight() or (f"unknown parts {unknown}" if unknown else None)
    settings = (f"{args.rounds} rounds x {args.duration} s, {args.instances} cop"
                f"{'y' if args.instances == 1 else 'ies'} per chain, workload {args.workload}")
    return run_reported("native parts benchmark", problem, settings, lambda: report(
        run(parts, args.rounds, args.instances, args.duration, args.workload), args.instances))

if __name__ == "__main__":
    sys.exit(main())
