"""translate(Resources) -> Translation: IR per programmed Gateway plus every status we own. Pure."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .. import gcpolicy
from ..models import GATEWAY_GROUP, KGW_GROUP
from ..resources import Resources
from . import policies
from .assemble import assemble
from .attach import Placement, attach_route
from .backendtls import BackendTLSPolicies
from .gateways import creation_order, gateway_class_status, gateway_states, gateway_status, our_classes
from .grants import GrantIndex
from .grpcroutes import translate_grpc_route
from .incremental import TranslateCache
from .invalid import invalid_status
from .l4routes import l4_route_entries
from .listenersets import ListenerSets, listener_set_status, orphan_status
from .options import TranslateOptions, Translation
from .routes import RouteEntry, translate_route

_API = f"{GATEWAY_GROUP}/v1"
_KIND_ORDER = {"GatewayClass": 0, "Gateway": 1, "ListenerSet": 2, "HTTPRoute": 3, "GRPCRoute": 4, "TLSRoute": 5,
               "TCPRoute": 6, "UDPRoute": 7, "BackendTLSPolicy": 8}


def _status(kind: str, namespace: str, name: str, status: dict, api_version: str = _API) -> dict:
    return {"apiVersion": api_version, "kind": kind, "namespace": namespace, "name": name, "status": status}


def translate(resources: Resources, options: TranslateOptions | None = None,
              cache: TranslateCache | None = None) -> Translation:
    """`cache` (optional, owned by one caller) lets unchanged routes reuse their previous translation; the
    result is the same as without it (controller/translate/incremental.py has the rule)."""
    # translate allocates many small objects next to a large, long-lived Resources graph; the cyclic GC
    # would rescan that graph again and again (1.0 s of 1.2 s at 10k routes). Nothing here makes cycles.
    with gcpolicy.paused():
        return _translate(resources, options or TranslateOptions(), cache)


def _translate(resources: Resources, opts: TranslateOptions, cache: TranslateCache | None = None) -> Translation:
    out = Translation()
    classes = our_classes(resources, opts)
    for name in sorted(classes):
        out.statuses.append(_status("GatewayClass", "", name, gateway_class_status(classes[name], opts)))

    grants = GrantIndex(resources)
    listener_sets = ListenerSets(resources, grants, opts)
    states = gateway_states(resources, classes, opts, grants, listener_sets)
    by_key = {s.key: s for s in states}
    invalid_gateways = {(i.namespace, i.name) for i in resources.invalid if i.kind == "Gateway"}
    listener_sets.find_orphans(resources, invalid_gateways)
    placements: dict[tuple[str, str], list[Placement]] = {}
    h2_clusters: set[str] = set()  # clusters a GRPCRoute sends to: HTTP/2 to the backend
    entries = _route_entries(resources, opts, grants, h2_clusters, cache)
    ext = policies.apply(resources, entries, by_key, opts, out)  # kgateway kinds (translate/policies)
    # L4 routes are translated every time (no cache): they are few and cheap, and no policy edits them.
    for entry in [*ext.entries, *l4_route_entries(resources, grants)]:
        status = attach_route(entry, by_key, resources, invalid_gateways, opts, placements, listener_sets)
        if status is not None:
            out.statuses.append(_status(entry.kind, entry.route.namespace, entry.route.name, status))

    for key, ls_state in listener_sets.states.items():
        out.statuses.append(_status("ListenerSet", *key, listener_set_status(ls_state, opts)))
    for key, why in listener_sets.orphans.items():
        out.statuses.append(_status("ListenerSet", *key, orphan_status(resources.listener_sets[key], why, opts)))

    endpoint_cache: dict = {}
    backend_tls = BackendTLSPolicies(resources)
    for state in states:
        out.statuses.append(_status("Gateway", state.gateway.namespace, state.gateway.name,
                                    gateway_status(state, opts)))
        if state.address is not None and any(ls.programmable for ls in state.listeners):
            ir = assemble(state, placements.get(state.key, []), resources, endpoint_cache, h2_clusters, backend_tls,
                          route_hook=ext.defaults)
            policies.finish_gateway(ir, state.gateway, resources, ext)
            out.gateways[ir.key] = ir

    for policy, status in backend_tls.statuses(opts):
        out.statuses.append(_status("BackendTLSPolicy", policy.namespace, policy.name, status))

    gateway_keys = set(by_key) | invalid_gateways
    for inv in resources.invalid:
        status = invalid_status(inv, set(classes), gateway_keys, opts)
        if status is not None:
            api = inv.api_version if inv.api_version.startswith(KGW_GROUP) else _API
            out.statuses.append(_status(inv.kind, inv.namespace, inv.name, status, api))
    out.statuses.sort(key=lambda s: (_KIND_ORDER.get(s["kind"], 9), s["kind"], s["namespace"], s["name"]))
    out.gateways = dict(sorted(out.gateways.items()))
    return out


def _route_entries(resources: Resources, opts: TranslateOptions, grants: GrantIndex, h2_clusters: set[str],
                   cache: TranslateCache | None) -> list:
    if cache is None:
        entries = [translate_route(r, resources, grants, h2_clusters)
                   for r in sorted(resources.http_routes.values(), key=creation_order)]
        entries += [translate_grpc_route(r, resources, grants, h2_clusters)
                    for r in sorted(resources.grpc_routes.values(), key=creation_order)]
        return entries
    # h2_clusters is only ever added to during route translation (read by assemble), so collecting each
    # route's share separately and taking the union gives the same set.
    reuse = cache.usable_for(resources, opts)
    stored: dict = {}
    entries = []
    hits = 0
    # (kind, its routes, its translator): typed loosely, as one loop serves both kinds
    kinds: tuple[tuple[str, Mapping[Any, Any], Callable[..., RouteEntry]], ...] = (
        ("HTTPRoute", resources.http_routes, translate_route),
        ("GRPCRoute", resources.grpc_routes, translate_grpc_route))
    for kind, routes, fn in kinds:
        for r in sorted(routes.values(), key=creation_order):
            key = (kind, r.namespace, r.name)
            hit = cache.lookup(key, r) if reuse else None
            if hit is not None:
                entry, h2 = hit
                hits += 1
            else:
                mine: set[str] = set()
                entry = fn(r, resources, grants, mine)
                h2 = frozenset(mine)
            h2_clusters.update(h2)
            stored[key] = (r, entry, h2)
            entries.append(entry)
    cache.store(resources, opts, stored)
    cache.hits = hits
    return entries
