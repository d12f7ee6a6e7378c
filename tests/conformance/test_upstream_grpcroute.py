"""Upstream v1.6.1 GRPCRoute tests, against the upstream echo service (gateway_api_conformance...GrpcEcho)
answered by kgw_controller.echo_grpc: exact method and header matches, listener hostnames by :authority, named
rules and weights. Each applies its upstream objects while it runs; a call is checked as upstream's
compareResponse checks it: the status code and, for OK, the fully qualified method, namespace and pod prefix
(here also the :authority and headers the backend saw)."""
import conf_upstream_grpcroute as m
import grpc
import pytest
from conf_expect import accepted, weighted
from conf_infra import INFRA

from kgw_controller import echo_grpc_proto as pb

pytestmark = pytest.mark.e2e
SAME = "same-namespace"
G1, G2, G3 = "grpc-infra-backend-v1", "grpc-infra-backend-v2", "grpc-infra-backend-v3"
UNIMPLEMENTED = grpc.StatusCode.UNIMPLEMENTED


def expect_calls(gw, gateway, cases, authority=None):
    """cases: (method, metadata, backend or a non-OK status code)."""
    failures = []
    for method, metadata, want in cases:
        with m.EchoClient(gw, gateway, authority) as client:
            code, response = client.call(method, dict(metadata))
        if isinstance(want, grpc.StatusCode):
            if code != want:
                failures.append(f"{method} {metadata}: {code}, want {want}")
            continue
        if code != grpc.StatusCode.OK:
            failures.append(f"{method} {metadata}: {code}, want OK from {want}")
            continue
        a = response.assertions
        headers = {h.key: h.value for h in a.headers}
        if (a.fully_qualified_method != f"/{pb.SERVICE}/{method}" or a.context.namespace != INFRA
                or not a.context.pod.startswith(want)
                or any(headers.get(k.lower()) != v for k, v in metadata.items())):
            failures.append(f"{method} {metadata}: answered {a}, want {want}")
    assert not failures, "\n".join(failures)


def test_GRPCExactMethodMatching(gw):
    with gw.applied("upstream-grpcroute-exact-method-matching.yaml", m.EXACT_METHOD_MATCHING):
        accepted(gw, SAME, "exact-matching", kind="GRPCRoute")
        expect_calls(gw, SAME, [("Echo", {}, G1), ("EchoTwo", {}, G2), ("EchoThree", {}, UNIMPLEMENTED)])


def test_GRPCRouteHeaderMatching(gw):
    with gw.applied("upstream-grpcroute-header-matching.yaml", m.HEADER_MATCHING):
        accepted(gw, SAME, "grpc-header-matching", kind="GRPCRoute")
        expect_calls(gw, SAME, [("Echo", headers, want) for headers, want in (
            ({"version": "one"}, G1), ({"version": "two"}, G2), ({"version": "two", "color": "orange"}, G1),
            ({"version": "two", "color": "blue"}, G2), ({"color": "orange"}, UNIMPLEMENTED),
            ({"some-other-header": "one"}, UNIMPLEMENTED), ({"color": "blue"}, G1), ({"color": "green"}, G1),
            ({"color": "red"}, G2), ({"color": "yellow"}, G2), ({"color": "purple"}, UNIMPLEMENTED))])


def test_GRPCRouteListenerHostnameMatching(gw):
    gateway = "grpcroute-listener-hostname-matching"
    with gw.applied("upstream-grpcroute-listener-hostname-matching.yaml", m.LISTENER_HOSTNAME_MATCHING):
        accepted(gw, gateway, "backend-v1", "backend-v2", "backend-v3", kind="GRPCRoute")
        for authority, want in (("bar.com", G1), ("foo.bar.com", G2), ("baz.bar.com", G3), ("boo.bar.com", G3),
                                ("multiple.prefixes.bar.com", G3), ("multiple.prefixes.foo.com", G3),
                                ("foo.com", UNIMPLEMENTED), ("no.matching.host", UNIMPLEMENTED)):
            expect_calls(gw, gateway, [("Echo", {}, want)], authority=authority)
            if not isinstance(want, grpc.StatusCode):  # the backend saw the :authority the client sent
                with m.EchoClient(gw, gateway, authority) as client:
                    assert client.call("Echo")[1].assertions.authority == authority


def test_GRPCRouteNamedRule(gw):
    with gw.applied("upstream-grpcroute-named-rule.yaml", m.NAMED_RULE):
        accepted(gw, SAME, "grpc-named-rules", kind="GRPCRoute")
        expect_calls(gw, SAME, [("Echo", {}, G1), ("EchoTwo", {}, G2)])


def test_GRPCRouteWeight(gw):
    """500 calls: each backend's share within 5 points of its weight (upstream TestWeightedDistribution)."""
    with gw.applied("upstream-grpcroute-weight.yaml", m.WEIGHT):
        accepted(gw, SAME, "weighted-backends", kind="GRPCRoute")
        with m.EchoClient(gw, SAME) as client:
            def send(i):
                code, response = client.call("Echo", {"x-entropy": str(i)})
                assert code == grpc.StatusCode.OK, code
                return response.assertions.context.service_name
            weighted(send, {G1: 0.7, G2: 0.3, G3: 0.0})
