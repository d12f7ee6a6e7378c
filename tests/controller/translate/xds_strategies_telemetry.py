"""Hypothesis strategies for the telemetry policies xds_strategies.world adds: HTTPListenerPolicies on its
Gateways (file, gRPC access-log-service and OpenTelemetry sinks; text and JSON formats reading a rules log field
and dynamic metadata; every access-log filter type, alone or combined; OpenTelemetry tracing with sampling,
resource detectors, a sampler, custom tags, upstream spans) and a TrafficPolicy with route tracing overrides and
a rules log field. Collectors are the world's fixed Services, or one that is never defined."""
from __future__ import annotations

from hypothesis import strategies as st

NS = "default"
KGW_API = "gateway.kgateway.dev/v1alpha1"
# access-log formats: plain operators, a rules log field, a dynamic-metadata key a policy may map to a field
LOG_FORMATS = ["%REQ(:PATH)% %RESPONSE_CODE%\n", "user=%FILTER_STATE(wasm.kgw.user:PLAIN)%\n",
               "%DYNAMIC_METADATA(kgateway:probe)% %DYNAMIC_METADATA(kgateway:probe):10%"]
COLLECTORS = [{"name": "api", "port": 80}, {"name": "web", "port": 8080}, {"name": "missing", "port": 80}]


def _log_filter():
    one = st.one_of(
        st.builds(lambda op, v: {"statusCodeFilter": {"op": op, "value": v}}, st.sampled_from(["EQ", "GE", "LE"]),
                  st.integers(0, 599)),
        st.builds(lambda v: {"durationFilter": {"op": "GE", "value": v}}, st.integers(0, 10_000)),
        st.just({"notHealthCheckFilter": True}), st.just({"traceableFilter": True}),
        st.just({"headerFilter": {"header": {"name": "x-debug", "value": "1"}}}),
        st.just({"responseFlagFilter": {"flags": ["NR", "UF"]}}),
        st.builds(lambda s, x: {"grpcStatusFilter": {"statuses": s, "exclude": x}},
                  st.lists(st.sampled_from(["OK", "UNAVAILABLE", "INTERNAL"]), min_size=1, unique=True), st.booleans()),
        st.just({"celFilter": {"match": "response.code >= 400"}}))
    return st.one_of(one, st.lists(one, min_size=2, max_size=3).map(lambda fs: {"andFilter": fs}),
                     st.lists(one, min_size=2, max_size=3).map(lambda fs: {"orFilter": fs}))


def _grpc_service():
    return st.builds(lambda ref, timeout, retry: {"backendRef": ref, **timeout, **retry}, st.sampled_from(COLLECTORS),
                     st.sampled_from([{}, {"timeout": "2s"}]),
                     st.sampled_from([{}, {"retryPolicy": {"retryBackOff": {"baseInterval": "100ms"},
                                                           "numRetries": 2}}]))


@st.composite
def access_log(draw) -> dict:
    kind = draw(st.sampled_from(["file", "grpc", "otel"]))
    fmt = draw(st.sampled_from(LOG_FORMATS))
    if kind == "file":
        sink = {"fileSink": {"path": "/dev/null", **draw(st.sampled_from(
            [{}, {"stringFormat": fmt}, {"jsonFormat": {"line": fmt.strip()}}]))}}
    elif kind == "grpc":
        sink = {"grpcService": {**draw(_grpc_service()), "logName": "kgw",
                                "additionalRequestHeadersToLog": draw(st.sampled_from([[], ["x-one"]]))}}
    else:
        sink = {"openTelemetry": {"grpcService": {**draw(_grpc_service()), "logName": "kgw"}, "body": fmt,
                                  "attributes": {"values": [{"key": "k", "value": {"stringValue": fmt}}]}}}
    return {**sink, **({"filter": draw(_log_filter())} if draw(st.booleans()) else {})}


def _attributes():
    return st.lists(st.sampled_from([
        {"name": "a", "literal": {"value": "v"}},
        {"name": "b", "requestHeader": {"name": "x-one", "defaultValue": "-"}},
        {"name": "c", "environment": {"name": "HOME"}},
        {"name": "d", "metadata": {"kind": "Route", "metadataKey": {"key": "k", "path": [{"key": "p"}]}}}]),
        max_size=3, unique_by=lambda a: a["name"])


@st.composite
def listener_policy(draw, name: str, gateways: list[str]) -> dict:
    """HTTPListenerPolicy with random access-log sinks, filters and tracing (collectors may be missing)."""
    spec: dict = {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": g}
                                 for g in draw(st.lists(st.sampled_from(gateways), min_size=1, unique=True))],
                  "accessLog": draw(st.lists(access_log(), max_size=3))}
    if draw(st.booleans()):
        percents = {k: draw(st.integers(0, 100)) for k in ("clientSampling", "randomSampling", "overallSampling")
                    if draw(st.booleans())}
        spec["tracing"] = {"provider": {"openTelemetry": {
            "grpcService": draw(_grpc_service()), **draw(st.sampled_from([{}, {"serviceName": "edge"}])),
            **draw(st.sampled_from([{}, {"resourceDetectors": [{"environmentResourceDetector": {}}]}])),
            **draw(st.sampled_from([{}, {"sampler": {"alwaysOnConfig": {}}}]))}},
            **percents, "verbose": draw(st.booleans()), "spawnUpstreamSpan": draw(st.booleans()),
            "attributes": draw(_attributes())}
    return {"apiVersion": KGW_API, "kind": "HTTPListenerPolicy", "metadata": {"name": name, "namespace": NS},
            "spec": spec}


@st.composite
def route_tracing_policy(draw, name: str, routes: list[str]) -> dict:
    """TrafficPolicy with tracing overrides (and a rules log field) on an HTTPRoute."""
    tracing = draw(st.one_of(st.just({"disable": {}}), st.builds(
        lambda r, o, a: {"randomSampling": r, "overallSampling": o, "attributes": a},
        st.integers(0, 100), st.integers(0, 100), _attributes())))
    return {"apiVersion": KGW_API, "kind": "TrafficPolicy", "metadata": {"name": name, "namespace": NS},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": draw(st.sampled_from(routes))}], "tracing": tracing,
                     "transformation": {"rules": 'on request {\n  set log user = default(header("x-user"), "-")\n}\n'}}}

