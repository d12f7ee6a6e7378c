"""TLSRoutes, TCPRoutes and UDPRoutes -> weighted backends and ResolvedRefs.

A route has one rule of weighted backendRefs. Each backendRef is a core Service port (of the route's protocol:
TCP, or UDP for a UDPRoute); anything else resolves like an HTTPRoute backendRef that cannot be used
(InvalidKind, BackendNotFound, RefNotPermitted) and keeps its weight, so its share of connections is refused.
Attaching is shared with the HTTP kinds (attach.py): an `L4RouteEntry` has the fields `attach_route` reads.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from ..ir import L4BackendIR, L4RouteIR
from ..models import TCPRoute, TLSRoute, UDPRoute
from ..resources import Resources
from . import conditions as c
from .backends import ResolvedBackend, resolve_backend
from .extensions import ExtensionRefError, RouteContext
from .gateways import creation_order
from .grants import GrantIndex

L4Route = TLSRoute | TCPRoute | UDPRoute


@dataclass
class L4RouteEntry:
    """One translated TLSRoute, TCPRoute or UDPRoute."""

    route: L4Route
    ir: L4RouteIR
    clusters: dict[str, ResolvedBackend] = field(default_factory=dict)  # usable backends by cluster name
    resolved: tuple[bool, str, str] = (True, c.R_RESOLVED_REFS, "All references are resolved")
    # What attach_route reads of an HTTP RouteEntry: an L4 rule is never refused nor answered with 500.
    invalid_rules: list[str] = field(default_factory=list)
    failed_rules: list[tuple[str, str]] = field(default_factory=list)
    rule_count: int = 1

    @functools.cached_property
    def key(self) -> tuple[str, str, str]:
        return (self.route.kind, self.route.namespace, self.route.name)

    @property
    def kind(self) -> str:
        return self.route.kind

    @property
    def order(self) -> tuple:
        """Older routes win a listener (TCP, UDP) or an SNI name (TLS) that several routes claim."""
        return creation_order(self.route)


def _resolve(ref, ctx: RouteContext) -> ResolvedBackend:
    if (ref.group, ref.kind) != ("", "Service"):
        raise ExtensionRefError(c.R_INVALID_KIND, f"kind {ref.group or 'core'}/{ref.kind} is not supported "
                                                  f"as a {ctx.kind} backend (only core Service)")
    return resolve_backend(ref, ctx)


def translate_l4_route(route: L4Route, resources: Resources, grants: GrantIndex) -> L4RouteEntry:
    protocol = "UDP" if route.kind == "UDPRoute" else "TCP"
    ctx = RouteContext(route.kind, route.namespace, resources, grants, protocol=protocol)
    entry = L4RouteEntry(route, L4RouteIR(f"{route.kind.lower()}/{route.namespace}/{route.name}"))
    failures: list[tuple[str, str]] = []
    for ri, rule in enumerate(route.spec.rules):
        for bi, ref in enumerate(rule.backend_refs):
            cluster = None
            try:
                target = _resolve(ref, ctx)
                cluster = target.cluster
                entry.clusters[cluster] = target
            except ExtensionRefError as e:
                failures.append((e.reason, f"rules[{ri}].backendRefs[{bi}]: {e.message}"))
            if ref.weight > 0:
                entry.ir.backends.append(L4BackendIR(cluster, ref.weight))
    if failures:
        entry.resolved = (False, failures[0][0], "; ".join(msg for _, msg in failures))
    return entry


def l4_route_entries(resources: Resources, grants: GrantIndex) -> list[L4RouteEntry]:
    routes: list[L4Route] = [*resources.tls_routes.values(), *resources.tcp_routes.values(),
                             *resources.udp_routes.values()]
    return [translate_l4_route(r, resources, grants) for r in sorted(routes, key=creation_order)]
