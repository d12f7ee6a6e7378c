"""Envoy configurations for benchmarks/dataplane.py: one listener per variant.

Workload *edit*: every variant does the same transformation (5 header edits + a path prefix rewrite)
except the baselines, which do none, and (f), which makes the host calls of (d) with hard-coded results
(benchmarks/floor_filter.zig):
  set x-a: 1, set x-b: 2, add x-c: 3, remove x-remove-me, rename x-old -> x-new, /api/... -> /v2/...
Workload *compute* (dataplane_compute.py): a regex capture on the path, two conditionals on headers, a
query-parameter edit and a header built from the capture.
The Envoy config builders are tests/e2e/envoy.py's (the same filter settings the controller uses).
"""
from __future__ import annotations

import copy

import kgw_rules
from kgw_rules.wire import BundleRoute, encode_bundle
from tests.e2e.envoy import (
    NATIVE,
    WASM,
    T,
    cluster,
    kgw_filter,
    listener,
    native_filter,
    native_route_programs,
    route,
    skip_filter,
    wasm_config,
)

RULES = r'''
on request {
  set header x-a = "1"
  set header x-b = "2"
  add header x-c = "3"
  remove header x-remove-me
  rename header x-old to x-new
  if starts_with(path, "/api/") {
    set path = "/v2/" + substr(path, 5)
  }
}
'''

LUA = r'''
function envoy_on_request(handle)
  local h = handle:headers()
  h:replace("x-a", "1")
  h:replace("x-b", "2")
  h:add("x-c", "3")
  h:remove("x-remove-me")
  local old = h:get("x-old")
  if old ~= nil then
    h:remove("x-old")
    h:replace("x-new", old)
  end
  local p = h:get(":path")
  if p:sub(1, 5) == "/api/" then
    h:replace(":path", "/v2/" .. p:sub(6))
  end
end
'''

# What the load generator sends (same in every variant); URL_OFF for (e) only differs in the prefix that
# selects the rule-less route on the kgw listener.
HEADERS = {"x-remove-me": "secret", "x-old": "moved", "user-agent": "wrk"}
URL = "/api/items/42?page=1"
URL_OFF = "/off/items/42?page=1"
VARIANTS = ("none", "header_mutation", "lua", "kgw", "rules_off", "floor", "native", "native_off")
# variants served by another variant's listener, on a route without rules
SHARED_LISTENER = {"rules_off": "kgw", "native_off": "native"}


def _set(name: str, value: str, action: str = "OVERWRITE_IF_EXISTS_OR_ADD") -> dict:
    return {"header": {"key": name, "value": value}, "append_action": action}


# Native (b): the header_mutation filter does the 5 edits (rename = copy with %REQ()% then remove; an
# absent x-old yields an empty value, which Envoy drops), the route's prefix_rewrite does the path.
HEADER_MUTATION = {"name": "envoy.filters.http.header_mutation", "typed_config": {
    "@type": T + "envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
    "mutations": {"request_mutations": [
        {"append": _set("x-a", "1")}, {"append": _set("x-b", "2")},
        {"append": _set("x-c", "3", "APPEND_IF_EXISTS_OR_ADD")},
        {"remove": "x-remove-me"},
        {"append": _set("x-new", "%REQ(x-old)%")}, {"remove": "x-old"}]}}}

LUA_FILTER = {"name": "envoy.filters.http.lua", "typed_config": {
    "@type": T + "envoy.extensions.filters.http.lua.v3.Lua",
    "default_source_code": {"inline_string": LUA}}}


def kgw_plugin() -> bytes:
    """A KGWS bundle as the controller writes it: the rules route is listed by name (so the filter reads
    xds.route_name), the rule-less route is not listed and also has the filter disabled per route."""
    blob = kgw_rules.compile(RULES, "bench.kgw").to_bytes(strip=True)
    return encode_bundle({"bench": blob}, [BundleRoute(b"rules", b"default/bench/0", ("bench",))])


def wasm_build(source: str) -> str:
    """The build of the wasm filter the controller picks for these rules (kgw_rules.wire.variants)."""
    blob = kgw_rules.compile(source, "bench.kgw").to_bytes(strip=True)
    return str(kgw_rules.filter_wasm_path(kgw_rules.filter.wasm_variant_for([blob]).filename))


