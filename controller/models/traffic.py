"""The traffic fields of kgateway's TrafficPolicy (newest API, `api/v1alpha1/kgateway/traffic_policy_types.go`
and `retries.go` in kgateway-dev/kgateway): timeouts, retry, local rate limit, compression, buffer, fault
injection, header modifiers, URL rewrite, internal redirects, CORS, stat prefix, auto host rewrite.

Field names, defaults and CEL rules follow kgateway; kgw extensions are marked. Fields kgw leaves out are
not modelled: `models/unsupported.py` says why, and the policy is reported, not half applied.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .httproute import CORS, HeaderValue, duration_ms
from .meta import Duration, HeaderName, K8sModel


class PolicyDisable(K8sModel):
    """`disable: {}`: switch off what a less specific policy turned on."""


_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
_FACTORS = {None: 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
            "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def quantity_bytes(value: int | str) -> int:
    """A Kubernetes quantity ("512Ki", "1M", 1024) as a whole number of bytes."""
    if isinstance(value, int):
        return value
    m = _QUANTITY.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a quantity (e.g. 1024, 512Ki, 1Mi)")
    return int(float(m.group(1)) * _FACTORS[m.group(2)])


Quantity = int | Annotated[str, StringConstraints(pattern=_QUANTITY.pattern)]


def at_least(text: str | None, minimum_ms: int, what: str) -> None:
    if text is not None and duration_ms(text) < minimum_ms:
        raise ValueError(f"{what} must be at least {minimum_ms}ms")


class Timeouts(K8sModel):
    request: Duration | None = None  # 0 disables
    stream_idle: Duration | None = None  # 0 disables


RetryOn = Literal["5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited",
                  "retriable-4xx", "refused-stream", "retriable-status-codes", "http3-post-connect-failure",
                  "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"]


class Retry(K8sModel):
    retry_on: list[RetryOn] | None = Field(default=None, min_length=1)
    attempts: int = Field(default=1, ge=0)  # retries after the first try; 0 disables
    per_try_timeout: Duration | None = None
    status_codes: list[Annotated[int, Field(ge=400, le=599)]] | None = Field(default=None, min_length=1)
    backoff_base_interval: Duration | None = None  # Envoy's default: 25ms
    retry_host_predicates: list[Literal["PreviousHosts", "OmitCanaryHosts"]] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _cel(self) -> Retry:
        if not self.retry_on and not self.status_codes:
            raise ValueError("retryOn or statusCodes must be set.")
        at_least(self.per_try_timeout, 1, "retry.perTryTimeout")
        at_least(self.backoff_base_interval, 1, "retry.backoffBaseInterval")
        if self.retry_host_predicates and len(set(self.retry_host_predicates)) != len(self.retry_host_predicates):
            raise ValueError("retryHostPredicates must not repeat")
        return self


class TokenBucket(K8sModel):
    max_tokens: int = Field(ge=1, le=2147483647)
    tokens_per_fill: int = Field(default=1, ge=1, le=2147483647)
    fill_interval: Duration

    @model_validator(mode="after")
    def _cel(self) -> TokenBucket:
        at_least(self.fill_interval, 50, "fillInterval")
        return self


class DescriptorEntry(K8sModel):
    """kgw: one entry of a rate-limit descriptor, set by a rules program (`set descriptor "key" = ...`)."""

    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
    value: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None  # None: a bucket per value


class LocalDescriptor(K8sModel):
    """kgw: a token bucket for the requests whose rules set these descriptor entries (docs/language.md,
    "Rate-limit descriptors"). An entry without `value` gives each distinct value a bucket of its own."""

    entries: list[DescriptorEntry] = Field(min_length=1, max_length=8)
    token_bucket: TokenBucket

    @model_validator(mode="after")
    def _unique(self) -> LocalDescriptor:
        keys = [e.key for e in self.entries]
        if len(set(keys)) != len(keys):
            raise ValueError("descriptor entry keys must not repeat")
        return self


class LocalRateLimit(K8sModel):
    token_bucket: TokenBucket | None = None
    percent_enabled: int | None = Field(default=None, ge=0, le=100)
    percent_enforced: int | None = Field(default=None, ge=0, le=100)
    descriptors: list[LocalDescriptor] = Field(default=[], max_length=16)  # kgw extension

    @model_validator(mode="after")
    def _bucket(self) -> LocalRateLimit:
        if self.token_bucket is None and self.descriptors:
            raise ValueError("descriptors need a tokenBucket too (the requests that match no descriptor use it)")
        seen: dict[frozenset[tuple[str, str | None]], int] = {}
        for i, d in enumerate(self.descriptors):
            entries = frozenset((e.key, e.value) for e in d.entries)
            if entries in seen:  # Envoy refuses the whole listener for it ("duplicate descriptor")
                raise ValueError(f"descriptors[{i}] has the same entries as descriptors[{seen[entries]}]")
            seen[entries] = i
        return self


class RateLimit(K8sModel):
    local: LocalRateLimit | None = None


class Buffer(K8sModel):
    max_request_size: Quantity | None = None
    disable: PolicyDisable | None = None

    @model_validator(mode="after")
    def _one(self) -> Buffer:
        if (self.max_request_size is None) == (self.disable is None):
            raise ValueError("set exactly one of maxRequestSize and disable")
        if self.max_request_size is not None and not 0 < quantity_bytes(self.max_request_size) < 4 * 2**30:
            raise ValueError("maxRequestSize must be greater than 0 and less than 4Gi")
        return self


CompressionLibrary = Literal["Gzip", "Brotli", "Zstd"]


def _unique_libraries(libraries: Sequence[str]) -> None:
    if len(set(libraries)) != len(libraries):
        raise ValueError("libraries must not contain duplicates")


class ResponseCompression(K8sModel):
    libraries: list[CompressionLibrary] = Field(default=["Gzip"], min_length=1, max_length=3)
    min_content_length_bytes: int | None = Field(default=None, ge=0, le=2147483647)
    content_types: list[Annotated[str, StringConstraints(min_length=1, max_length=256)]] | None = Field(
        default=None, min_length=1, max_length=50)
    disable: PolicyDisable | None = None

    @model_validator(mode="after")
    def _cel(self) -> ResponseCompression:
        _unique_libraries(self.libraries)
        return self


class RequestDecompression(K8sModel):
    libraries: list[CompressionLibrary] = Field(default=["Gzip"], min_length=1, max_length=3)
    disable: PolicyDisable | None = None

    @model_validator(mode="after")
    def _cel(self) -> RequestDecompression:
        _unique_libraries(self.libraries)
        return self


class Compression(K8sModel):
    response_compression: ResponseCompression | None = None
    request_decompression: RequestDecompression | None = None

    @model_validator(mode="after")
    def _one(self) -> Compression:
        if self.response_compression is None and self.request_decompression is None:
            raise ValueError("set responseCompression or requestDecompression")
        return self


Percentage = Annotated[int, Field(ge=0, le=100)]


class FaultDelay(K8sModel):
    fixed_delay: Duration
    percentage: Percentage = 100

    @model_validator(mode="after")
    def _cel(self) -> FaultDelay:
        at_least(self.fixed_delay, 1, "fixedDelay")
        if duration_ms(self.fixed_delay) > 3_600_000:
            raise ValueError("fixedDelay must not exceed 1h")
        return self


class FaultAbort(K8sModel):
    http_status: int | None = Field(default=None, ge=200, le=599)
    grpc_status: int | None = Field(default=None, ge=0, le=16)
    percentage: Percentage = 100

    @model_validator(mode="after")
    def _one(self) -> FaultAbort:
        if (self.http_status is None) == (self.grpc_status is None):
            raise ValueError("set exactly one of httpStatus and grpcStatus")
        return self


class FaultResponseRateLimit(K8sModel):
    kbits_per_second: int = Field(ge=1)
    percentage: Percentage = 100


class FaultInjection(K8sModel):
    delay: FaultDelay | None = None
    abort: FaultAbort | None = None
    response_rate_limit: FaultResponseRateLimit | None = None
    max_active_faults: int | None = Field(default=None, ge=0, le=4294967295)
    disable: PolicyDisable | None = None

    @model_validator(mode="after")
    def _one(self) -> FaultInjection:
        if not (self.delay or self.abort or self.response_rate_limit or self.disable):
            raise ValueError("set at least one of delay, abort, responseRateLimit and disable")
        return self


class PolicyHeader(K8sModel):
    """kgateway's HTTPHeader: here only with an inline `value` (header values from Secrets are refused)."""

    name: HeaderName
    value: Annotated[HeaderValue, StringConstraints(pattern=r"^[!-~]+([\t ]?[!-~]+)*$")]


