"""Hypothesis strategies for kgateway's TrafficPolicy and BackendConfigPolicy in random worlds
(xds_strategies.world): every traffic field kgw implements, at every level (Gateway, listener, route, rule),
and every BackendConfigPolicy field on the world's Services — valid inputs whose xDS Envoy must accept."""
from __future__ import annotations

from hypothesis import strategies as st

KGW_API = "gateway.kgateway.dev/v1alpha1"
NS = "default"
HEADERS = ["x-one", "x-two", "version"]
VALUES = ["1", "x y", "50%", "%DOWNSTREAM_REMOTE_ADDRESS%"]


def _opt(**fields):
    return st.fixed_dictionaries({}, optional=fields)


def _bucket():
    return st.fixed_dictionaries(
        {"maxTokens": st.integers(1, 1000), "fillInterval": st.sampled_from(["50ms", "1s", "1h"])},
        optional={"tokensPerFill": st.integers(1, 10)})


def _rate_limit():
    descriptors = st.lists(st.fixed_dictionaries({
        "entries": st.lists(st.fixed_dictionaries({"key": st.sampled_from(["tenant", "plan"])},
                                                  optional={"value": st.sampled_from(["acme", "gold"])}),
                            min_size=1, max_size=2, unique_by=lambda e: e["key"]),
        "tokenBucket": _bucket()}), max_size=2,
        unique_by=lambda d: frozenset((e["key"], e.get("value")) for e in d["entries"]))  # else Invalid
    local = st.fixed_dictionaries({"tokenBucket": _bucket()}, optional={
        "percentEnabled": st.integers(0, 100), "percentEnforced": st.integers(0, 100), "descriptors": descriptors})
    return st.builds(lambda loc: {"local": loc}, local)


def _retry():
    return st.fixed_dictionaries({"retryOn": st.lists(st.sampled_from(
        ["5xx", "gateway-error", "reset", "connect-failure", "retriable-4xx", "unavailable"]), min_size=1, max_size=3,
        unique=True)}, optional={
        "attempts": st.integers(0, 5), "perTryTimeout": st.sampled_from(["1ms", "500ms"]),
        "statusCodes": st.lists(st.sampled_from([429, 502, 503]), min_size=1, max_size=2, unique=True),
        "backoffBaseInterval": st.sampled_from(["1ms", "25ms", "1s"]),
        "retryHostPredicates": st.sampled_from(
            [["PreviousHosts"], ["OmitCanaryHosts"], ["PreviousHosts", "OmitCanaryHosts"]]),
    })


def _libraries():
    return st.lists(st.sampled_from(["Gzip", "Brotli", "Zstd"]), min_size=1, max_size=3, unique=True)


def _compression():
    disable = st.just({"disable": {}})
    response = disable | _opt(libraries=_libraries(), minContentLengthBytes=st.integers(0, 2048),
                              contentTypes=st.sampled_from([["text/plain"], ["application/json", "text/html"]]))
    request = disable | _opt(libraries=_libraries())
    return _opt(responseCompression=response, requestDecompression=request).filter(bool)


def _fault():
    delay = st.fixed_dictionaries({"fixedDelay": st.sampled_from(["1ms", "2s"])},
                                  optional={"percentage": st.integers(0, 100)})
    abort = st.one_of(st.builds(lambda s: {"httpStatus": s}, st.sampled_from([200, 418, 503])),
                      st.builds(lambda s: {"grpcStatus": s}, st.integers(0, 16)))
    rrl = st.fixed_dictionaries({"kbitsPerSecond": st.integers(1, 10_000)},
                                optional={"percentage": st.integers(0, 100)})
    return st.just({"disable": {}}) | _opt(delay=delay, abort=abort, responseRateLimit=rrl,
                                           maxActiveFaults=st.integers(0, 100)).filter(
        lambda f: any(k in f for k in ("delay", "abort", "responseRateLimit")))


def _headers():
    kv = st.builds(lambda n, v: {"name": n, "value": v}, st.sampled_from(HEADERS), st.sampled_from(VALUES))
    flt = _opt(set=st.lists(kv, min_size=1, max_size=1), add=st.lists(kv, min_size=1, max_size=1)).filter(
        lambda f: f and len({h["name"] for v in f.values() for h in v}) == sum(len(v) for v in f.values()))
    return _opt(request=flt, response=flt).filter(bool)


