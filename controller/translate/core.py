"""translate(Resources) -> Translation: IR per programmed Gateway plus every status we own. Pure."""
from __future__ import annotations

import gc

from ..models import GATEWAY_GROUP
from ..resources import Resources
from .assemble import assemble
from .attach import Placement, attach_route
from .gateways import creation_order, gateway_class_status, gateway_states, gateway_status, our_classes
from .invalid import invalid_status
from .options import TranslateOptions, Translation
from .routes import GrantIndex, translate_route

_API = f"{GATEWAY_GROUP}/v1"
_KIND_ORDER = {"GatewayClass": 0, "Gateway": 1, "HTTPRoute": 2}


def _status(kind: str, namespace: str, name: str, status: dict) -> dict:
    return {"apiVersion": _API, "kind": kind, "namespace": namespace, "name": name, "status": status}


def translate(resources: Resources, options: TranslateOptions | None = None) -> Translation:
    # translate allocates many small objects next to a large, long-lived Resources graph; the cyclic GC
    # would rescan that graph again and again (1.0 s of 1.2 s at 10k routes). Nothing here makes cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _translate(resources, options or TranslateOptions())
    finally:
        if enabled:
            gc.enable()


def _translate(resources: Resources, opts: TranslateOptions) -> Translation:
    out = Translation()
    classes = our_classes(resources, opts)
    for name in sorted(classes):
        out.statuses.append(_status("GatewayClass", "", name, gateway_class_status(classes[name], opts)))

    states = gateway_states(resources, classes, opts)
    by_key = {s.key: s for s in states}
    invalid_gateways = {(i.namespace, i.name) for i in resources.invalid if i.kind == "Gateway"}
    grants = GrantIndex(resources)
    placements: dict[tuple[str, str], list[Placement]] = {}
    for route in sorted(resources.http_routes.values(), key=creation_order):
        entry = translate_route(route, resources, grants)
        status = attach_route(entry, by_key, resources, invalid_gateways, opts, placements)
        if status is not None:
            out.statuses.append(_status("HTTPRoute", route.namespace, route.name, status))

    endpoint_cache: dict = {}
    for state in states:
        out.statuses.append(_status("Gateway", state.gateway.namespace, state.gateway.name, gateway_status(state, opts)))
        if state.address is not None and any(ls.programmable for ls in state.listeners):
            ir = assemble(state, placements.get(state.key, []), resources, endpoint_cache)
            out.gateways[ir.key] = ir

    gateway_keys = set(by_key) | invalid_gateways
    for inv in resources.invalid:
        status = invalid_status(inv, set(classes), gateway_keys, opts)
        if status is not None:
            out.statuses.append(_status(inv.kind, inv.namespace, inv.name, status))
    out.statuses.sort(key=lambda s: (_KIND_ORDER[s["kind"]], s["namespace"], s["name"]))
    out.gateways = dict(sorted(out.gateways.items()))
    return out
