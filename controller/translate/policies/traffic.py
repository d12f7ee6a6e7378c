"""A TrafficPolicy's traffic fields -> `TrafficSettings` (typed IR values, one per setting), and how settings
from several places combine on one route.

Merging, as kgateway does: each setting of a route comes from the most specific place that sets it — the
route rule itself (HTTPRoute `timeouts`, `retry`, filters), then policies on the rule (`sectionName`), on
the route, on the Gateway listener, on the Gateway; within a level the oldest policy first. A setting is
taken whole (a `retry` is never half from one policy and half from another); `disable: {}` counts as a
setting, so it switches off what a less specific policy turned on.
"""
from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass

from ...envoy_regex import regex_problem
from ...ir import CorsIR, RetryIR, RouteIR
from ...ir_ext import RouteExtIR
from ...ir_security import (
    AclIR,
    ApiKeyAuthIR,
    BasicAuthIR,
    CidrAuthorizationIR,
    CsrfIR,
    ExtAuthIR,
    JwtIR,
    OAuth2IR,
)
from ...ir_traffic import (
    BufferIR,
    CompressionIR,
    DescriptorIR,
    FaultIR,
    HeaderMutationIR,
    HeaderPairIR,
    InternalRedirectIR,
    LocalRateLimitIR,
    PathRegexIR,
    TokenBucketIR,
)
from ...models.httproute import duration_ms
from ...models.traffic import quantity_bytes
from ..filters import _cors as cors_ir


@dataclass
class TrafficSettings:
    """What one policy sets (None: not set). Names are the RouteIR / RouteExtIR fields they fill."""

    timeout_ms: int | None = None
    idle_timeout_ms: int | None = None
    retry: RetryIR | None = None
    cors: CorsIR | None = None
    rate_limit: LocalRateLimitIR | None = None
    compression: CompressionIR | None = None
    fault: FaultIR | None = None
    buffer: BufferIR | None = None
    header_mutation: HeaderMutationIR | None = None
    path_regex: PathRegexIR | None = None
    internal_redirect: InternalRedirectIR | None = None
    stat_prefix: str | None = None  # a template: {{route_name}}, {{route_namespace}}, {{rule_name}}
    auto_host_rewrite: bool | None = None
    # security (security.py)
    jwt: JwtIR | None = None
    ext_auth: ExtAuthIR | None = None
    basic_auth: BasicAuthIR | None = None
    api_key_auth: ApiKeyAuthIR | None = None
    rbac: CidrAuthorizationIR | None = None
    acl: AclIR | None = None
    csrf: CsrfIR | None = None
    oauth2: OAuth2IR | None = None

    def names(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self) if getattr(self, f.name) is not None]


ROUTE_FIELDS = ("timeout_ms", "idle_timeout_ms", "retry", "cors")  # on RouteIR; the rest on RouteExtIR
# Settings a Gateway- or listener-level policy cannot push into a route: kgateway's CEL rules allow them on
# routes only, and a Gateway's rate limit is one bucket for the whole Gateway (GatewayExtIR.rate_limits).
ROUTE_ONLY = ("path_regex", "stat_prefix", "auto_host_rewrite", "rate_limit")


def _bucket(tb) -> TokenBucketIR:
    return TokenBucketIR(tb.max_tokens, tb.tokens_per_fill, duration_ms(tb.fill_interval))


def _rate_limit(rl) -> LocalRateLimitIR | None:
    local = rl.local
    if local is None or local.token_bucket is None:
        return None
    descriptors = [DescriptorIR([(e.key, e.value or "") for e in d.entries], _bucket(d.token_bucket))
                   for d in local.descriptors]
    return LocalRateLimitIR(_bucket(local.token_bucket),
                            100 if local.percent_enabled is None else local.percent_enabled,
                            100 if local.percent_enforced is None else local.percent_enforced, descriptors)


def _retry(r) -> RetryIR:
    return RetryIR(codes=sorted(set(r.status_codes or ())), attempts=r.attempts,
                   backoff_ms=duration_ms(r.backoff_base_interval) if r.backoff_base_interval else None,
                   # kgateway: statusCodes alone retry just those codes (an HTTPRoute retry adds connection failures)
                   retry_on=list(dict.fromkeys(r.retry_on or ())) or ["retriable-status-codes"],
                   per_try_timeout_ms=duration_ms(r.per_try_timeout) if r.per_try_timeout else None,
                   host_predicates=list(r.retry_host_predicates or ()))


def _compression(c) -> CompressionIR:
    out = CompressionIR()
    rc, rd = c.response_compression, c.request_decompression
    if rc is not None:
        out.disabled = rc.disable is not None
        if not out.disabled:
            out.libraries, out.min_content_length = list(rc.libraries), rc.min_content_length_bytes
            out.content_types = list(rc.content_types or ())
    if rd is not None:
        out.decompress_disabled = rd.disable is not None
        if not out.decompress_disabled:
            out.decompress = list(rd.libraries)
    return out


def _fault(f) -> FaultIR:
    if f.disable is not None:
        return FaultIR(disabled=True)
    out = FaultIR(max_active=f.max_active_faults)
    if f.delay:
        out.delay_ms, out.delay_percent = duration_ms(f.delay.fixed_delay), f.delay.percentage
    if f.abort:
        out.abort_http, out.abort_grpc, out.abort_percent = f.abort.http_status, f.abort.grpc_status, f.abort.percentage
    if f.response_rate_limit:
        out.rate_kbps, out.rate_percent = f.response_rate_limit.kbits_per_second, f.response_rate_limit.percentage
    return out


