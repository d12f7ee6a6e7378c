"""RoutePolicy / TrafficPolicy: attach each policy to its targets, its rules program and its traffic settings,
and report status.

Programs run per route in this order: Gateway-level, route-level, rule-level (sectionName); oldest policy
first within a level (translate/policies/programs.py compiles them and keeps last good ones). Traffic settings
are merged per setting, the most specific place first (traffic.py): route- and rule-level ones here, on copies
of the route translations; Gateway- and listener-level ones while routes are assembled per listener
(`ListenerDefaults`). A policy that cannot be applied — invalid, or a program that never compiled — makes its
target routes answer 500: nothing is silently skipped.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ...ir import RouteIR
from ...ir_ext import ProgramIR, RouteTracingIR
from ...ir_traffic import LocalRateLimitIR
from ...models import GATEWAY_GROUP
from ..gateways import creation_order
from ..invalid import raw_target_refs
from .backends import route_ext
from .programs import policy_program
from .security import security_settings
from .status import Ancestors
from .targets import LEVEL_GATEWAY, LEVEL_LISTENER, ROUTE_KINDS, Target, TargetRef, listener_set_target, policy_targets
from .telemetry import route_tracing
from .traffic import TrafficSettings, fill, settings_of, with_defaults


@dataclass
class PolicyResult:
    programs: dict[str, ProgramIR] = field(default_factory=dict)  # id -> program (with .blob)
    gateway_programs: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    gateway_fail: dict[tuple[str, str], str] = field(default_factory=dict)
    listener_fail: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (ns, gateway, listener)
    # Gateway- and listener-level traffic settings: (ns, gateway) -> listener name ("" = the Gateway) -> oldest first
    layers: dict[tuple[str, str], dict[str, list[TrafficSettings]]] = field(default_factory=dict)
    rate_limits: dict[tuple[str, str], dict[str, LocalRateLimitIR]] = field(default_factory=dict)


def _copy_ir(ir):
    out = copy.copy(ir)  # shallow: policies replace fields (backends, timeout_ms, ext), never edit them
    out.ext = copy.copy(ir.ext)
    return out


class RouteEdits:
    """Copy-on-write access to route translations: policies never edit a RouteEntry or RouteIR in place, so
    translations reused from the TranslateCache stay exactly as route translation left them."""

    def __init__(self, entries: list) -> None:
        self.entries = {e.key: e for e in entries}
        self._copied: set[tuple[str, str, str]] = set()

    def writable(self, key: tuple[str, str, str]):
        """This translation's own copy of the entry (its RouteIRs and their ext copied too), or None."""
        entry = self.entries.get(key)
        if entry is None or key in self._copied:
            return entry
        entry = self.entries[key] = copy.copy(entry)
        entry.routes = [(k, _copy_ir(ir)) for k, ir in entry.routes]
        self._copied.add(key)
        return entry

    def result(self, entries: list) -> list:
        if not self._copied:
            return entries
        return [self.entries[e.key] for e in entries]


def _fail(ir: RouteIR) -> None:
    ir.backends, ir.direct_response_status, ir.redirect = [], 500, None


def _route_irs(edits: RouteEdits, key, section: str | None) -> list[RouteIR]:
    entry = edits.writable(key)
    irs = [ir for _, ir in entry.routes] if entry else []
    return [ir for ir in irs if ir.rule_name == section] if section is not None else irs


@dataclass
class _Attachment:
    """One policy on one route: its level and age order the merge; what it applied decides Attached."""

    level: int
    policy: int  # index into the policies, oldest first
    target: int  # index into the policy's targets
    settings: TrafficSettings


