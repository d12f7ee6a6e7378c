"""Upstream v1.6.1 tcproute-* tests, replayed with their objects (conf_upstream_l4.py) against the TCP echo
backends (conf_l4.py). Each applies its manifest only while it runs, as the upstream suite does."""
import time

import conf_upstream_l4 as m
import pytest
from conf_infra import INFRA, WEB
from conf_l4 import tcp_exchange, tcp_pod
from conf_l4_checks import (
    assert_gateway_ready,
    assert_route,
    assert_weighted,
    assert_zero_routes,
    backend_of,
    listener,
)

pytestmark = pytest.mark.e2e
A = m.L4_ADDRESSES
ACCEPTED = ("True", "Accepted")
TCPROUTE = {"group": "gateway.networking.k8s.io", "kind": "TCPRoute"}


def reaches(gw, gateway: str, port: int, backend: str, namespace: str = INFRA) -> None:
    """The upstream MakeTCPRequestAndExpectEventuallyValidResponse (plain TCP)."""
    out = gw.wait_for(lambda: tcp_exchange(A[gateway], gw.port(port)), what=f"TCP through {gateway}:{port}")
    assert out["welcome"] == "Gateway API Test TCP Server\n" and out["PING"] == "PONG" and out["IS_TLS"] == "false"
    assert out["TEST"]["namespace"] == namespace and out["TEST"]["pod"].startswith(f"{backend}-"), out["TEST"]


def test_TCPRouteInvalidBackendRefNonexistent(gw):
    with gw.applied("tcproute-invalid-backendref-nonexistent.yaml", m.TCP_INVALID_BACKEND):
        assert_route(gw, "TCPRoute", "tcp-route-invalid-backend-ref-nonexistent", "tcp-gateway-invalid-backend",
                     ResolvedRefs=("False", "BackendNotFound"))
        # no backend: the connection is accepted and closed, never forwarded
        with pytest.raises(OSError):
            tcp_exchange(A["tcp-gateway-invalid-backend"], gw.port(9300), timeout=2)


def test_TCPRouteInvalidCrossNamespaceBackendRef(gw):
    name, gateway = "tcp-invalid-cross-namespace-backend-ref", "tcp-invalid-cross-namespace-backend-ref-gateway"
    with gw.applied("tcproute-invalid-cross-namespace-backend-ref.yaml", m.TCP_INVALID_CROSS_NAMESPACE):
        assert_gateway_ready(gw, gateway)
        assert_route(gw, "TCPRoute", name, gateway, Accepted=ACCEPTED, ResolvedRefs=("False", "RefNotPermitted"))


def test_TCPRouteInvalidNonTCPListener(gw):
    with gw.applied("tcproute-invalid-non-tcp-listener.yaml", m.TCP_NON_TCP_LISTENER):
        assert_route(gw, "TCPRoute", "tcp-route", "tcp-mixed-protocol-gateway",
                     Accepted=("False", "NotAllowedByListeners"))
        assert_zero_routes(gw, "tcp-mixed-protocol-gateway")


def test_TCPRouteMultipleRoutesAttachment(gw):
    gateway, address = "tcp-multi-route-attach-gateway", A["tcp-multi-route-attach-gateway"]
    with gw.applied("tcproute-multiple-routes-attachment.yaml", m.TCP_MULTIPLE_ROUTES):
        assert_gateway_ready(gw, gateway)
        assert_route(gw, "TCPRoute", "tcproute-attach-older", gateway, Accepted=ACCEPTED)
        reaches(gw, gateway, 9310, "tcp-attach-backend-1")
        time.sleep(1)  # creation timestamps have a one-second resolution: the newer route must be newer
        with gw.applied("tcproute-multiple-routes-attachment-newer.yaml", m.TCP_MULTIPLE_ROUTES_NEWER):
            for route in ("tcproute-attach-older", "tcproute-attach-newer"):
                assert_route(gw, "TCPRoute", route, gateway, Accepted=ACCEPTED)
            ls = listener(gw, gateway, "tcp")
            assert TCPROUTE in ls["supportedKinds"] and ls["attachedRoutes"] == 2
            assert {c["type"]: c["reason"] for c in ls["conditions"]}["Accepted"] == "Accepted"
            # only the oldest route receives traffic: 100 connections, all to its backend
            pods = [tcp_pod(address, gw.port(9310)) for _ in range(100)]
            assert {backend_of(p) for p in pods} == {"tcp-attach-backend-1"}, set(pods)


def test_TCPRouteParentRefAttachAll(gw):
    gateway = "tcp-attach-all-gateway"
    with gw.applied("tcproute-parentref-attach-all.yaml", m.TCP_ATTACH_ALL):
        entry = assert_route(gw, "TCPRoute", "tcp-route-attach-all", gateway, Accepted=ACCEPTED)
        assert entry["parentRef"] == {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway}
        for i, name in enumerate(("one", "two", "three", "four")):
            assert listener(gw, gateway, name)["attachedRoutes"] == 1
            reaches(gw, gateway, 9310 + i, "tcp-echo-attach-all")


def test_TCPRouteParentRefPortAndSectionName(gw):
    gateway = "tcp-multi-listener-gateway"
    with gw.applied("tcproute-parentref-port-and-section-name.yaml", m.TCP_PORT_AND_SECTION):
        for route, port, backend in (("tcp-route-by-port", 9300, "tcp-echo-one"),
                                     ("tcp-route-by-section", 9301, "tcp-echo-two"),
                                     ("tcp-route-by-section-and-port", 9302, "tcp-echo-three")):
            assert_route(gw, "TCPRoute", route, gateway, Accepted=ACCEPTED)
            reaches(gw, gateway, port, backend)


def test_TCPRouteReferenceGrant(gw):
    gateway = "tcp-reference-grant-gateway"
    with gw.applied("tcproute-reference-grant.yaml", m.TCP_REFERENCE_GRANT):
        with gw.applied("tcproute-reference-grant-grant.yaml", m.TCP_REFERENCE_GRANT_ONLY):
            assert_gateway_ready(gw, gateway)
            assert_route(gw, "TCPRoute", "tcp-reference-grant", gateway, Accepted=ACCEPTED,
                         ResolvedRefs=("True", "ResolvedRefs"))
            reaches(gw, gateway, 9320, "tcp-reference-grant-backend", WEB)
        # the ReferenceGrant is deleted
        assert_route(gw, "TCPRoute", "tcp-reference-grant", gateway, ResolvedRefs=("False", "RefNotPermitted"))
        with pytest.raises(OSError):  # and the connection is no longer forwarded
            tcp_exchange(A[gateway], gw.port(9320), timeout=2)


def test_TCPRouteWeightedRouting(gw):
    gateway = "tcp-weighted-gateway"
    with gw.applied("tcproute-weighted-routing.yaml", m.TCP_WEIGHTED):
        assert_gateway_ready(gw, gateway)
        assert_route(gw, "TCPRoute", "tcp-weighted-route", gateway, Accepted=ACCEPTED)
        assert_weighted(lambda: tcp_pod(A[gateway], gw.port(9300)),
                        {"tcp-backend-v1": 0.7, "tcp-backend-v2": 0.3, "tcp-backend-v3": 0.0})