def _header_mutation(h) -> HeaderMutationIR:
    out = HeaderMutationIR()
    for phase, flt in (("request", h.request), ("response", h.response)):
        if flt is None:
            continue
        setattr(out, f"{phase}_set", [HeaderPairIR(x.name.lower(), x.value) for x in flt.set])
        setattr(out, f"{phase}_add", [HeaderPairIR(x.name.lower(), x.value) for x in flt.add])
        setattr(out, f"{phase}_remove", [n.lower() for n in flt.remove])
    return out


def settings_of(spec) -> tuple[TrafficSettings, list[str]]:
    """(settings, problems): a problem is something Envoy would refuse (the policy is then not applied, and
    its targets answer 500, as for any invalid policy)."""
    out = TrafficSettings()
    problems: list[str] = []
    if spec.timeout is not None:  # beta1
        out.timeout_ms = spec.timeout * 1000
    if spec.timeouts is not None:
        if spec.timeouts.request is not None:
            out.timeout_ms = duration_ms(spec.timeouts.request)
        if spec.timeouts.stream_idle is not None:
            out.idle_timeout_ms = duration_ms(spec.timeouts.stream_idle)
    if spec.retry is not None:
        out.retry = _retry(spec.retry)
    if spec.cors is not None:
        out.cors = CorsIR(disabled=True) if spec.cors.disable is not None else cors_ir(spec.cors, "spec.cors", problems)
    if spec.rate_limit is not None:
        out.rate_limit = _rate_limit(spec.rate_limit)
    if spec.compression is not None:
        out.compression = _compression(spec.compression)
    if spec.fault_injection is not None:
        out.fault = _fault(spec.fault_injection)
    if spec.buffer is not None:
        out.buffer = (BufferIR(disabled=True) if spec.buffer.disable is not None
                      else BufferIR(max_bytes=quantity_bytes(spec.buffer.max_request_size)))
    if spec.header_modifiers is not None:
        out.header_mutation = _header_mutation(spec.header_modifiers)
        names = [p.name for p in out.header_mutation.request_set + out.header_mutation.request_add]
        if "host" in names or "host" in out.header_mutation.request_remove:
            problems.append("spec.headerModifiers.request: the Host header cannot be changed here "
                            "(autoHostRewrite or an HTTPRoute URLRewrite can)")
    if spec.url_rewrite is not None:
        rx = spec.url_rewrite.path_regex
        problem = regex_problem(rx.pattern)
        if problem:
            problems.append(f"spec.urlRewrite.pathRegex.pattern: {problem}")
        out.path_regex = PathRegexIR(rx.pattern, rx.substitution)
    if spec.internal_redirect is not None:
        ir = spec.internal_redirect
        out.internal_redirect = InternalRedirectIR(sorted(ir.redirect_response_codes or ()),
                                                   bool(ir.allow_cross_scheme_redirect),
                                                   [h.lower() for h in ir.response_headers_to_copy or ()],
                                                   ir.max_redirects)
    out.stat_prefix = spec.stat_prefix
    out.auto_host_rewrite = spec.auto_host_rewrite
    return out, problems


_TEMPLATE = re.compile(r"\{\{\s*(route_name|route_namespace|rule_name)\s*\}\}")


def render_stat_prefix(template: str, ir: RouteIR) -> str:
    ref = ir.ref
    values = {"route_name": ref.name if ref else "", "route_namespace": ref.namespace if ref else "",
              "rule_name": ir.rule_name or ""}
    return _TEMPLATE.sub(lambda m: values[m.group(1)], template)


def _occupied(ir: RouteIR, name: str) -> bool:
    """Is this setting already decided for the route (by the rule itself or a more specific policy)?"""
    if name in ROUTE_FIELDS:
        return getattr(ir, name) is not None
    if name == "path_regex" and ir.rewrite is not None and ir.rewrite.path is not None:
        return True  # the rule's own URLRewrite path wins
    if name == "auto_host_rewrite" and ir.rewrite is not None and ir.rewrite.hostname:
        return True  # kgateway: a URLRewrite hostname wins over autoHostRewrite
    return ir.ext is not None and getattr(ir.ext, name) is not None


def fill(ir: RouteIR, settings: TrafficSettings, skip: tuple[str, ...] = ()) -> list[str]:
    """Set on `ir` (which the caller owns: a copy) each setting it does not have yet; returns their names."""
    applied = []
    for name in settings.names():
        if name in skip or _occupied(ir, name):
            continue
        value = getattr(settings, name)
        if name == "stat_prefix":
            value = render_stat_prefix(value, ir)
        if name in ROUTE_FIELDS:
            setattr(ir, name, value)
        else:
            if ir.ext is None:
                ir.ext = RouteExtIR()
            setattr(ir.ext, name, value)
        applied.append(name)
    return applied


def with_defaults(ir: RouteIR, layers: list[TrafficSettings]) -> RouteIR:
    """`ir` with the settings of Gateway- and listener-level policies (most specific first) it lacks: the
    same object when none applies, else a copy (route translations are shared; never edited in place)."""
    out = None
    for settings in layers:
        names = [n for n in settings.names() if n not in ROUTE_ONLY and not _occupied(out or ir, n)]
        if not names:
            continue
        if out is None:
            out = copy.copy(ir)
            out.ext = copy.copy(ir.ext)
        fill(out, settings, skip=ROUTE_ONLY)
    return out or ir
