"""RoutePolicy / TrafficPolicy `transformation` -> a compiled kgw rules program (the rules form as written, the
Inja form translated first), memoised so unchanged policies are neither rendered nor compiled again."""
from __future__ import annotations

import functools
import hashlib

import kgw_rules
from kgw_rules.wire import Needs, program_needs

from ...ir_ext import ProgramIR
from .inja import InjaError
from .transform import template_location, transformation_source


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


def program_ir(pid: str, blob: bytes, last_good: bool = False, before_auth: bool = False) -> ProgramIR:
    digest, env_names, needs, log_fields = _facts(blob)
    return ProgramIR(pid, digest, last_good=last_good, blob=blob, env_names=env_names, needs=needs,
                     log_fields=log_fields, before_auth=before_auth)


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


def policy_program(policy, last_good_programs) -> tuple[str | None, ProgramIR | None, str, bool]:
    """(program id, program, problem, broken) of a policy's transformation; (None, None, "", False) without one.
    A source that does not compile serves its last good program (Accepted=False, the problem says so); without
    one the policy is broken: its targets answer 500 until it compiles."""
    if policy.spec.transformation is None:
        return None, None, "", False
    pid = f"{policy.KIND}/{policy.namespace}/{policy.name}"
    before_auth = policy.spec.transformation.filter_stage is not None
    blob, error = compile_policy(policy)
    # consulted only for a policy that does not compile: in a cluster, a lookup may read the store
    last_good = last_good_programs.get(pid) if blob is None else None
    if last_good is not None and not _still_valid(last_good):
        last_good = None  # kept by an older kgw in a bytecode format this one no longer reads
    if blob is None and last_good is not None:
        problem = f"{error} (serving the last good program)"
        return pid, program_ir(pid, last_good, last_good=True, before_auth=before_auth), problem, False
    if blob is None:
        return pid, None, f"{error} (targeted routes answer 500 until it compiles)", True
    return pid, program_ir(pid, blob, before_auth=before_auth), "", False
