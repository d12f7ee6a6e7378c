"""RoutePolicy / TrafficPolicy: compile each policy's transformation, attach it to its targets, report status.

Programs run per route in this order: Gateway-level, route-level, rule-level (sectionName); oldest policy
first within a level. A policy whose source does not compile reports Accepted=False/Invalid with line and
column and keeps serving its last good program (TranslateOptions.last_good_programs); a policy that was
never valid makes the routes it targets answer 500 — rules are never silently skipped.
"""
from __future__ import annotations

import copy
import functools
import hashlib
from dataclasses import dataclass, field

import kgw_rules
from kgw_rules.wire import Needs, program_needs

from ...ir_ext import ProgramIR, RouteTracingIR
from ...models import GATEWAY_GROUP
from ..gateways import creation_order
from .backends import route_ext
from .inja import InjaError
from .status import Ancestors
from .telemetry import route_tracing
from .transform import template_location, transformation_source

LEVEL_GATEWAY, LEVEL_ROUTE, LEVEL_RULE = 0, 1, 2


@dataclass
class PolicyResult:
    programs: dict[str, ProgramIR] = field(default_factory=dict)  # id -> program (with .blob)
    gateway_programs: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    gateway_fail: dict[tuple[str, str], str] = field(default_factory=dict)


@functools.lru_cache(maxsize=512)
def compile_source(source: str, filename: str) -> tuple[bytes | None, str]:
    """(stripped bytecode, "") or (None, diagnostics as `file:line:col: message; ...`). Cached by source."""
    try:
        return kgw_rules.compile(source, filename).to_bytes(strip=True), ""
    except kgw_rules.CompileError as e:
        return None, "; ".join(f"{filename}:{d.span.line}:{d.span.col}: {d.message}" for d in e.errors)


@functools.lru_cache(maxsize=4096)
def _facts(blob: bytes) -> tuple[str, tuple[str, ...], Needs, tuple[str, ...]]:
    """(digest, environment variable names, callbacks needed, log field names) of a program: decoded once
    per bytecode."""
    program = kgw_rules.Program.from_bytes(blob)
    names = tuple(sorted(program.environment_names()))
    return hashlib.sha256(blob).hexdigest()[:16], names, program_needs(program), tuple(program.log_field_names())


@functools.lru_cache(maxsize=512)
def _still_valid(blob: bytes) -> bool:
    try:
        kgw_rules.Program.from_bytes(blob)
    except kgw_rules.VerifyError:
        return False
    return True


def program_ir(pid: str, blob: bytes, last_good: bool = False) -> ProgramIR:
    digest, env_names, needs, log_fields = _facts(blob)
    return ProgramIR(pid, digest, last_good=last_good, blob=blob, env_names=env_names, needs=needs,
                     log_fields=log_fields)


_COMPILED: dict[int, tuple[object, tuple[bytes | None, str]]] = {}  # id(transformation) -> (it, result)


def compile_policy(policy) -> tuple[bytes | None, str]:
    """Memoised per transformation object: sources keep unchanged documents as the same (immutable) objects,
    so an unchanged policy is neither rendered from its templates nor compiled again on the next translation."""
    t = policy.spec.transformation
    hit = _COMPILED.get(id(t))
    if hit is not None and hit[0] is t:
        return hit[1]
    if len(_COMPILED) > 4096:  # a bound, not an LRU: everything in use is back after one translation
        _COMPILED.clear()
    result = _compile_transformation(t)
    _COMPILED[id(t)] = (t, result)
    return result


def _compile_transformation(t) -> tuple[bytes | None, str]:
    try:
        source, origins = transformation_source(t)
    except InjaError as e:
        return None, f"bad template: {e}"
    if t.rules is not None:
        return compile_source(source, "spec.transformation.rules")
    program, diags = kgw_rules.compile_with_diagnostics(source, "spec.transformation")
    if program is not None:
        return program.to_bytes(strip=True), ""
    # the generated source is not the user's: every error points into the template it came from
    return None, "bad template: " + "; ".join(f"{template_location(d, source, origins)}: {d.message}"
                                              for d in diags if d.severity == "error")


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


