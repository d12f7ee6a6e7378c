"""HTTPRoute rules -> precedence-keyed RouteIRs, backend resolution and ResolvedRefs.

Each route is translated once, independent of the Gateways it attaches to; assembly copies the result
into every virtual host it serves.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from ..ir import MatchIR, RouteIR, StringMatchIR, WeightedClusterIR
from ..models import GATEWAY_GROUP, HTTPRoute, HTTPRouteRule, ReferenceGrant, RouteMatch, ServicePort
from ..resources import Resources
from . import conditions as c
from .gateways import creation_order

# Path match kinds, most precedent first. The spec leaves RegularExpression to implementations: kgw puts
# it between Exact and PathPrefix so the default `PathPrefix /` can never shadow a regex rule.
PATH_RANK = {"Exact": 0, "RegularExpression": 1, "PathPrefix": 2}
ClusterKey = tuple[str, str, int]  # (namespace, service, port)


@dataclass
class RouteEntry:
    """One translated HTTPRoute."""

    route: HTTPRoute
    routes: list[tuple[tuple, RouteIR]] = field(default_factory=list)  # (precedence key, IR)
    clusters: dict[str, tuple[ClusterKey, ServicePort]] = field(default_factory=dict)
    resolved: tuple[bool, str, str] = (True, c.R_RESOLVED_REFS, "All references are resolved")
    invalid_rules: list[str] = field(default_factory=list)  # messages for rules served as 500
    rule_count: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.route.namespace, self.route.name)


def cluster_name(key: ClusterKey) -> str:
    return f"{key[0]}/{key[1]}/{key[2]}"


@functools.lru_cache(maxsize=4096)
def regex_problem(pattern: str) -> str:
    """Envoy uses RE2: reject what RE2 refuses (look-around, back-references) and what does not compile."""
    if re.search(r"\(\?<?[=!]|\\[1-9]", pattern):
        return f"regular expression {pattern!r} uses look-around or back-references, which RE2 does not support"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"invalid regular expression {pattern!r}: {exc}"
    return ""


def duration_ms(text: str) -> int:
    """Gateway API duration ("1h30m", "500ms") -> milliseconds."""
    units = {"h": 3600000, "m": 60000, "s": 1000, "ms": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"([0-9]+)(ms|h|m|s)", text))


class GrantIndex:
    """ReferenceGrants by the namespace they live in (= the namespace of the referenced object)."""

    def __init__(self, resources: Resources) -> None:
        self._by_ns: dict[str, list[ReferenceGrant]] = {}
        for (ns, _), grant in resources.reference_grants.items():
            self._by_ns.setdefault(ns, []).append(grant)

    def allows(self, from_ns: str, from_kind: str, to_ns: str, to_kind: str, to_name: str) -> bool:
        for grant in self._by_ns.get(to_ns, ()):
            if not any(f.group == GATEWAY_GROUP and f.kind == from_kind and f.namespace == from_ns
                       for f in grant.spec.from_):
                continue
            if any(t.group == "" and t.kind == to_kind and t.name in (None, to_name) for t in grant.spec.to):
                return True
        return False


def _match_ir(m: RouteMatch) -> MatchIR:
    headers: dict[str, StringMatchIR] = {}
    for h in m.headers:  # header names are case-insensitive; the first match of a name wins (spec)
        headers.setdefault(h.name.lower(), StringMatchIR(h.name.lower(), h.type, h.value))
    query: dict[str, StringMatchIR] = {}
    for q in m.query_params:  # query names are case-sensitive; the first wins
        query.setdefault(q.name, StringMatchIR(q.name, q.type, q.value))
    return MatchIR(m.path.type, m.path.value, m.method, list(headers.values()), list(query.values()))


def precedence(match: MatchIR) -> tuple:
    """Sort key within a virtual host (ascending = tried first), per the HTTPRouteRule.matches doc."""
    return (PATH_RANK[match.path_type], -len(match.path), match.method is None,
            -len(match.headers), -len(match.query_params))


def _match_regex_problems(m: MatchIR) -> list[str]:
    patterns = [m.path] if m.path_type == "RegularExpression" else []
    patterns += [s.value for s in m.headers + m.query_params if s.type == "RegularExpression"]
    return [p for p in map(regex_problem, patterns) if p]


def _rule_problems(rule: HTTPRouteRule, matches: list[MatchIR]) -> list[str]:
    problems = []
    filters = [f.type for f in rule.filters] + [f.type for b in rule.backend_refs for f in b.filters]
    if filters:
        problems.append(f"filters not supported yet: {', '.join(dict.fromkeys(filters))}")
    if rule.timeouts and rule.timeouts.backend_request:
        problems.append("timeouts.backendRequest is not supported yet")
    for m in matches:
        problems += _match_regex_problems(m)
    return problems


def translate_route(route: HTTPRoute, resources: Resources, grants: GrantIndex) -> RouteEntry:
    entry = RouteEntry(route, rule_count=len(route.spec.rules))
    ns = route.namespace
    order = creation_order(route)
    failures: list[tuple[str, str]] = []
    for ri, rule in enumerate(route.spec.rules):
        matches = [_match_ir(m) for m in rule.matches]
        problems = _rule_problems(rule, matches)
        backends: list[WeightedClusterIR] = []
        rule_clusters: dict[str, tuple[ClusterKey, ServicePort]] = {}
        for bi, ref in enumerate(rule.backend_refs):
            where = f"rules[{ri}].backendRefs[{bi}]"
            target_ns = ref.namespace or ns
            cluster = None
            if ref.group != "" or ref.kind != "Service":
                failures.append((c.R_INVALID_KIND, f"{where}: kind {ref.group or 'core'}/{ref.kind} is not supported"))
            elif target_ns != ns and not grants.allows(ns, "HTTPRoute", target_ns, "Service", ref.name):
                failures.append((c.R_REF_NOT_PERMITTED,
                                 f"{where}: Service {target_ns}/{ref.name} is in another namespace and no "
                                 f"ReferenceGrant allows it"))
            elif (svc := resources.services.get((target_ns, ref.name))) is None:
                failures.append((c.R_BACKEND_NOT_FOUND, f"{where}: Service {target_ns}/{ref.name} not found"))
            elif (port := next((p for p in svc.spec.ports if p.port == ref.port), None)) is None:
                failures.append((c.R_BACKEND_NOT_FOUND,
                                 f"{where}: Service {target_ns}/{ref.name} has no port {ref.port}"))
            else:
                key = (target_ns, ref.name, port.port)
                cluster = cluster_name(key)
                rule_clusters[cluster] = (key, port)
            if ref.weight > 0:
                backends.append(WeightedClusterIR(cluster, ref.weight))
        timeout = duration_ms(rule.timeouts.request) if rule.timeouts and rule.timeouts.request else None
        if problems:
            entry.invalid_rules.append(f"rules[{ri}]: " + "; ".join(problems))
        usable = not problems and any(b.cluster for b in backends)
        if usable:
            entry.clusters.update(rule_clusters)
        for mi, match in enumerate(matches):
            if _match_regex_problems(match):
                continue  # Envoy would reject the whole RouteConfiguration: leave this match out entirely
            ir = RouteIR(f"httproute/{ns}/{route.name}/rule/{ri}/match/{mi}", match,
                         backends=list(backends) if usable else [],
                         direct_response_status=None if usable else 500, timeout_ms=timeout if usable else None)
            entry.routes.append(((*precedence(match), *order, ri, mi), ir))
    if failures:
        entry.resolved = (False, failures[0][0], "; ".join(msg for _, msg in failures))
    return entry
