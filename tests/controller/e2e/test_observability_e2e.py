"""Observability through `kgw up` and a real Envoy: one request through a rules policy shows up as a span at a
loopback OTLP collector (W3C trace context continued upstream), as a gRPC access-log record and an OpenTelemetry
log record carrying the log field the rule set, and in Envoy's /stats/prometheus under its policy's labels."""
from __future__ import annotations

import json
import pathlib
import sys
import urllib.request

import pytest
from google.protobuf import wrappers_pb2
from prometheus_client.parser import text_string_to_metric_families

from kgw_controller.embedded import EmbeddedUp
from tests.support.dashboard import Scrape, dashboard_queries

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3]))
from kgw_harness import Setup  # noqa: E402

from tests.support.telemetry import Receivers, wait_for  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


def telemetry_yaml(collector_port: int) -> str:
    return f"""\
apiVersion: v1
kind: Service
metadata: {{name: collector, namespace: default}}
spec:
  ports: [{{name: grpc, port: 4317, appProtocol: grpc}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: collector-1, namespace: default, labels: {{kubernetes.io/service-name: collector}}}}
addressType: IPv4
ports: [{{name: grpc, port: {collector_port}}}]
endpoints: [{{addresses: [127.0.0.1]}}]
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {{name: who, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: web}}]
  transformation:
    rules: |
      on request {{
        set log user = lower(default(header("x-user"), "anonymous"))
        if header("x-deny") == "1" {{ respond 403 "denied" }}
      }}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: HTTPListenerPolicy
metadata: {{name: telemetry, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: Gateway, name: gw}}]
  accessLog:
  - grpcService:
      backendRef: {{name: collector, port: 4317}}
      logName: kgw-als
      additionalRequestHeadersToLog: [x-user]
  - openTelemetry:
      grpcService: {{backendRef: {{name: collector, port: 4317}}, logName: kgw-otel}}
      body: "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE%"
      attributes:
        values:
        - {{key: user, value: {{stringValue: "%FILTER_STATE(wasm.kgw.user:PLAIN)%"}}}}
        - {{key: user_md, value: {{stringValue: "%DYNAMIC_METADATA(kgw:user)%"}}}}  # the same field
  tracing:
    provider:
      openTelemetry:
        grpcService: {{backendRef: {{name: collector, port: 4317}}}}
        serviceName: kgw-e2e
    attributes:
    - {{name: tenant, requestHeader: {{name: x-tenant, defaultValue: none}}}}
"""


def _envoy_stats(setup) -> str:
    _, status = setup.admin("/status")
    admin = status["gateways"]["default/gw"]["envoy_admin"]
    with urllib.request.urlopen(f"{admin}/stats/prometheus", timeout=5) as r:
        return r.read().decode()


def _samples(text: str, name: str) -> dict[tuple, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name in (name, name + "_total"):
                out[tuple(sorted(s.labels.items()))] = s.value
    return out


@pytest.fixture(scope="module", params=["wasm", "native"])
def observed(request, tmp_path_factory):
    """kgw up (with either data plane) with a rules policy and telemetry to loopback receivers, after two
    requests through it."""
    setup = Setup(tmp_path_factory.mktemp("observability"))
    setup.data_plane = request.param
    try:
        with Receivers() as rx:
            setup.write("telemetry.yaml", telemetry_yaml(rx.port))
            with EmbeddedUp(setup.options(data_plane=request.param)):
                traceparent = f"00-{TRACE_ID}-{PARENT_SPAN}-01"
                answers = [setup.get("/app/hello", headers={"x-user": "Alice", "traceparent": traceparent,
                                                            "x-tenant": "blue"}),
                           setup.get("/app/x", headers={"x-deny": "1"})]
                yield setup, rx, answers
    finally:
        setup.close()


def test_a_request_through_a_rules_policy_is_traced_logged_and_counted(observed):
    setup, rx, answers = observed
    (status, body, _), (denied_status, _, _) = answers
    assert status == 200 and denied_status == 403
    # W3C trace context: the upstream sees the same trace, with Envoy's span as the parent
    upstream = json.loads(body)["headers"]["Traceparent"][0].split("-")
    assert upstream[1] == TRACE_ID and upstream[2] != PARENT_SPAN

    resource, span = wait_for("span of the request", rx.spans, lambda rs: rs[1].trace_id.hex() == TRACE_ID)
    assert resource["service.name"] == "kgw-e2e"
    assert span.parent_span_id.hex() == PARENT_SPAN and span.span_id.hex() == upstream[2]
    tags = {kv.key: kv.value.string_value for kv in span.attributes}
    assert tags["tenant"] == "blue" and tags["http.url"].endswith("/app/hello")

    entry = wait_for("ALS record", rx.http_log_entries, lambda e: e.request.path == "/app/hello")
    # Envoy ships a wasm filter's state as BytesValue, a dynamic module's as StringValue
    field = wrappers_pb2.BytesValue() if setup.data_plane == "wasm" else wrappers_pb2.StringValue()
    entry.common_properties.filter_state_objects["wasm.kgw.user"].Unpack(field)
    assert field.value in (b"alice", "alice")
    assert entry.request.request_headers["x-user"] == "Alice"
    assert entry.response.response_code.value == 200
    denied = wait_for("ALS record of the local response", rx.http_log_entries, lambda e: e.request.path == "/app/x")
    denied.common_properties.filter_state_objects["wasm.kgw.user"].Unpack(field)
    assert field.value in (b"anonymous", "anonymous") and denied.response.response_code.value == 403

    record = wait_for("OpenTelemetry log record", rx.log_records, lambda r: r.body.string_value == "GET /app/hello 200")
    attributes = {kv.key: kv.value.string_value for kv in record.attributes}
    assert attributes["user"] == attributes["user_md"] == "alice"

    # per-policy counters: in the wasm build the stats tags of the bootstrap made labels of the filter's
    # names; the native build defines labelled counters (Envoy prefixes its names with its namespace)
    text = _envoy_stats(setup)
    prefix = "" if setup.data_plane == "wasm" else "envoy_dynamicmodulescustom_"
    labels = (("policy", "default/who"), ("policy_kind", "TrafficPolicy"), ("route", "default/web/0"))
    assert _samples(text, prefix + "kgw_rules_programs_run")[labels] == 2
    assert _samples(text, prefix + "kgw_rules_local_responses")[labels] == 1
    # all of a pair's counters exist from its first run
    assert _samples(text, prefix + "kgw_rules_skipped_writes")[labels] == 0
    assert _samples(text, prefix + "kgw_rules_runtime_errors")[labels] == 0
    assert _samples(text, prefix + "kgw_programs_run")[()] == 2  # the total, unlabelled


def test_every_metric_the_dashboard_queries_is_scraped(observed):
    """The Grafana dashboard (charts/kgw/dashboards/kgw.json) against a real scrape of the controller's
    /metrics and the proxy's /stats/prometheus: every metric name exists, every `by` label is on it."""
    setup, _, _ = observed
    _, controller = setup.admin("/metrics")
    scraped = Scrape.of(controller, _envoy_stats(setup))
    problems = [p for query in dashboard_queries() for p in scraped.problems(query)]
    assert not problems, "\n".join(problems)