def _cors():
    return st.just({"disable": {}}) | st.fixed_dictionaries(
        {"allowOrigins": st.sampled_from([["*"], ["https://a.example.com"], ["https://*.bar.com"]])},
        optional={"allowMethods": st.sampled_from([["GET"], ["*"]]), "allowCredentials": st.booleans()})


def traffic_fields(route_only: bool):
    fields = _opt(
        timeouts=_opt(request=st.sampled_from(["0s", "5s", "1h"]), streamIdle=st.sampled_from(["0s", "30s"])),
        retry=_retry(), rateLimit=_rate_limit(), compression=_compression(), faultInjection=_fault(),
        buffer=st.sampled_from([{"disable": {}}, {"maxRequestSize": "64Ki"}, {"maxRequestSize": 1024}]),
        headerModifiers=_headers(), cors=_cors(),
        internalRedirect=_opt(redirectResponseCodes=st.sampled_from([[302], [301, 307]]),
                              allowCrossSchemeRedirect=st.booleans(), maxRedirects=st.integers(1, 5),
                              responseHeadersToCopy=st.just(["x-one"])),
    )
    if not route_only:
        return fields
    extra = _opt(urlRewrite=st.sampled_from([{"pathRegex": {"pattern": "^/a/(.*)$", "substitution": "/\\1"}},
                                             {"pathRegex": {"pattern": "/(?P<x>b)", "substitution": "/c"}}]),
                 statPrefix=st.sampled_from(["plain", "{{route_namespace}}.{{route_name}}.{{ rule_name }}"]),
                 autoHostRewrite=st.booleans())
    return st.builds(lambda a, b: {**a, **b}, fields, extra)


@st.composite
def traffic_policy(draw, name: str, gateways: list[str], routes: list[tuple[str, list[str]]]) -> dict:
    """A TrafficPolicy on a Gateway, one of its listeners, a route or a named rule (`routes`: (name, rule names))."""
    targets = [("Gateway", g, None) for g in gateways] + [("Gateway", g, s) for g in gateways for s in "ab"]
    targets += [("HTTPRoute", r, None) for r, _ in routes] + [("HTTPRoute", r, s) for r, rules in routes for s in rules]
    kind, target, section = draw(st.sampled_from(targets))
    ref = {"group": "gateway.networking.k8s.io", "kind": kind, "name": target}
    if section:
        ref["sectionName"] = section
    spec = {"targetRefs": [ref], **draw(traffic_fields(route_only=kind == "HTTPRoute"))}
    return {"apiVersion": KGW_API, "kind": "TrafficPolicy",
            "metadata": {"name": name, "namespace": NS, "creationTimestamp": draw(st.sampled_from(
                ["2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"]))}, "spec": spec}


def _hash_policies():
    one = st.one_of(st.builds(lambda n: {"header": {"name": n}}, st.sampled_from(HEADERS)),
                    st.builds(lambda c: {"cookie": c}, st.fixed_dictionaries({"name": st.just("sticky")}, optional={
                        "ttl": st.sampled_from(["0s", "1h"]), "path": st.just("/"), "secure": st.booleans(),
                        "httpOnly": st.booleans(), "sameSite": st.sampled_from(["Strict", "Lax", "None"])})),
                    st.just({"sourceIP": {}}))
    return st.lists(st.builds(lambda h, t: {**h, **({"terminal": t} if t is not None else {})}, one,
                              st.sampled_from([None, True, False])), min_size=1, max_size=3)


