"""Attaching HTTPRoutes and GRPCRoutes to Gateway listeners (parentRefs, allowedRoutes, hostnames) and route status."""
from __future__ import annotations

from dataclasses import dataclass

from ..models import GATEWAY_GROUP, ParentReference
from ..resources import Resources
from . import conditions as c
from .gateways import GatewayState, ListenerState
from .hostnames import intersect
from .options import TranslateOptions
from .routes import RouteEntry


@dataclass
class Placement:
    """A route served on one (programmable) Gateway listener, under these hostnames ("" = any)."""

    listener: ListenerState
    entry: RouteEntry
    hostnames: list[str]


def _allowed(ls: ListenerState, kind: str, route_ns: str, gw_ns: str, resources: Resources) -> bool:
    if (GATEWAY_GROUP, kind) not in ls.supported_kinds:
        return False
    namespaces = ls.spec.allowed_routes.namespaces
    if namespaces.from_ == "All":
        return True
    if namespaces.from_ == "Same":
        return route_ns == gw_ns
    return namespaces.selector is not None and namespaces.selector.matches(resources.namespace_labels(route_ns))


def parent_ref_status(ref: ParentReference) -> dict:
    out: dict[str, str | int] = {"group": ref.group, "kind": ref.kind, "name": ref.name}
    if ref.namespace is not None:
        out["namespace"] = ref.namespace
    if ref.section_name is not None:
        out["sectionName"] = ref.section_name
    if ref.port is not None:
        out["port"] = ref.port
    return out


def attach_route(
    entry: RouteEntry, states: dict[tuple[str, str], GatewayState], resources: Resources,
    invalid_gateways: set[tuple[str, str]], opts: TranslateOptions, placements: dict[tuple[str, str], list[Placement]],
) -> dict | None:
    """Attach one route to its parents; returns its status (None when no parentRef is ours)."""
    route = entry.route
    cond = c.Conditions(route.generation, opts.transition_time)
    parents = []
    for ref in route.spec.parent_refs:
        if (ref.group, ref.kind) != (GATEWAY_GROUP, "Gateway"):
            continue
        gw_key = (ref.namespace or route.namespace, ref.name)
        state = states.get(gw_key)
        if state is None:
            if gw_key in resources.gateways:
                continue  # a Gateway of another controller: not ours to report on
            why = "is invalid" if gw_key in invalid_gateways else "not found"
            accepted = cond(c.ACCEPTED, False, c.R_NO_MATCHING_PARENT, f"Gateway {gw_key[0]}/{gw_key[1]} {why}")
        else:
            accepted = _attach_one(entry, ref, state, resources, cond, placements)
        ok, reason, message = entry.resolved
        conds = [accepted, cond(c.RESOLVED_REFS, ok, reason, message)]
        served_500 = ([] if len(entry.invalid_rules) == entry.rule_count else entry.invalid_rules) \
            + [msg for _, msg in entry.failed_rules]
        if served_500:
            reasons = {r for r, _ in entry.failed_rules}
            reason = c.R_INCOMPATIBLE_FILTERS if c.R_INCOMPATIBLE_FILTERS in reasons else c.R_UNSUPPORTED_VALUE
            conds.append(cond(c.PARTIALLY_INVALID, True, reason, "rules answered with 500: " + " | ".join(served_500)))
        parents.append({"parentRef": parent_ref_status(ref), "controllerName": opts.controller_name,
                        "conditions": conds})
    return {"parents": parents} if parents else None


def _attach_one(entry, ref, state: GatewayState, resources, cond, placements) -> dict:
    route = entry.route
    candidates = [
        ls for ls in state.listeners
        if (ref.section_name is None or ls.name == ref.section_name) and (ref.port is None or ls.spec.port == ref.port)
    ]
    if not candidates:
        wanted = " and ".join(x for x in (
            f"sectionName {ref.section_name}" if ref.section_name else "",
            f"port {ref.port}" if ref.port else "") if x)
        return cond(c.ACCEPTED, False, c.R_NO_MATCHING_PARENT, f"Gateway has no listener with {wanted}")
    any_allowed = False
    attached: list[tuple[ListenerState, list[str]]] = []
    for ls in candidates:
        if not _allowed(ls, entry.kind, route.namespace, state.gateway.namespace, resources):
            continue
        any_allowed = True
        hosts = intersect(ls.spec.hostname, list(route.spec.hostnames))
        if hosts:
            attached.append((ls, hosts))
    if not attached:
        if any_allowed:
            return cond(c.ACCEPTED, False, c.R_NO_MATCHING_LISTENER_HOSTNAME,
                        "no listener hostname intersects the route's hostnames")
        return cond(c.ACCEPTED, False, c.R_NOT_ALLOWED_BY_LISTENERS,
                    "no listener allows this route (allowedRoutes namespaces/kinds)")
    if entry.invalid_rules and len(entry.invalid_rules) == entry.rule_count:
        return cond(c.ACCEPTED, False, c.R_UNSUPPORTED_VALUE, " | ".join(entry.invalid_rules))
    for ls, hosts in attached:
        ls.attached.add(entry.key)
        if ls.programmable and state.address is not None:
            placements.setdefault(state.key, []).append(Placement(ls, entry, hosts))
    return cond(c.ACCEPTED, True, c.R_ACCEPTED, "Route is accepted")
