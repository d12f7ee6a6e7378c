"""Attaching routes of every kind to Gateway and ListenerSet listeners (parentRefs, allowedRoutes, hostnames)
and route status.

HTTPRoute and GRPCRoute entries are `routes.RouteEntry`s, TLSRoute/TCPRoute/UDPRoute entries
`l4routes.L4RouteEntry`s: both carry the fields read here."""
from __future__ import annotations

from dataclasses import dataclass

from ..models import GATEWAY_GROUP, ParentReference
from ..resources import Resources
from . import conditions as c
from .gateways import GatewayState, ListenerState
from .hostnames import intersect
from .l4routes import L4RouteEntry
from .listenersets import ListenerSets
from .options import TranslateOptions
from .routes import RouteEntry


@dataclass
class Placement:
    """A route served on one (programmable) Gateway listener, under these hostnames ("" = any)."""

    listener: ListenerState
    entry: RouteEntry | L4RouteEntry
    hostnames: list[str]


def _allowed(ls: ListenerState, kind: str, route_ns: str, resources: Resources) -> bool:
    """`Same` is the namespace of the object that declares the listener (a ListenerSet's own)."""
    if (GATEWAY_GROUP, kind) not in ls.supported_kinds:
        return False
    namespaces = ls.spec.allowed_routes.namespaces
    if namespaces.from_ == "All":
        return True
    if namespaces.from_ == "Same":
        return route_ns == ls.owner.namespace
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
    entry: RouteEntry | L4RouteEntry, states: dict[tuple[str, str], GatewayState], resources: Resources,
    invalid_gateways: set[tuple[str, str]], opts: TranslateOptions, placements: dict[tuple[str, str], list[Placement]],
    listener_sets: ListenerSets | None = None,
) -> dict | None:
    """Attach one route to its parents; returns its status (None when no parentRef is ours)."""
    route = entry.route
    cond = c.Conditions(route.generation, opts.transition_time)
    parents = []
    for ref in route.spec.parent_refs:
        if ref.group != GATEWAY_GROUP or ref.kind not in ("Gateway", "ListenerSet"):
            continue
        key = (ref.namespace or route.namespace, ref.name)
        if ref.kind == "ListenerSet":
            accepted = _attach_to_listener_set(entry, ref, key, states, listener_sets, resources, cond, placements)
            if accepted is None:
                continue  # a ListenerSet of another controller's Gateway
        elif (state := states.get(key)) is None:
            if key in resources.gateways:
                continue  # a Gateway of another controller: not ours to report on
            why = "is invalid" if key in invalid_gateways else "not found"
            accepted = cond(c.ACCEPTED, False, c.R_NO_MATCHING_PARENT, f"Gateway {key[0]}/{key[1]} {why}")
        else:
            accepted = _attach_one(entry, ref, state, state.own_listeners, resources, cond, placements)
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


def _attach_to_listener_set(entry, ref, key, states, listener_sets: ListenerSets | None, resources, cond,
                            placements) -> dict | None:
    """The Accepted condition for a parentRef to a ListenerSet; None when the ListenerSet is not ours."""
    ls_state = listener_sets.states.get(key) if listener_sets else None
    if ls_state is None:
        orphan = listener_sets.orphans.get(key) if listener_sets else None
        if key in resources.listener_sets and orphan is None:
            return None
        why = f": its {orphan}" if orphan else " not found"
        return cond(c.ACCEPTED, False, c.R_NO_MATCHING_PARENT, f"ListenerSet {key[0]}/{key[1]}{why}")
    if ls_state.rejected is not None:
        return cond(c.ACCEPTED, False, c.R_NO_MATCHING_PARENT,
                    f"ListenerSet {key[0]}/{key[1]} is not accepted: {ls_state.rejected[1]}")
    return _attach_one(entry, ref, states[ls_state.gateway], ls_state.listeners, resources, cond, placements)


def _attach_one(entry, ref, state: GatewayState, listeners: list[ListenerState], resources, cond, placements) -> dict:
    """Attach to the matching ones of `listeners` (the parent's: the Gateway's own, or a ListenerSet's)."""
    route = entry.route
    candidates = [
        ls for ls in listeners
        if (ref.section_name is None or ls.name == ref.section_name) and (ref.port is None or ls.spec.port == ref.port)
    ]
    if not candidates:
        wanted = " and ".join(x for x in (
            f"sectionName {ref.section_name}" if ref.section_name else "",
            f"port {ref.port}" if ref.port else "") if x)
        return cond(c.ACCEPTED, False, c.R_NO_MATCHING_PARENT, f"{ref.kind} has no listener with {wanted}")
    any_allowed = False
    attached: list[tuple[ListenerState, list[str]]] = []
    for ls in candidates:
        if not _allowed(ls, entry.kind, route.namespace, resources):
            continue
        any_allowed = True
        # TCPRoute and UDPRoute have no hostnames: they serve whatever reaches the listener
        hosts = intersect(ls.spec.hostname, list(getattr(route.spec, "hostnames", ())))
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