def apply_route_policies(resources, entries, gateway_keys, opts, statuses: list, result: PolicyResult) -> list:
    """Returns `entries` with the routes that policies changed replaced by edited copies."""
    edits = RouteEdits(entries)
    policies = sorted([*resources.route_policies.values(), *resources.traffic_policies.values()],
                      key=creation_order)
    per_route: dict[int, list[tuple[int, int, str]]] = {}  # id(RouteIR) -> [(level, age, program id)]
    route_irs: dict[int, object] = {}
    tracing: dict[int, tuple[int, int, RouteTracingIR]] = {}  # id(RouteIR) -> (level, -age, tracing): max wins
    for age, policy in enumerate(policies):
        pid: str | None = None  # the policy's program, if it has one
        anc = Ancestors(policy, opts)
        problem, broken = "", False
        if policy.spec.transformation is not None:
            pid = f"{policy.KIND}/{policy.namespace}/{policy.name}"
            blob, error = compile_policy(policy)
            # consulted only for a policy that does not compile: in a cluster, a lookup may read the store
            last_good = opts.last_good_programs.get(pid) if blob is None else None
            if last_good is not None and not _still_valid(last_good):
                last_good = None  # kept by an older kgw in a bytecode format this one no longer reads
            if blob is None and last_good is not None:
                blob, problem = last_good, f"{error} (serving the last good program)"
            elif blob is None:
                broken, problem = True, f"{error} (targeted routes answer 500 until it compiles)"
            if blob is not None:
                result.programs[pid] = program_ir(pid, blob, last_good=bool(problem))
        for ref in policy.spec.targets:
            if ref.group == GATEWAY_GROUP and ref.kind == "Gateway":
                if policy.spec.tracing is not None:  # as kgateway's CRD rule says
                    why = ("spec.tracing: only HTTPRoute and GRPCRoute targets take tracing overrides (set it on an "
                           "HTTPListenerPolicy)")
                    problem = "; ".join(filter(None, [problem, why]))
                key = (policy.namespace, ref.name)
                if key not in gateway_keys:
                    anc.add(ref, problem, found=False)
                    continue
                if broken:
                    result.gateway_fail[key] = f"{policy.KIND} {policy.namespace}/{policy.name}: {problem}"
                elif pid:
                    result.gateway_programs.setdefault(key, []).append(pid)
                anc.add(ref, problem, found=True)
                continue
            if ref.group != GATEWAY_GROUP or ref.kind not in ("HTTPRoute", "GRPCRoute"):
                anc.add(ref, problem, found=False, why=f"target kind {ref.group}/{ref.kind} is not supported")
                continue
            entry = edits.writable((ref.kind, policy.namespace, ref.name))
            irs = [ir for _, ir in entry.routes] if entry else []
            if ref.section_name is not None:
                irs = [ir for ir in irs if getattr(ir, "rule_name", None) == ref.section_name]
            if not irs:
                anc.add(ref, problem, found=False)
                continue
            level = LEVEL_RULE if ref.section_name else LEVEL_ROUTE
            for ir in irs:
                _attach(ir, policy, pid, broken, level, age, per_route, route_irs)
                if policy.spec.tracing is not None and not broken:
                    ranked = (level, -age, route_tracing(policy.spec.tracing))
                    if id(ir) not in tracing or ranked[:2] > tracing[id(ir)][:2]:
                        tracing[id(ir)] = ranked
                        route_irs[id(ir)] = ir
            anc.add(ref, problem, found=True)
        statuses.append(anc.status())
    for ir_id, items in per_route.items():
        ext = route_ext(route_irs[ir_id])
        ext.programs = [pid for _, _, pid in sorted(items)]
    for ir_id, (_, _, chosen) in tracing.items():  # the most specific level, then the oldest policy
        route_ext(route_irs[ir_id]).tracing = chosen
    return edits.result(entries)


def _attach(ir, policy, pid, broken, level, age, per_route, route_irs) -> None:
    if broken:
        ir.backends, ir.direct_response_status = [], 500
        return
    if policy.spec.timeout is not None and ir.backends:
        ir.timeout_ms = policy.spec.timeout * 1000
    if pid:
        per_route.setdefault(id(ir), []).append((level, age, pid))
        route_irs[id(ir)] = ir
