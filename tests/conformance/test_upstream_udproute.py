"""Upstream v1.6.1 udproute-* tests, replayed with their objects (conf_upstream_l4.py) against the UDP echo and
DNS backends (conf_l4.py). Each applies its manifest only while it runs, as the upstream suite does."""
import time

import conf_upstream_l4 as m
import pytest
from conf_infra import APP, INFRA
from conf_l4 import dns_query, udp_echo
from conf_l4_checks import assert_gateway_ready, assert_route, assert_weighted, assert_zero_routes, backend_of, listener

pytestmark = pytest.mark.e2e
A = m.L4_ADDRESSES
ACCEPTED = ("True", "Accepted")
UDPROUTE = {"group": "gateway.networking.k8s.io", "kind": "UDPRoute"}


def echoes(gw, gateway: str, port: int, service: str = "", namespace: str = INFRA) -> dict:
    """The upstream ExpectEchoResponseFromBackend: a datagram through the Gateway, answered by `service`."""
    def answer():
        out = udp_echo(A[gateway], gw.port(port))
        return out if not service or (out["service"], out["namespace"]) == (service, namespace) else None
    out = gw.wait_for(answer, what=f"UDP echo through {gateway}:{port}")
    assert out["request"] == "gateway-api-conformance-udp-echo"
    return out


def test_UDPRoute(gw):
    gateway = "udp-gateway"
    with gw.applied("udproute-simple.yaml", m.UDP_SIMPLE):
        assert_gateway_ready(gw, gateway)
        assert_route(gw, "UDPRoute", "udp-coredns", gateway, Accepted=ACCEPTED)
        reply = gw.wait_for(lambda: dns_query(A[gateway], gw.port(5300)), what="a DNS answer through the Gateway")
        assert reply["id_matches"] and reply["response"] and reply["rcode"] == 0 and reply["question"]
        # CoreDNS whoami names the client it saw: Envoy, forwarding from the Gateway's host
        assert reply["answers"] == 1 and reply["a"].startswith("127.")


def test_UDPRouteInvalidBackendRefNonexistent(gw):
    with gw.applied("udproute-invalid-backendref-nonexistent.yaml", m.UDP_INVALID_BACKEND):
        assert_route(gw, "UDPRoute", "udp-route-invalid-backend-ref-nonexistent", "udp-gateway-invalid-backend",
                     ResolvedRefs=("False", "BackendNotFound"))
        with pytest.raises(OSError):  # nothing to forward to: the datagram is dropped, no answer
            udp_echo(A["udp-gateway-invalid-backend"], gw.port(5300), timeout=1)


def test_UDPRouteInvalidCrossNamespaceBackendRef(gw):
    gateway = "udp-gateway-invalid-cross-namespace-backend-ref"
    with gw.applied("udproute-invalid-cross-namespace-backend-ref.yaml", m.UDP_INVALID_CROSS_NAMESPACE):
        assert_gateway_ready(gw, gateway)
        assert_route(gw, "UDPRoute", "udp-route-invalid-cross-namespace-backend-ref", gateway, Accepted=ACCEPTED,
                     ResolvedRefs=("False", "RefNotPermitted"))


def test_UDPRouteMultipleRoutesAttachment(gw):
    gateway = "udp-multi-route-attach-gateway"
    with gw.applied("udproute-multiple-routes-attachment.yaml", m.UDP_MULTIPLE_ROUTES):
        assert_gateway_ready(gw, gateway)
        assert_route(gw, "UDPRoute", "udproute-attach-older", gateway, Accepted=ACCEPTED)
        time.sleep(1)  # creation timestamps have a one-second resolution: the newer route must be newer
        with gw.applied("udproute-multiple-routes-attachment-newer.yaml", m.UDP_MULTIPLE_ROUTES_NEWER):
            for route in ("udproute-attach-older", "udproute-attach-newer"):
                assert_route(gw, "UDPRoute", route, gateway, Accepted=ACCEPTED)
            ls = listener(gw, gateway, "udp")
            assert UDPROUTE in ls["supportedKinds"] and ls["attachedRoutes"] == 2
            assert {c["type"]: c["reason"] for c in ls["conditions"]}["Accepted"] == "Accepted"
            echoes(gw, gateway, 5301)
            pods = {backend_of(udp_echo(A[gateway], gw.port(5301))["pod"]) for _ in range(20)}
            assert pods == {"udp-attach-backend-1"}, pods


