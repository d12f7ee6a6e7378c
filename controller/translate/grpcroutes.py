"""GRPCRoute -> the same RouteIRs as HTTPRoute: a gRPC method is the HTTP/2 path `/<service>/<method>`.

Method matches become path matches (Exact `/S/M`, PathPrefix `/S` for a whole service, a regex otherwise);
header matches, filters and weighted backends go through the HTTPRoute rule translation. Backends of a
GRPCRoute are always reached over HTTP/2 (h2c).
"""
from __future__ import annotations

from ..ir import MatchIR, StringMatchIR
from ..models import GRPCRoute
from ..resources import Resources
from .extensions import RouteContext
from .grants import GrantIndex
from .routes import RouteEntry, RuleSpec, translate_rules

_ANY = "[^/]+"


def _method_path(method) -> tuple[str, str]:
    """(path type, value) for a GRPCMethodMatch."""
    if method is None:
        return "PathPrefix", "/"
    if method.type == "Exact":
        if method.service and method.method:
            return "Exact", f"/{method.service}/{method.method}"
        if method.service:
            return "PathPrefix", f"/{method.service}"  # segment-wise: /S/<any method>, never /S2/...
        return "RegularExpression", f"/{_ANY}/{_escape(method.method)}"
    service = method.service or _ANY
    name = method.method or _ANY
    return "RegularExpression", f"/({service})/({name})"


def _escape(text: str) -> str:
    # Exact method names are [A-Za-z_][A-Za-z0-9_]*: nothing to escape, but keep it safe for RE2 anyway.
    return "".join("\\" + ch if not (ch.isalnum() or ch == "_") else ch for ch in text)


def _match_ir(m) -> MatchIR:
    path_type, path = _method_path(m.method)
    headers: dict[str, StringMatchIR] = {}
    for h in m.headers:  # the first match of a name wins, as for HTTPRoute
        headers.setdefault(h.name.lower(), StringMatchIR(h.name.lower(), h.type, h.value))
    # gRPC is always POST; matching it keeps a plain GET from reaching a gRPC backend by accident.
    return MatchIR(path_type, path, "POST", list(headers.values()), [])


def translate_grpc_route(route: GRPCRoute, resources: Resources, grants: GrantIndex,
                         h2_clusters: set[str]) -> RouteEntry:
    rules = route.spec.rules or []
    entry = RouteEntry(route, rule_count=max(len(rules), 1))
    ctx = RouteContext("GRPCRoute", route.namespace, resources, grants, h2_clusters)
    specs = [
        RuleSpec(ri, rule.name, [_match_ir(m) for m in rule.matches] or [_match_ir(_NoMatch)],
                 rule.filters, rule.backend_refs, session=rule.session_persistence)
        for ri, rule in enumerate(rules)
    ]
    translate_rules(entry, ctx, specs)
    return entry


class _NoMatch:
    """A rule without matches matches every gRPC request."""

    method = None
    headers = ()
