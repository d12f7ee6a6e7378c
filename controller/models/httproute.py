"""HTTPRoute, the full standard-channel v1.6.1 schema (filters included, even those not translated yet)."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .gateway import GATEWAY_GROUP
from .meta import (
    Duration,
    Group,
    HeaderName,
    Hostname,
    K8sModel,
    Kind,
    KubeObject,
    NamespaceName,
    ObjectName,
    PortNumber,
    PreciseHostname,
    SectionName,
)

HeaderValue = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
Method = Literal["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]


class ParentReference(K8sModel):
    group: Group = GATEWAY_GROUP
    kind: Kind = "Gateway"
    namespace: NamespaceName | None = None
    name: ObjectName
    section_name: SectionName | None = None
    port: PortNumber | None = None


class PathMatch(K8sModel):
    type: Literal["Exact", "PathPrefix", "RegularExpression"] = "PathPrefix"
    value: str = Field(default="/", max_length=1024)

    @model_validator(mode="after")
    def _cel_rules(self) -> PathMatch:
        # The CRD's x-kubernetes-validations for Exact/PathPrefix values, same messages.
        if self.type == "RegularExpression":
            return self
        v, kinds = self.value, "when type one of ['Exact', 'PathPrefix']"
        if not v.startswith("/"):
            raise ValueError(f"value must be an absolute path and start with '/' {kinds}")
        for bad in ("//", "/./", "/../", "%2f", "%2F", "#"):
            if bad in v:
                raise ValueError(f"must not contain '{bad}' {kinds}")
        for bad in ("/..", "/."):
            if v.endswith(bad):
                raise ValueError(f"must not end with '{bad}' {kinds}")
        return self


class HeaderMatch(K8sModel):
    type: Literal["Exact", "RegularExpression"] = "Exact"
    name: HeaderName
    value: HeaderValue


class QueryParamMatch(K8sModel):
    type: Literal["Exact", "RegularExpression"] = "Exact"
    name: HeaderName
    value: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class RouteMatch(K8sModel):
    path: PathMatch = PathMatch()
    headers: list[HeaderMatch] = Field(default=[], max_length=16)
    query_params: list[QueryParamMatch] = Field(default=[], max_length=16)
    method: Method | None = None


class HeaderKV(K8sModel):
    name: HeaderName
    value: HeaderValue


class HeaderModifier(K8sModel):
    set: list[HeaderKV] = Field(default=[], max_length=16)
    add: list[HeaderKV] = Field(default=[], max_length=16)
    remove: list[str] = Field(default=[], max_length=16)


class PathModifier(K8sModel):
    type: Literal["ReplaceFullPath", "ReplacePrefixMatch"]
    replace_full_path: str | None = Field(default=None, max_length=1024)
    replace_prefix_match: str | None = Field(default=None, max_length=1024)

    @model_validator(mode="after")
    def _one_of(self) -> PathModifier:
        full, prefix = self.replace_full_path, self.replace_prefix_match
        if self.type == "ReplaceFullPath" and (full is None or prefix is not None):
            raise ValueError("replaceFullPath must be specified (and only it) when type is set to 'ReplaceFullPath'")
        if self.type == "ReplacePrefixMatch" and (prefix is None or full is not None):
            raise ValueError("replacePrefixMatch must be specified (and only it) "
                             "when type is set to 'ReplacePrefixMatch'")
        return self


class RequestRedirect(K8sModel):
    scheme: Literal["http", "https"] | None = None
    hostname: PreciseHostname | None = None
    path: PathModifier | None = None
    port: PortNumber | None = None
    status_code: Literal[301, 302, 303, 307, 308] = 302


class URLRewrite(K8sModel):
    hostname: PreciseHostname | None = None
    path: PathModifier | None = None


class BackendObjectReference(K8sModel):
    group: Group = ""
    kind: Kind = "Service"
    name: ObjectName
    namespace: NamespaceName | None = None
    port: PortNumber | None = None

    @model_validator(mode="after")
    def _service_port(self) -> BackendObjectReference:
        # CRD rule: "Must have port for Service reference".
        if self.group == "" and self.kind == "Service" and self.port is None:
            raise ValueError("Must have port for Service reference")
        return self


class Fraction(K8sModel):
    numerator: int = Field(ge=0)
    denominator: int = Field(default=100, ge=1)


class RequestMirror(K8sModel):
    backend_ref: BackendObjectReference
    percent: int | None = Field(default=None, ge=0, le=100)
    fraction: Fraction | None = None

    @model_validator(mode="after")
    def _cel_rules(self) -> RequestMirror:
        if self.percent is not None and self.fraction is not None:
            raise ValueError("Only one of percent or fraction may be specified in HTTPRequestMirrorFilter")
        if self.fraction is not None and self.fraction.numerator > self.fraction.denominator:
            raise ValueError("numerator must be less than or equal to denominator")
        return self


class CORS(K8sModel):
    allow_origins: list[str] = Field(default=[], max_length=64)
    allow_credentials: bool | None = None
    allow_methods: list[
        Literal["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"]
    ] = Field(default=[], max_length=9)
    allow_headers: list[HeaderName] = Field(default=[], max_length=64)
    expose_headers: list[HeaderName] = Field(default=[], max_length=64)
    max_age: int = Field(default=5, ge=1)


class LocalObjectReference(K8sModel):
    group: Group
    kind: Kind
    name: ObjectName


FilterType = Literal[
    "RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite",
    "ExtensionRef", "CORS",
]
# filter type -> the one field that must be set for it (the CRD's 14 "must be nil/specified" rules)
_FILTER_FIELD = {
    "RequestHeaderModifier": "request_header_modifier", "ResponseHeaderModifier": "response_header_modifier",
    "RequestMirror": "request_mirror", "RequestRedirect": "request_redirect", "URLRewrite": "url_rewrite",
    "ExtensionRef": "extension_ref", "CORS": "cors",
}


class HTTPRouteFilter(K8sModel):
    type: FilterType
    request_header_modifier: HeaderModifier | None = None
    response_header_modifier: HeaderModifier | None = None
    request_mirror: RequestMirror | None = None
    request_redirect: RequestRedirect | None = None
    url_rewrite: URLRewrite | None = None
    extension_ref: LocalObjectReference | None = None
    cors: CORS | None = None

    @model_validator(mode="after")
    def _one_field(self) -> HTTPRouteFilter:
        return check_filter_fields(self, _FILTER_FIELD)


def check_filter_fields(f, fields: dict[str, str]):
    """The CRD's union rule: exactly the field named by `type` is set (`fields`: type -> field name)."""
    for ftype, field in fields.items():
        alias = type(f).model_fields[field].alias
        if ftype == f.type and getattr(f, field) is None:
            raise ValueError(f"filter.{alias} must be specified for {ftype} filter.type")
        if ftype != f.type and getattr(f, field) is not None:
            raise ValueError(f"filter.{alias} must be nil if the filter.type is not {ftype}")
    return f


