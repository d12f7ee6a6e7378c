"""HTTPRoute / GRPCRoute filters -> the RouteIR fields Envoy needs.

The spec says a filter must never be skipped: a filter kgw cannot apply (an unsupported ExtensionRef kind,
a mirror whose backend does not resolve, a backendRef filter other than the header modifiers) makes its
rule answer 500 and is reported (UnsupportedValue / ResolvedRefs). A filter whose object is missing (a
DirectResponse that does not exist) makes the rule answer 500 with ResolvedRefs=False, the route staying
accepted. Filters that each decide the whole response (two DirectResponses, or one beside a RequestRedirect)
are IncompatibleFilters: the rule answers 500 and the route stays accepted (kgateway does the same).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..envoy_regex import origin_pattern, regex_problem, strip_prefix_pattern
from ..ir import CorsIR, HeaderKVIR, HeaderModIR, MirrorIR, PathModIR, RedirectIR, RewriteIR, RouteIR
from . import conditions as c
from .backends import ResolvedBackend, resolve_backend
from .extensions import EXTENSION_FILTERS, ExtensionRefError, RouteContext, RouteMutation, UnresolvedExtensionRef


@dataclass
class RuleFilters:
    request_headers: HeaderModIR | None = None
    response_headers: HeaderModIR | None = None
    redirect: RedirectIR | None = None
    rewrite: RewriteIR | None = None
    mirrors: list[MirrorIR] = field(default_factory=list)
    cors: CorsIR | None = None
    mutations: list[RouteMutation] = field(default_factory=list)  # from ExtensionRef handlers
    terminal: bool = False  # an ExtensionRef answers by itself (kgateway DirectResponse): no backend needed
    backends: dict[str, ResolvedBackend] = field(default_factory=dict)  # mirror clusters
    problems: list[str] = field(default_factory=list)  # why the rule must answer 500
    incompatible: list[str] = field(default_factory=list)  # filters that each decide the response (500)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (ResolvedRefs reason, message)

    def apply(self, ir: RouteIR) -> None:
        ir.request_headers, ir.response_headers = self.request_headers, self.response_headers
        ir.redirect, ir.rewrite, ir.mirrors, ir.cors = self.redirect, self.rewrite, list(self.mirrors), self.cors
        for mutate in self.mutations:
            mutate(ir)


def header_mod(mod) -> HeaderModIR:
    # Header names are case-insensitive (Envoy lower-cases them); values are kept as written.
    return HeaderModIR(
        set=[HeaderKVIR(h.name.lower(), h.value) for h in mod.set],
        add=[HeaderKVIR(h.name.lower(), h.value) for h in mod.add],
        remove=[n.lower() for n in mod.remove],
    )


def header_mod_problems(mod: HeaderModIR, where: str) -> list[str]:
    """What Envoy would refuse in a header modifier (and with it the whole RouteConfiguration): changing
    Host, or a value with CR, LF or NUL (the standard channel does not restrict values)."""
    out = []
    if "host" in {h.name for h in mod.set + mod.add} | set(mod.remove):
        out.append(f"{where}: the Host header cannot be changed by a header modifier (URLRewrite hostname can)")
    for h in mod.set + mod.add:
        if any(ch in h.value for ch in "\r\n\0"):
            out.append(f"{where}: the value of header {h.name} contains CR, LF or NUL")
    return out


def _path_mod(path, match_prefix: str, where: str, problems: list[str]) -> PathModIR | None:
    if path is None:
        return None
    if path.type == "ReplaceFullPath":
        return PathModIR("ReplaceFullPath", path.replace_full_path)
    if match_prefix.rstrip("/") and not path.replace_prefix_match.rstrip("/"):
        # stripping the prefix takes a regex_rewrite (xdsgen/filters.prefix_rewrite), which Envoy may refuse
        problem = regex_problem(strip_prefix_pattern(match_prefix.rstrip("/")))
        if problem:
            problems.append(f"{where}.path: replacing prefix {match_prefix} with / is beyond Envoy: {problem}")
    return PathModIR("ReplacePrefixMatch", path.replace_prefix_match, match_prefix)


def _cors(cors, where: str, problems: list[str]) -> CorsIR:
    for i, origin in enumerate(cors.allow_origins):
        pattern = origin_pattern(origin)
        problem = regex_problem(pattern) if pattern else ""
        if problem:
            problems.append(f"{where}.allowOrigins[{i}]: {problem}")
    return CorsIR(list(cors.allow_origins), bool(cors.allow_credentials), list(cors.allow_methods),
                  list(cors.allow_headers), list(cors.expose_headers), cors.max_age)


def _mirror(flt, ctx: RouteContext, where: str, out: RuleFilters) -> None:
    m = flt.request_mirror
    try:
        target = resolve_backend(m.backend_ref, ctx)
    except ExtensionRefError as e:
        out.failures.append((e.reason, f"{where}.requestMirror.backendRef: {e.message}"))
        out.problems.append(f"{where}: RequestMirror backend cannot be resolved")
        return
    numerator, denominator = 100, 100
    if m.percent is not None:
        numerator = m.percent
    elif m.fraction is not None:
        numerator, denominator = m.fraction.numerator, m.fraction.denominator
    out.backends[target.cluster] = target
    out.mirrors.append(MirrorIR(target.cluster, numerator, denominator))


def _answer_500(ir: RouteIR) -> None:
    ir.backends, ir.direct_response_status = [], 500


def rule_filters(filters, ctx: RouteContext, where: str, match_prefix: str = "") -> RuleFilters:
    out = RuleFilters()
    deciders: list[str] = []  # filters that answer the request by themselves
    for fi, flt in enumerate(filters):
        here = f"{where}.filters[{fi}]"
        if flt.type == "RequestHeaderModifier":
            out.request_headers = header_mod(flt.request_header_modifier)
            out.problems += header_mod_problems(out.request_headers, f"{here}.requestHeaderModifier")
        elif flt.type == "ResponseHeaderModifier":
            out.response_headers = header_mod(flt.response_header_modifier)
            out.problems += header_mod_problems(out.response_headers, f"{here}.responseHeaderModifier")
        elif flt.type == "RequestRedirect":
            r = flt.request_redirect
            path = _path_mod(r.path, match_prefix, f"{here}.requestRedirect", out.problems)
            out.redirect = RedirectIR(r.scheme, r.hostname, r.port, path, r.status_code)
            deciders.append(f"filters[{fi}] (RequestRedirect)")
        elif flt.type == "URLRewrite":
            r = flt.url_rewrite
            out.rewrite = RewriteIR(r.hostname, _path_mod(r.path, match_prefix, f"{here}.urlRewrite", out.problems))
        elif flt.type == "RequestMirror":
            _mirror(flt, ctx, here, out)
        elif flt.type == "CORS":
            out.cors = _cors(flt.cors, f"{here}.cors", out.problems)
        elif flt.type == "ExtensionRef":
            ref = flt.extension_ref
            handler = EXTENSION_FILTERS.get((ref.group, ref.kind))
            try:
                if handler is None:
                    raise ExtensionRefError(c.R_INVALID_KIND,
                                            f"ExtensionRef kind {ref.group}/{ref.kind} is not supported")
                mutation = handler(ref, ctx)
                out.mutations.append(mutation)
                if getattr(mutation, "terminal", False):
                    out.terminal = True
                    deciders.append(f"filters[{fi}] ({ref.kind} {ref.name})")
            except UnresolvedExtensionRef as e:
                out.failures.append((e.reason, f"{here}: {e.message}"))
                out.mutations.append(_answer_500)
                out.terminal = True
                deciders.append(f"filters[{fi}] ({ref.kind} {ref.name})")
            except ExtensionRefError as e:
                out.failures.append((e.reason, f"{here}: {e.message}"))
                out.problems.append(f"{here}: ExtensionRef {ref.kind} {ref.name} cannot be applied")
        else:  # a type added to the API after this kgw was written: never skip it silently
            out.problems.append(f"{here}: filter type {flt.type} is not supported")
    if len(deciders) > 1:
        out.incompatible.append(f"{' and '.join(deciders)} each decide the whole response; use one")
    return out


def backend_filters(filters, where: str) -> tuple[HeaderModIR | None, HeaderModIR | None, list[str], list[str]]:
    """backendRef-level filters: the header modifiers are applied per weighted cluster; others are refused.
    A DirectResponse there is refused too (kgateway ignores it and forwards; kgw never skips a filter): it
    answers the whole request, so it belongs in the rule's filters. Returns (request mod, response mod,
    problems that make the rule invalid, refusals that make it answer 500 while the route stays accepted)."""
    req = resp = None
    problems, refused = [], []
    for fi, flt in enumerate(filters):
        here = f"{where}.filters[{fi}]"
        if flt.type == "RequestHeaderModifier":
            req = header_mod(flt.request_header_modifier)
            problems += header_mod_problems(req, f"{here}.requestHeaderModifier")
        elif flt.type == "ResponseHeaderModifier":
            resp = header_mod(flt.response_header_modifier)
            problems += header_mod_problems(resp, f"{here}.responseHeaderModifier")
        elif flt.type == "ExtensionRef" and flt.extension_ref.kind == "DirectResponse":
            refused.append(f"{here}: DirectResponse {flt.extension_ref.name} cannot be a backendRef "
                           "filter (it answers the whole request): move it to the rule's filters")
        else:
            problems.append(f"{here}: {flt.type} is not supported on a backendRef")
    return req, resp, problems, refused