def apply_route_policies(resources, entries, gateways: dict, opts, statuses: list, result: PolicyResult) -> list:
    """Returns `entries` with the routes that policies changed replaced by edited copies. `gateways`: the
    GatewayStates by key."""
    edits = RouteEdits(entries)
    routes = {e.key: e for e in entries}
    policies = sorted([*resources.route_policies.values(), *resources.traffic_policies.values()],
                      key=creation_order)
    programs: dict[int, list[tuple[int, int, str]]] = {}  # id(RouteIR) -> [(level, age, program id)]
    attachments: dict[int, list[_Attachment]] = {}
    route_irs: dict[int, RouteIR] = {}
    reports: list[tuple[Ancestors, str, list[Target], list[str]]] = []
    tracing: dict[int, tuple[int, int, RouteTracingIR]] = {}  # id(RouteIR) -> (level, -age, tracing): max wins
    for age, policy in enumerate(policies):
        pid, program, problem, broken = policy_program(policy, opts.last_good_programs)
        if pid is not None and program is not None:
            result.programs[pid] = program
        settings, problems = settings_of(policy.spec)
        security, security_problems = security_settings(policy, resources, opts.oidc)
        problems += security_problems
        for name in ("jwt", "ext_auth", "basic_auth", "api_key_auth", "rbac", "acl", "csrf", "oauth2"):
            setattr(settings, name, getattr(security, name))
        targets = policy_targets(policy, resources, gateways, routes)
        listener_targets = [t for t in targets if t.found and t.level == LEVEL_LISTENER]
        if policy.spec.transformation is not None and listener_targets:
            problems.append("spec.transformation: rules cannot attach to one Gateway listener (sectionName); "
                            "target the Gateway or its routes")
        if settings.rate_limit is not None:
            problems += [_shared_port(t, gateways) for t in listener_targets if _shared_port(t, gateways)]
        if problems:
            broken = True
            problem = "; ".join([*([problem] if problem else []), *problems]) + (
                "" if problem else " (targeted routes answer 500 until it is fixed)")
        if policy.spec.tracing is not None and any(t.found and t.level in (LEVEL_GATEWAY, LEVEL_LISTENER)
                                                   for t in targets):  # as kgateway's CRD rule says
            problem = "; ".join(filter(None, [problem, "spec.tracing: only HTTPRoute and GRPCRoute targets take "
                                                       "tracing overrides (set it on an HTTPListenerPolicy)"]))
        for ti, target in enumerate(targets):
            if not target.found:
                continue
            if target.level in (LEVEL_GATEWAY, LEVEL_LISTENER):
                _attach_gateway(target, policy, pid if program else None, settings, broken, problem, result)
                continue
            for ir in _route_irs(edits, target.route_key, target.ref.section_name):
                if broken:
                    _fail(ir)
                    continue
                route_irs[id(ir)] = ir
                if pid is not None and program is not None:
                    programs.setdefault(id(ir), []).append((target.level, age, pid))
                attachments.setdefault(id(ir), []).append(_Attachment(target.level, age, ti, settings))
                if policy.spec.tracing is not None:
                    ranked = (target.level, -age, route_tracing(policy.spec.tracing))
                    if id(ir) not in tracing or ranked[:2] > tracing[id(ir)][:2]:
                        tracing[id(ir)] = ranked
        reports.append((Ancestors(policy, opts), problem, targets, settings.names()))
    _fail_invalid(resources, edits, gateways, result)
    applied: dict[tuple[int, int], set[str]] = {}  # (policy, target) -> settings it decided somewhere
    for key, items in attachments.items():
        ir = route_irs[key]
        for a in sorted(items, key=lambda a: (-a.level, a.policy)):  # most specific, then oldest, first
            applied.setdefault((a.policy, a.target), set()).update(fill(ir, a.settings))
    for key, ordered in programs.items():
        route_ext(route_irs[key]).programs = [p for _, _, p in sorted(ordered)]
    for key, (_, _, chosen) in tracing.items():  # the most specific level, then the oldest policy
        route_ext(route_irs[key]).tracing = chosen
    for pi, (anc, problem, targets, names) in enumerate(reports):
        for ti, t in enumerate(targets):
            overridden = (names and t.found and t.level > LEVEL_LISTENER and not problem
                          and policies[pi].spec.transformation is None and not applied.get((pi, ti)))
            anc.add(t.ref, problem, t.found, t.why,
                    overridden=f"every setting ({', '.join(names)}) is set by the rule itself or a more specific "
                               f"or older policy" if overridden else "")
        statuses.append(anc.status())
    return edits.result(entries)