def check_repeats(filters) -> None:
    """CRD rules: header modifiers, redirect and rewrite may appear once per filter list; redirect xor rewrite."""
    types = [f.type for f in filters]
    for once in ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"):
        if types.count(once) > 1:
            raise ValueError(f"{once} filter cannot be repeated")
    if "RequestRedirect" in types and "URLRewrite" in types:
        raise ValueError("May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, "
                         "but not both")


def check_parent_refs(parent_refs) -> None:
    seen = set()
    for p in parent_refs:
        key = (p.group, p.kind, p.namespace or "", p.name, p.section_name or "")
        if key in seen:
            raise ValueError("sectionName must be unique when parentRefs includes 2 or more references "
                             "to the same parent")
        seen.add(key)


def check_unique_rule_names(rules) -> None:
    names = [r.name for r in rules if r.name is not None]
    if len(names) != len(set(names)):
        raise ValueError("Rule name must be unique within the route")


class HTTPBackendRef(BackendObjectReference):
    weight: int = Field(default=1, ge=0, le=1000000)
    filters: list[HTTPRouteFilter] = Field(default=[], max_length=16)


class RouteTimeouts(K8sModel):
    request: Duration | None = None
    backend_request: Duration | None = None

    @model_validator(mode="after")
    def _cel_rules(self) -> RouteTimeouts:
        # CRD rule; "0s" disables the request timeout, so any backendRequest fits under it.
        if self.request and self.backend_request and duration_ms(self.request) != 0 \
                and duration_ms(self.backend_request) > duration_ms(self.request):
            raise ValueError("backendRequest timeout cannot be longer than request timeout")
        return self


