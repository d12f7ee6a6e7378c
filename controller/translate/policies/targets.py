"""Where a RoutePolicy / TrafficPolicy attaches: its `targetRefs` (or beta1's `targetRef`) and its
`targetSelectors`, resolved to Gateways, Gateway listeners, routes and route rules in the policy's namespace.

Levels, least specific first: a Gateway, one of its listeners (`sectionName`) or the listeners of a
ListenerSet attached to it (all of them, or one by `sectionName`), a route (HTTPRoute or GRPCRoute), one rule
of a route (`sectionName` = the rule's `name`). A more specific level wins (translate/policies/traffic.py
merges them).
"""
from __future__ import annotations

from dataclasses import dataclass

from ...models import GATEWAY_GROUP

LEVEL_GATEWAY, LEVEL_LISTENER, LEVEL_ROUTE, LEVEL_RULE = 0, 1, 2, 3
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute")


@dataclass(frozen=True)
class TargetRef:
    """One target as the status reports it (a targetRef, or an object a targetSelector matched)."""

    group: str
    kind: str
    name: str
    section_name: str | None = None


@dataclass
class Target:
    """A resolved target: `found` False carries the reason (`why`) for TargetNotFound."""

    ref: TargetRef
    level: int = LEVEL_ROUTE
    gateway: tuple[str, str] | None = None  # (namespace, name) for Gateway and listener targets
    route_key: tuple[str, str, str] | None = None  # (kind, namespace, name) for route and rule targets
    listeners: tuple[str, ...] = ()  # listener targets: the listener keys (a Gateway listener's is its name)
    found: bool = True
    why: str = ""


def _resolve(ref: TargetRef, namespace: str, gateways: dict, routes: dict) -> Target:
    where = f"{ref.kind} {namespace}/{ref.name}"
    if ref.group == GATEWAY_GROUP and ref.kind == "Gateway":
        state = gateways.get((namespace, ref.name))
        if state is None:
            return Target(ref, found=False, why=f"{where} not found")
        if ref.section_name is None:
            return Target(ref, LEVEL_GATEWAY, gateway=state.key)
        if not any(ls.name == ref.section_name for ls in state.own_listeners):
            return Target(ref, found=False, why=f"{where} has no listener {ref.section_name}")
        return Target(ref, LEVEL_LISTENER, gateway=state.key, listeners=(ref.section_name,))
    if ref.group == GATEWAY_GROUP and ref.kind == "ListenerSet":
        return listener_set_target(ref, namespace, gateways)
    if ref.group != GATEWAY_GROUP or ref.kind not in ROUTE_KINDS:
        return Target(ref, found=False, why=f"target kind {ref.group}/{ref.kind} is not supported")
    key = (ref.kind, namespace, ref.name)
    entry = routes.get(key)
    if entry is None:
        return Target(ref, found=False, why=f"{where} not found")
    if ref.section_name is None:
        return Target(ref, LEVEL_ROUTE, route_key=key)
    if not any(getattr(r, "name", None) == ref.section_name for r in entry.route.spec.rules):
        return Target(ref, found=False, why=f"{where} rule {ref.section_name} not found")
    return Target(ref, LEVEL_RULE, route_key=key)


def listener_set_target(ref: TargetRef, namespace: str, gateways: dict) -> Target:
    """The listeners a ListenerSet brought to the Gateway that accepted it (one, with `sectionName`)."""
    where = f"ListenerSet {namespace}/{ref.name}"
    for state in gateways.values():
        mine = [ls for ls in state.listeners if (ls.owner.kind, ls.owner.namespace, ls.owner.name)
                == ("ListenerSet", namespace, ref.name)]
        if not mine:
            continue
        if ref.section_name is not None:
            mine = [ls for ls in mine if ls.name == ref.section_name]
            if not mine:
                return Target(ref, found=False, why=f"{where} has no listener {ref.section_name}")
        return Target(ref, LEVEL_LISTENER, gateway=state.key, listeners=tuple(ls.key for ls in mine))
    return Target(ref, found=False, why=f"{where} not found, or not accepted by a Gateway kgw serves")


def _selected(selector, namespace: str, resources) -> list[str]:
    """Names of the objects of the selector's kind in `namespace` whose labels include matchLabels."""
    bucket = {"Gateway": resources.gateways, "ListenerSet": resources.listener_sets, "HTTPRoute": resources.http_routes,
              "GRPCRoute": resources.grpc_routes}.get(selector.kind) if selector.group == GATEWAY_GROUP else None
    if bucket is None:
        return []
    return sorted(name for (ns, name), obj in bucket.items()
                  if ns == namespace and all(obj.metadata.labels.get(k) == v for k, v in selector.match_labels.items()))


def policy_targets(policy, resources, gateways: dict, routes: dict) -> list[Target]:
    """Every target of `policy`, in spec order: targetRefs, then the objects each targetSelector matches.
    `gateways`: GatewayState by (namespace, name); `routes`: RouteEntry by (kind, namespace, name)."""
    ns = policy.namespace
    refs = [TargetRef(r.group, r.kind, r.name, r.section_name) for r in policy.spec.targets]
    for sel in getattr(policy.spec, "target_selectors", ()):
        selected = _selected(sel, ns, resources)
        if not selected and (sel.group != GATEWAY_GROUP or sel.kind not in ("Gateway", "ListenerSet", *ROUTE_KINDS)):
            refs.append(TargetRef(sel.group, sel.kind, "", sel.section_name))  # reported: unsupported kind
        refs += [TargetRef(sel.group, sel.kind, name, sel.section_name) for name in selected]
    out, seen = [], set()
    for ref in refs:
        if ref not in seen:
            seen.add(ref)
            out.append(_resolve(ref, ns, gateways, routes))
    return out