class PolicyHeaderFilter(K8sModel):
    set: list[PolicyHeader] = Field(default=[], max_length=16)
    add: list[PolicyHeader] = Field(default=[], max_length=16)
    remove: list[HeaderName] = Field(default=[], max_length=16)

    @model_validator(mode="after")
    def _cel(self) -> PolicyHeaderFilter:
        if not (self.set or self.add or self.remove):
            raise ValueError("set at least one of set, add and remove")
        names = [h.name.lower() for h in (*self.set, *self.add)] + [n.lower() for n in self.remove]
        if len(set(names)) != len(names):
            raise ValueError("only one action is permitted for a header name")
        return self


class HeaderModifiers(K8sModel):
    request: PolicyHeaderFilter | None = None
    response: PolicyHeaderFilter | None = None

    @model_validator(mode="after")
    def _one(self) -> HeaderModifiers:
        if self.request is None and self.response is None:
            raise ValueError("set request or response")
        return self


class PathRegexRewrite(K8sModel):
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    substitution: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class URLRewrite(K8sModel):
    path_regex: PathRegexRewrite


class InternalRedirect(K8sModel):
    redirect_response_codes: list[Literal[301, 302, 303, 307, 308]] | None = Field(default=None, min_length=1,
                                                                                    max_length=5)
    allow_cross_scheme_redirect: bool | None = None
    response_headers_to_copy: list[HeaderName] | None = Field(default=None, min_length=1, max_length=16)
    max_redirects: int | None = Field(default=None, ge=1, le=4294967295)

    @model_validator(mode="after")
    def _cel(self) -> InternalRedirect:
        for name in ("redirect_response_codes", "response_headers_to_copy"):
            values = getattr(self, name) or []
            if len(set(values)) != len(values):
                raise ValueError(f"{type(self).model_fields[name].alias} must not contain duplicates")
        return self