class HTTPRouteRetry(K8sModel):
    """Experimental channel (v1.6.1): retries of a backend request (status codes, attempts, backoff)."""

    codes: list[Annotated[int, Field(ge=400, le=599)]] = Field(default=[])
    attempts: int | None = Field(default=None, ge=1)
    backoff: Duration | None = None

    @model_validator(mode="after")
    def _set(self) -> HTTPRouteRetry:
        if len(set(self.codes)) != len(self.codes):  # listType=set
            raise ValueError("codes must not repeat")
        return self


class CookieConfig(K8sModel):
    lifetime_type: Literal["Permanent", "Session"] = "Session"


class SessionPersistence(K8sModel):
    """Experimental channel (v1.6.1): pin a client to one backend endpoint by a cookie or a header."""

    session_name: Annotated[str, StringConstraints(max_length=128)] | None = None
    absolute_timeout: Duration | None = None
    idle_timeout: Duration | None = None
    type: Literal["Cookie", "Header"] = "Cookie"
    cookie_config: CookieConfig | None = None

    @model_validator(mode="after")
    def _cel(self) -> SessionPersistence:
        if self.cookie_config and self.cookie_config.lifetime_type == "Permanent" and not self.absolute_timeout:
            raise ValueError("AbsoluteTimeout must be specified when cookie lifetimeType is Permanent")
        return self


def duration_ms(text: str) -> int:
    """Gateway API duration ("1h30m", "500ms") -> milliseconds."""
    units = {"h": 3600000, "m": 60000, "s": 1000, "ms": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"([0-9]+)(ms|h|m|s)", text))


def _default_matches() -> list[RouteMatch]:
    return [RouteMatch()]


class HTTPRouteRule(K8sModel):
    name: SectionName | None = None
    matches: list[RouteMatch] = Field(default_factory=_default_matches, max_length=64)
    filters: list[HTTPRouteFilter] = Field(default=[], max_length=16)
    backend_refs: list[HTTPBackendRef] = Field(default=[], max_length=16)
    timeouts: RouteTimeouts | None = None
    retry: HTTPRouteRetry | None = None
    session_persistence: SessionPersistence | None = None

    @model_validator(mode="after")
    def _cel_rules(self) -> HTTPRouteRule:
        check_repeats(self.filters)
        if self.backend_refs and any(f.request_redirect for f in self.filters):
            raise ValueError("RequestRedirect filter must not be used together with backendRefs")
        prefix_rewrites = [
            f for f in self.filters
            if (f.request_redirect and f.request_redirect.path and f.request_redirect.path.type == "ReplacePrefixMatch")
            or (f.url_rewrite and f.url_rewrite.path and f.url_rewrite.path.type == "ReplacePrefixMatch")
        ]
        if prefix_rewrites and (len(self.matches) != 1 or self.matches[0].path.type != "PathPrefix"):
            raise ValueError("When using ReplacePrefixMatch, exactly one PathPrefix match must be specified")
        return self


def _default_rules() -> list[HTTPRouteRule]:
    return [HTTPRouteRule()]


class HTTPRouteSpec(K8sModel):
    parent_refs: list[ParentReference] = Field(default=[], max_length=32)
    hostnames: list[Hostname] = Field(default=[], max_length=16)
    rules: list[HTTPRouteRule] = Field(default_factory=_default_rules, max_length=16)

    @model_validator(mode="after")
    def _cel_rules(self) -> HTTPRouteSpec:
        if sum(len(r.matches) for r in self.rules) > 128:
            raise ValueError("the total number of matches across all rules in a route must be less than 128")
        check_parent_refs(self.parent_refs)
        check_unique_rule_names(self.rules)
        return self


class HTTPRoute(KubeObject):
    API_VERSIONS = (f"{GATEWAY_GROUP}/v1", f"{GATEWAY_GROUP}/v1beta1")
    KIND = "HTTPRoute"
    spec: HTTPRouteSpec