def _load_balancer():
    slow = _opt(window=st.sampled_from(["0s", "30s"]), aggression=st.sampled_from(["1.0", "2.5"]),
                minWeightPercent=st.integers(0, 100))
    kind = st.one_of(
        st.builds(lambda c: {"roundRobin": c}, _opt(slowStart=slow)),
        st.builds(lambda c: {"leastRequest": c}, _opt(choiceCount=st.integers(2, 5), slowStart=slow)),
        st.just({"random": {}}),
        st.builds(lambda c: {"ringHash": c}, _opt(minimumRingSize=st.sampled_from([1024, 4096]),
                                                  maximumRingSize=st.just(8388608), useHostnameForHashing=st.booleans(),
                                                  hashPolicies=_hash_policies())),
        st.builds(lambda c: {"maglev": c}, _opt(useHostnameForHashing=st.booleans(), hashPolicies=_hash_policies())))
    common = _opt(healthyPanicThreshold=st.integers(0, 100), updateMergeWindow=st.sampled_from(["0s", "1s"]),
                  localityType=st.just("WeightedLb"), closeConnectionsOnHostSetChange=st.booleans())
    return st.builds(lambda k, c: {**k, **c}, kind, common)


def _health_check():
    kind = st.one_of(st.builds(lambda h: {"http": h}, st.fixed_dictionaries({"path": st.just("/healthz")}, optional={
        "host": st.just("h.example.com"), "method": st.sampled_from(["GET", "HEAD"])})),
        st.builds(lambda g: {"grpc": g}, _opt(serviceName=st.just("echo"), authority=st.just("a"))),
        st.just({"tcp": {}}))
    base = st.fixed_dictionaries({"timeout": st.sampled_from(["100ms", "1s"]),
                                  "interval": st.sampled_from(["1s", "10s"]),
                                  "unhealthyThreshold": st.integers(0, 3), "healthyThreshold": st.integers(0, 3)})
    return st.builds(lambda b, k: {**b, **k}, base, kind)


@st.composite
def backend_config_policy(draw, name: str) -> dict:
    spec = draw(_opt(
        connectTimeout=st.sampled_from(["100ms", "10s"]), perConnectionBufferLimitBytes=st.integers(0, 1 << 20),
        tcpKeepalive=_opt(keepAliveProbes=st.integers(0, 9), keepAliveTime=st.just("1s"),
                          keepAliveInterval=st.just("5s")),
        commonHttpProtocolOptions=_opt(idleTimeout=st.sampled_from(["0s", "60s"]), maxConnectionDuration=st.just("1h"),
                                       maxHeadersCount=st.integers(1, 200), maxStreamDuration=st.just("30s"),
                                       maxRequestsPerConnection=st.integers(0, 100)),
        loadBalancer=_load_balancer(), healthCheck=_health_check(),
        outlierDetection=_opt(consecutive5xx=st.integers(0, 10), enforcingConsecutive5xx=st.integers(0, 100),
                              splitExternalLocalOriginErrors=st.booleans(),
                              consecutiveLocalOriginFailure=st.integers(0, 5), interval=st.just("1s"),
                              baseEjectionTime=st.just("30s"), maxEjectionPercent=st.integers(0, 100)),
        circuitBreakers=st.fixed_dictionaries({"maxRequests": st.integers(1, 1000)}, optional={
            "maxConnections": st.integers(1, 100), "maxRetries": st.integers(0, 5), "trackRemaining": st.booleans()}),
        upstreamProxyProtocol=_opt(version=st.sampled_from(["V1", "V2"])),
    ))
    protocol = draw(st.sampled_from([None, "h1", "h2"]))
    if protocol == "h1":
        spec["http1ProtocolOptions"] = draw(_opt(enableTrailers=st.booleans(), preserveHttp1HeaderCase=st.booleans(),
                                                 overrideStreamErrorOnInvalidHttpMessage=st.booleans()))
    elif protocol == "h2":
        spec["http2ProtocolOptions"] = draw(_opt(
            initialStreamWindowSize=st.sampled_from(["64Ki", 1048576]), maxConcurrentStreams=st.integers(1, 1000),
            connectionKeepalive=st.fixed_dictionaries({"timeout": st.just("5s")}, optional={
                "interval": st.just("30s"), "connectionIdleInterval": st.just("1s")})))
    service = draw(st.sampled_from(["web", "api"]))
    spec["targetRefs"] = [{"group": "", "kind": "Service", "name": service}]
    return {"apiVersion": KGW_API, "kind": "BackendConfigPolicy",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}