class CorsPolicy(CORS):
    """Gateway API's HTTPCORSFilter fields, inline, plus `disable`."""

    disable: PolicyDisable | None = None


StatPrefix = Annotated[str, StringConstraints(
    min_length=1, max_length=256,
    pattern=r"^([a-zA-Z0-9_%.-]|\{\{\s*(route_name|route_namespace|rule_name)\s*\}\})+$")]


class TrafficFields(K8sModel):
    """Every traffic field of TrafficPolicySpec (targets and transformation are in kgateway.py)."""

    timeouts: Timeouts | None = None
    retry: Retry | None = None
    rate_limit: RateLimit | None = None
    compression: Compression | None = None
    buffer: Buffer | None = None
    fault_injection: FaultInjection | None = None
    header_modifiers: HeaderModifiers | None = None
    url_rewrite: URLRewrite | None = None
    internal_redirect: InternalRedirect | None = None
    cors: CorsPolicy | None = None
    stat_prefix: StatPrefix | None = None
    auto_host_rewrite: bool | None = None


# spec field -> the target kinds it may be used with (kgateway's CEL rules)
ROUTE_ONLY = {"auto_host_rewrite": ("HTTPRoute",), "url_rewrite": ("HTTPRoute",),
              "stat_prefix": ("HTTPRoute", "GRPCRoute")}