def native_plugin() -> bytes:
    """The native module's per-route configuration, as the controller writes it: the route's programs."""
    blob = kgw_rules.compile(RULES, "bench.kgw").to_bytes(strip=True)
    return encode_bundle({"bench": blob}, [BundleRoute(b"", b"default/bench/0", ("bench",))])


def native_listener(name: str, port: int, plugin: bytes, off_prefix: str | None, instances: int) -> dict:
    """(g): the native module, programs per route; a rule-less route (`off_prefix`) disables it."""
    filters = _copies(native_filter(), instances)
    rules_cfg: dict = {}
    off: dict = {}
    for f in filters:
        rules_cfg |= {f["name"]: native_route_programs(plugin)[NATIVE]}
        off |= skip_filter(f["name"])
    routes = [route("rules", {"prefix": "/"}, typed_per_filter_config=rules_cfg)]
    if off_prefix:
        routes.insert(0, route("rules_off", {"prefix": off_prefix}, typed_per_filter_config=off))
    return listener(name, port, routes, filters)


def floor_filter(wasm: str) -> dict:
    """(f): benchmarks/floor_filter.zig under the kgw filter's plugin settings, in a VM of its own."""
    c = wasm_config(b"", wasm)
    c["config"]["vm_config"]["vm_id"] = "floor"
    c["config"]["name"] = "floor"
    return {"name": WASM, "typed_config": c}


def _copies(f: dict, n: int) -> list[dict]:
    """`n` instances of one filter in a chain (distinct names; wasm instances share their VM and differ
    in plugin name, so each has its own root context)."""
    out = []
    for i in range(n):
        c = copy.deepcopy(f)
        c["name"] = f["name"] if i == 0 else f"{f['name']}.{i}"
        if "config" in c["typed_config"] and i:
            c["typed_config"]["config"]["name"] += f".{i}"
        out.append(c)
    return out


def proxy_listeners(ports: dict[str, int], floor_wasm: str, instances: int = 1,
                    kgw_wasm: str | None = None) -> list[dict]:
    """One listener per variant (rules_off shares the kgw listener); every route proxies to `upstream`.
    Routes matched by '/' keep matching after a filter rewrites the path (Envoy re-matches the route).
    `instances` > 1 chains that many copies of each filter, so a filter's own cost stands out of the
    round-to-round noise of proxying (only the first copy finds the request untransformed)."""
    any_ = {"prefix": "/"}
    kgw = _copies(kgw_filter(kgw_plugin(), code=kgw_wasm or wasm_build(RULES)), instances)
    off = {k: v for f in kgw for k, v in skip_filter(f["name"]).items()}
    return [
        listener("none", ports["none"], [route("plain", any_)], []),
        listener("header_mutation", ports["header_mutation"],
                 [route("native", {"prefix": "/api/"}) | {"route": {
                     "cluster": "upstream", "timeout": "15s", "prefix_rewrite": "/v2/"}}],
                 _copies(HEADER_MUTATION, instances)),
        listener("lua", ports["lua"], [route("lua", any_)], _copies(LUA_FILTER, instances)),
        listener("kgw", ports["kgw"], [
            route("rules_off", {"prefix": "/off/"}, typed_per_filter_config=off),
            route("rules", any_)], kgw),
        listener("floor", ports["floor"], [route("rules", any_)], _copies(floor_filter(floor_wasm), instances)),
        native_listener("native", ports["native"], native_plugin(), "/off/", instances),
    ]


def upstream_listener(port: int) -> dict:
    """The upstream: a second Envoy answering 200 directly (fast, C++; its CPU is not counted). Requests
    carrying x-bench-check get the request they arrived with echoed in response headers, to check that
    every variant really did the transformation; load requests never carry it."""
    echo = [{"header": {"key": "x-echo-" + h.lstrip(":"), "value": f"%REQ({h})%"}}
            for h in (":path", "x-a", "x-b", "x-c", "x-remove-me", "x-old", "x-new", *ECHO_EXTRA)]
    ok = {"status": 200, "body": {"inline_string": "ok"}}
    return listener("upstream", port, [
        {"name": "check", "match": {"prefix": "/", "headers": [{"name": "x-bench-check", "present_match": True}]},
         "direct_response": ok, "response_headers_to_add": echo},
        {"name": "ok", "match": {"prefix": "/"}, "direct_response": ok}], [])


# the compute workload's outputs (dataplane_compute.py)
ECHO_EXTRA = ("x-priority", "x-gdpr", "x-item")


def upstream_cluster(port: int) -> dict:
    return cluster("upstream", port)