def _shared_port(target: Target, gateways: dict) -> str:
    """A listener-level rate limit is the bucket of the listener's connection manager; HTTP listeners on one
    port share one, so the limit cannot be the listener's own."""
    state = gateways[target.gateway]
    for key in target.listeners:
        mine = next(ls for ls in state.listeners if ls.key == key)
        others = [ls.key for ls in state.listeners if ls is not mine and ls.bind_port == mine.bind_port
                  and mine.spec.protocol == "HTTP"]
        if others:
            return (f"spec.rateLimit: listener {mine.key} shares port {mine.spec.port} with {', '.join(others)}, and "
                    "so its connection manager: a listener-level rate limit needs a port of its own (or target the "
                    "Gateway)")
    return ""


def _attach_gateway(target: Target, policy, pid, settings: TrafficSettings, broken: bool, problem: str,
                    result: PolicyResult) -> None:
    key = target.gateway
    assert key is not None  # a Gateway or listener target names its Gateway
    if broken:
        where = f"{policy.KIND} {policy.namespace}/{policy.name}: {problem}"
        for listener in target.listeners:
            result.listener_fail[(*key, listener)] = where
        if not target.listeners:
            result.gateway_fail[key] = where
        return
    if pid and not target.listeners:
        result.gateway_programs.setdefault(key, []).append(pid)
    for listener in target.listeners or ("",):
        if settings.names():
            result.layers.setdefault(key, {}).setdefault(listener, []).append(settings)
        if settings.rate_limit is not None:
            result.rate_limits.setdefault(key, {}).setdefault(listener, settings.rate_limit)


def _fail_invalid(resources, edits: RouteEdits, gateways: dict, result: PolicyResult) -> None:
    """A RoutePolicy / TrafficPolicy that failed validation still names its targets: they answer 500 (its
    status says why: translate/invalid.py), since whatever it was meant to enforce cannot be."""
    for inv in resources.invalid:
        if inv.kind not in ("RoutePolicy", "TrafficPolicy"):
            continue
        why = f"{inv.kind} {inv.namespace}/{inv.name} is invalid"
        for ref in raw_target_refs(inv.raw):
            group, kind = ref.get("group", GATEWAY_GROUP), ref["kind"]
            section = ref.get("sectionName") if isinstance(ref.get("sectionName"), str) else None
            if (group, kind) == (GATEWAY_GROUP, "Gateway") and (inv.namespace, ref["name"]) in gateways:
                if section:
                    result.listener_fail[(inv.namespace, ref["name"], section)] = why
                else:
                    result.gateway_fail[(inv.namespace, ref["name"])] = why
            elif (group, kind) == (GATEWAY_GROUP, "ListenerSet"):
                target = listener_set_target(TargetRef(group, kind, ref["name"], section), inv.namespace, gateways)
                if target.found and target.gateway is not None:
                    ns, gw_name = target.gateway
                    for listener in target.listeners:
                        result.listener_fail[(ns, gw_name, listener)] = why
            elif group == GATEWAY_GROUP and kind in ROUTE_KINDS:
                for ir in _route_irs(edits, (kind, inv.namespace, ref["name"]), section):
                    _fail(ir)


class ListenerDefaults:
    """Gateway- and listener-level settings onto the routes of one Gateway listener, while assembling: a route
    gets a copy with what it lacks (once per listener and route)."""

    def __init__(self, result: PolicyResult) -> None:
        self.result = result
        self._done: dict[tuple, RouteIR] = {}

    def __call__(self, gateway: tuple[str, str], listener: str, ir: RouteIR) -> RouteIR:
        layers = self.result.layers.get(gateway)
        failed = (*gateway, listener) in self.result.listener_fail
        if not layers and not failed:
            return ir
        memo = (gateway, listener, id(ir))
        out = self._done.get(memo)
        if out is None:
            if failed:
                out = _copy_ir(ir)
                _fail(out)
            else:
                own, everyone = (layers.get(listener, []), layers.get("", [])) if layers else ([], [])
                out = with_defaults(ir, [*own, *everyone])
            self._done[memo] = out
        return out
