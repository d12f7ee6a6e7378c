"""HTTPRoute rules -> precedence-keyed RouteIRs, backend resolution and ResolvedRefs.

Each route is translated once, independent of the Gateways it attaches to; assembly copies the result
into every virtual host it serves.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from ..envoy_regex import regex_problem
from ..ir import MatchIR, RetryIR, RouteIR, RouteRef, StringMatchIR, WeightedClusterIR
from ..ir_traffic import SessionIR
from ..models import GRPCRoute, HTTPRoute, HTTPRouteRule, RouteMatch
from ..resources import Resources
from . import conditions as c
from .backends import ClusterKey, ResolvedBackend, cluster_name, resolve_backend
from .extensions import ExtensionRefError, RouteContext
from .filters import backend_filters, rule_filters
from .gateways import creation_order
from .grants import GrantIndex

__all__ = ["ClusterKey", "RouteEntry", "RuleSpec", "cluster_name", "translate_route", "translate_rules"]

# Path match kinds, most precedent first. The spec leaves RegularExpression to implementations: kgw puts
# it between Exact and PathPrefix so the default `PathPrefix /` can never shadow a regex rule.
PATH_RANK = {"Exact": 0, "RegularExpression": 1, "PathPrefix": 2}


@dataclass
class RouteEntry:
    """One translated HTTPRoute or GRPCRoute."""

    route: HTTPRoute | GRPCRoute
    routes: list[tuple[tuple, RouteIR]] = field(default_factory=list)  # (precedence key, IR)
    clusters: dict[str, ResolvedBackend] = field(default_factory=dict)
    resolved: tuple[bool, str, str] = (True, c.R_RESOLVED_REFS, "All references are resolved")
    invalid_rules: list[str] = field(default_factory=list)  # messages for rules served as 500
    # rules served as 500 while the route stays accepted: (reason, message); IncompatibleFilters, a DirectResponse
    # used as a backendRef filter (kgateway accepts both shapes; a route with only such rules still answers 500)
    failed_rules: list[tuple[str, str]] = field(default_factory=list)
    rule_count: int = 0

    @functools.cached_property
    def key(self) -> tuple[str, str, str]:  # read many times per translation (attach, policies, assembly)
        return (self.route.kind, self.route.namespace, self.route.name)

    @property
    def kind(self) -> str:
        return self.route.kind


def duration_ms(text: str) -> int:
    """Gateway API duration ("1h30m", "500ms") -> milliseconds."""
    units = {"h": 3600000, "m": 60000, "s": 1000, "ms": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"([0-9]+)(ms|h|m|s)", text))


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


@dataclass
class RuleSpec:
    """One rule of an HTTPRoute or GRPCRoute, in the shape both kinds share."""

    index: int
    name: str | None
    matches: list[MatchIR]
    filters: list
    backend_refs: list
    timeout_ms: int | None = None
    backend_timeout_ms: int | None = None
    match_prefix: str = ""  # the single PathPrefix value, for ReplacePrefixMatch
    retry: RetryIR | None = None
    session: object = None  # the rule's sessionPersistence (models.SessionPersistence)


def translate_rules(entry: RouteEntry, ctx: RouteContext, rules: list[RuleSpec]) -> None:
    """Rules -> precedence-keyed RouteIRs on `entry`, with clusters, invalid rules and ResolvedRefs."""
    route = entry.route
    order = creation_order(route)
    failures: list[tuple[str, str]] = []
    grpc = ctx.kind == "GRPCRoute"
    for rule in rules:
        ri = rule.index
        where = f"rules[{ri}]"
        filters = rule_filters(rule.filters, ctx, where, rule.match_prefix)
        failures += filters.failures
        problems = list(filters.problems)
        for m in rule.matches:
            problems += _match_regex_problems(m)
        session, session_problems = session_ir(rule.session, f"{where}.sessionPersistence")
        problems += session_problems
        backends: list[WeightedClusterIR] = []
        rule_clusters: dict[str, ResolvedBackend] = dict(filters.backends)
        refused: list[str] = []
        for bi, ref in enumerate(rule.backend_refs):
            bwhere = f"{where}.backendRefs[{bi}]"
            req, resp, bproblems, brefused = backend_filters(ref.filters, bwhere)
            problems += bproblems
            refused += brefused
            cluster = None
            try:
                target = resolve_backend(ref, ctx)
                cluster = target.cluster
                rule_clusters[cluster] = target
            except ExtensionRefError as e:
                failures.append((e.reason, f"{bwhere}: {e.message}"))
            if ref.weight > 0:
                backends.append(WeightedClusterIR(cluster, ref.weight, req, resp))
        if problems:
            entry.invalid_rules.append(f"{where}: " + "; ".join(p.removeprefix(f"{where}.") for p in problems))
        elif filters.incompatible:
            entry.failed_rules.append((c.R_INCOMPATIBLE_FILTERS, f"{where}: " + "; ".join(filters.incompatible)))
        elif refused:
            entry.failed_rules.append((c.R_UNSUPPORTED_VALUE,
                                       f"{where}: " + "; ".join(r.removeprefix(f"{where}.") for r in refused)))
        redirect = filters.redirect is not None
        usable = not problems and not filters.incompatible and not refused and (
            redirect or filters.terminal or any(b.cluster for b in backends))
        if usable:
            entry.clusters.update(rule_clusters)
            if grpc:
                ctx.h2_clusters.update(rule_clusters)
        for mi, match in enumerate(rule.matches):
            if _match_regex_problems(match):
                continue  # Envoy would reject the whole RouteConfiguration: leave this match out entirely
            ref = RouteRef(route.kind, route.namespace, route.name, ri, mi)
            ir = RouteIR(ref.envoy_name, match, rule_name=rule.name, grpc=grpc, ref=ref,
                         websocket=any(t.websocket for t in rule_clusters.values()))
            if usable:
                ir.backends = [] if redirect else list(backends)
                ir.timeout_ms, ir.backend_timeout_ms = rule.timeout_ms, rule.backend_timeout_ms
                ir.retry = None if redirect else rule.retry
                ir.session = None if redirect else session
                filters.apply(ir)
            else:
                ir.direct_response_status = 500
            entry.routes.append(((*precedence(match), *order, ri, mi), ir))
    if failures:
        entry.resolved = (False, failures[0][0], "; ".join(msg for _, msg in failures))


DEFAULT_SESSION_NAME = "kgw-session"


def session_ir(sp, where: str) -> tuple[SessionIR | None, list[str]]:
    """sessionPersistence -> Envoy's stateful session: a cookie (a session cookie, or a permanent one whose
    Max-Age is absoluteTimeout) or a header. What Envoy cannot enforce is refused, not dropped."""
    if sp is None:
        return None, []
    problems = []
    if sp.idle_timeout:
        problems.append(f"{where}.idleTimeout: not supported (Envoy's stateful sessions have no idle timeout)")
    permanent = sp.cookie_config is not None and sp.cookie_config.lifetime_type == "Permanent"
    if sp.absolute_timeout and not permanent:
        problems.append(f"{where}.absoluteTimeout: supported only with type Cookie and cookieConfig.lifetimeType "
                        "Permanent (the cookie's Max-Age); Envoy cannot end a session cookie or header session")
    ttl = duration_ms(sp.absolute_timeout) // 1000 if sp.absolute_timeout and permanent else None
    return SessionIR(sp.type, sp.session_name or DEFAULT_SESSION_NAME, ttl), problems


def _retry(retry) -> RetryIR | None:
    if retry is None:
        return None
    return RetryIR(sorted(retry.codes), retry.attempts, duration_ms(retry.backoff) if retry.backoff else None)


def _prefix_of(rule: HTTPRouteRule) -> str:
    m = rule.matches
    return m[0].path.value if len(m) == 1 and m[0].path.type == "PathPrefix" else ""


def translate_route(route: HTTPRoute, resources: Resources, grants: GrantIndex,
                    h2_clusters: set[str] | None = None) -> RouteEntry:
    entry = RouteEntry(route, rule_count=len(route.spec.rules))
    ctx = RouteContext("HTTPRoute", route.namespace, resources, grants,
                       h2_clusters if h2_clusters is not None else set())
    rules = []
    for ri, rule in enumerate(route.spec.rules):
        t = rule.timeouts
        rules.append(RuleSpec(
            ri, rule.name, [_match_ir(m) for m in rule.matches], rule.filters, rule.backend_refs,
            duration_ms(t.request) if t and t.request else None,
            duration_ms(t.backend_request) if t and t.backend_request else None,
            _prefix_of(rule), _retry(rule.retry), rule.session_persistence,
        ))
    translate_rules(entry, ctx, rules)
    return entry