def test_UDPRouteNotAllowedByListeners(gw):
    with gw.applied("udproute-not-allowed-by-listeners.yaml", m.UDP_NOT_ALLOWED):
        assert_route(gw, "UDPRoute", "udproute-not-allowed-by-listeners", "udproute-tls-only-gateway",
                     Accepted=("False", "NotAllowedByListeners"))
        assert_zero_routes(gw, "udproute-tls-only-gateway")


def test_UDPRouteParentRefAttachAllListeners(gw):
    gateway = "udp-attach-all-listeners-gateway"
    with gw.applied("udproute-parentref-attach-all-listeners.yaml", m.UDP_ATTACH_ALL):
        entry = assert_route(gw, "UDPRoute", "udp-route-attach-all", gateway, Accepted=ACCEPTED)
        assert entry["parentRef"] == {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway}
        for i in (1, 2, 3):
            ls = listener(gw, gateway, f"udp-{i}")
            got = {c["type"]: c["status"] for c in ls["conditions"]}
            assert ls["supportedKinds"] == [UDPROUTE] and ls["attachedRoutes"] == 1
            assert got["Accepted"] == got["ResolvedRefs"] == "True"
            echoes(gw, gateway, 5309 + i, "udp-echo-attach-all")


def test_UDPRouteParentRefPortAndSectionName(gw):
    gateway = "udp-multi-listener-gateway"
    with gw.applied("udproute-parentref-port-and-section-name.yaml", m.UDP_PORT_AND_SECTION):
        for route, port, backend in (("udp-route-by-port", 5300, "udp-echo-by-port"),
                                     ("udp-route-by-section", 5301, "udp-echo-by-section"),
                                     ("udp-route-by-section-and-port", 5302, "udp-echo-by-section-and-port")):
            assert_route(gw, "UDPRoute", route, gateway, Accepted=ACCEPTED)
            echoes(gw, gateway, port, backend)


def test_UDPRouteReferenceGrant(gw):
    gateway, route = "udp-gateway-reference-grant", "udp-route-reference-grant"
    with gw.applied("udproute-reference-grant.yaml", m.UDP_REFERENCE_GRANT):
        with gw.applied("udproute-reference-grant-grant.yaml", m.UDP_REFERENCE_GRANT_ONLY):
            assert_gateway_ready(gw, gateway)
            assert_route(gw, "UDPRoute", route, gateway, Accepted=ACCEPTED, ResolvedRefs=("True", "ResolvedRefs"))
            echoes(gw, gateway, 5300, "udp-echo-reference-grant", APP)
        assert_route(gw, "UDPRoute", route, gateway, ResolvedRefs=("False", "RefNotPermitted"))


def test_UDPRouteWeightedRouting(gw):
    gateway = "udp-weighted-gateway"
    with gw.applied("udproute-weighted-routing.yaml", m.UDP_WEIGHTED):
        assert_gateway_ready(gw, gateway)
        assert_route(gw, "UDPRoute", "udp-weighted-route", gateway, Accepted=ACCEPTED)
        echoes(gw, gateway, 5300)
        assert_weighted(lambda: udp_echo(A[gateway], gw.port(5300), b"gateway-api-conformance-udp-weight\n")["pod"],
                        {"udp-backend-v1": 0.7, "udp-backend-v2": 0.3, "udp-backend-v3": 0.0})
