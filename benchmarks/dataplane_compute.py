"""The *compute* workload of benchmarks/dataplane.py: more work per request than header edits, the same
in kgw rules and in Lua (Lua's patterns stand in for the regex: they match the same paths here).

For /shop/<tenant>/items/<id>: capture tenant and id from the path, set x-priority from x-tier (two
branches), set x-gdpr when x-region is "eu", set the query parameter `tenant` to the captured tenant
(replacing the old value, keeping the others), and set x-item = "<tenant>:<id>".
"""
from __future__ import annotations

import kgw_rules
from kgw_rules.wire import BundleRoute, encode_bundle
from tests.e2e.envoy import T, kgw_filter, listener, route

from .dataplane_configs import native_listener, wasm_build

RULES = r'''
on request {
  if path ~ r"^/shop/(?P<tenant>[a-z0-9-]+)/items/(?P<id>[0-9]+)$" {
    if header("x-tier") == "gold" {
      set header x-priority = "high"
    } else {
      set header x-priority = "normal"
    }
    if header("x-region") == "eu" {
      set header x-gdpr = "1"
    }
    set query "tenant" = tenant
    set header x-item = tenant + ":" + id
  }
}
'''

LUA = r'''
function envoy_on_request(handle)
  local h = handle:headers()
  local path, query = h:get(":path"):match("^([^?]*)%??(.*)$")
  local tenant, id = path:match("^/shop/([a-z0-9%-]+)/items/([0-9]+)$")
  if tenant == nil then return end
  if h:get("x-tier") == "gold" then
    h:replace("x-priority", "high")
  else
    h:replace("x-priority", "normal")
  end
  if h:get("x-region") == "eu" then
    h:replace("x-gdpr", "1")
  end
  local parts, found = {}, false
  for kv in string.gmatch(query, "[^&]+") do
    if kv:match("^tenant=") or kv == "tenant" then
      if not found then parts[#parts + 1] = "tenant=" .. tenant; found = true end
    else
      parts[#parts + 1] = kv
    end
  end
  if not found then parts[#parts + 1] = "tenant=" .. tenant end
  h:replace(":path", path .. "?" .. table.concat(parts, "&"))
  h:replace("x-item", tenant .. ":" .. id)
end
'''

URL = "/shop/acme-co/items/12345?page=2&tenant=old&sort=asc"
HEADERS = {"x-tier": "gold", "x-region": "eu", "user-agent": "wrk"}
EXPECTED = {"path": "/shop/acme-co/items/12345?page=2&tenant=acme-co&sort=asc", "x-priority": "high",
            "x-gdpr": "1", "x-item": "acme-co:12345"}
# (variant, listener whose port it uses); the baseline is the edit workload's filter-less listener
VARIANTS = {"c_none": "none", "c_lua": "c_lua", "c_kgw": "c_kgw", "c_native": "c_native"}


def _blob() -> bytes:
    return kgw_rules.compile(RULES, "compute.kgw").to_bytes(strip=True)


def listeners(ports: dict[str, int], kgw_wasm: str | None = None) -> list[dict]:
    any_ = {"prefix": "/"}
    lua = {"name": "envoy.filters.http.lua", "typed_config": {
        "@type": T + "envoy.extensions.filters.http.lua.v3.Lua", "default_source_code": {"inline_string": LUA}}}
    wasm_plugin = encode_bundle({"c": _blob()}, [BundleRoute(b"rules", b"default/compute/0", ("c",))])
    native_plugin = encode_bundle({"c": _blob()}, [BundleRoute(b"", b"default/compute/0", ("c",))])
    return [
        listener("c_lua", ports["c_lua"], [route("lua", any_)], [lua]),
        listener("c_kgw", ports["c_kgw"], [route("rules", any_)],
                 [kgw_filter(wasm_plugin, code=kgw_wasm or wasm_build(RULES))]),
        native_listener("c_native", ports["c_native"], native_plugin, None, 1),
    ]
