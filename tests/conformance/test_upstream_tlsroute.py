"""Upstream v1.6.1 tlsroute-* tests, replayed with their objects (conf_upstream_l4.py) against the TLS
backends (conf_l4.py): HTTPS echo servers with the suite's tls-checks-certificate, and the TCP echo's TLS port
with tls-passthrough-checks-certificate. Each applies its manifest only while it runs.

kgw supports TLSRoute Terminate and mixed Terminate/Passthrough listeners on one port (the features
TLSRouteModeTerminate and TLSRouteModeMixed), so upstream skips TLSRouteListenerTerminateNotSupported and
TLSRouteListenerMixedTerminationNotSupported for it; here they check the supported side of the same objects.
"""
import conf_upstream_l4 as m
import pytest
from conf_infra import INFRA
from conf_l4 import CHECKS_HOSTS, PASSTHROUGH_HOSTS, TERMINATE_HOSTS, tcp_exchange, tls_rejected
from conf_l4_checks import assert_gateway_ready, assert_route, assert_zero_routes, listener

pytestmark = pytest.mark.e2e
A = m.L4_ADDRESSES
ACCEPTED = ("True", "Accepted")
TLSROUTE = {"group": "gateway.networking.k8s.io", "kind": "TLSRoute"}


def https_reaches(gw, gateway: str, sni: str, backend: str) -> None:
    """The upstream MakeTLSRequestAndExpectEventuallyConsistentResponse: HTTPS through a passthrough listener,
    verified against the backend's certificate (the Gateway holds none), answered by `backend`."""
    resp = gw.wait_for(lambda: gw.https(sni, sni, address=A[gateway], timeout=3), what=f"HTTPS {sni} via {gateway}")
    assert resp.status == 200
    echoed = resp.echoed()
    assert (echoed["service"], echoed["namespace"], echoed["host"], echoed["path"]) == (backend, INFRA, sni, "/")
    assert resp.headers["x-test-peer-cert-cn"] == CHECKS_HOSTS[0]  # the backend's certificate reached the client


def rejected(gw, gateway: str, sni: str, port: int = 443) -> None:
    gw.wait_for(lambda: tls_rejected(A[gateway], gw.port(port), sni), what=f"{sni} refused by {gateway}")


def test_TLSRouteHostnameIntersection(gw):
    cases = [  # gateway, routes, [(SNI, backend)], SNI no route serves
        ("gw-tlsroute-exact-hostname-x-1", ["tlsroute-more-specific-wc-hostname-x-1"],
         [("abc.example.com", "tls-backend")], "non.matching.com"),
        ("gw-tlsroute-more-specific-wc-hostname-x-2",
         ["tlsroute-exact-hostname-x-2", "tlsroute-less-specific-wc-hostname-x-2"],
         [("abc.example.com", "tls-backend"), ("other.example.com", "tls-backend-2")], "non.matching.com"),
        ("gw-tlsroute-less-specific-wc-hostname-x-3",
         ["tlsroute-exact-hostname-x-3", "tlsroute-more-specific-wc-hostname-x-3"],
         [("abc.example.com", "tls-backend"), ("other.example.com", "tls-backend-2")], "non.matching.com"),
        ("gw-tlsroute-empty-hostname-x-4", ["tlsroute-exact-hostname-x-4", "tlsroute-less-specific-wc-hostname-x-4"],
         [("abc.example.com", "tls-backend"), ("other.example.com", "tls-backend-2")], "non.matching.org"),
    ]
    with gw.applied("tlsroute-hostname-intersection.yaml", m.TLS_HOSTNAME_INTERSECTION):
        for gateway, routes, served, refused in cases:
            assert_gateway_ready(gw, gateway)
            for route in routes:
                assert_route(gw, "TLSRoute", route, gateway, Accepted=ACCEPTED, ResolvedRefs=("True", "ResolvedRefs"))
            for sni, backend in served:
                https_reaches(gw, gateway, sni, backend)
            rejected(gw, gateway, refused)


@pytest.mark.parametrize("manifest,route,gateway,reason", [
    pytest.param(m.TLS_INVALID_BACKEND, "invalid-backend-ref-nonexistent",
                 "gateway-tlsroute-invalid-backend-ref-nonexistent", "BackendNotFound",
                 id="TLSRouteInvalidBackendRefNonexistent"),
    pytest.param(m.TLS_UNKNOWN_KIND, "invalid-backend-ref-unknown-kind",
                 "gateway-tlsroute-invalid-backend-ref-unknown-kind", "InvalidKind",
                 id="TLSRouteInvalidBackendRefUnknownKind"),
])
def test_TLSRouteInvalidBackendRef(gw, manifest, route, gateway, reason):
    with gw.applied(f"{route}.yaml", manifest):
        assert_gateway_ready(gw, gateway)
        assert_route(gw, "TLSRoute", route, gateway, Accepted=ACCEPTED, ResolvedRefs=("False", reason))
        rejected(gw, gateway, "example.com")


def test_TLSRouteInvalidNoMatchingListenerHostname(gw):
    with gw.applied("tlsroute-invalid-no-matching-listener-hostname.yaml", m.TLS_NO_MATCHING_HOSTNAME):
        for route, gateway in (("tlsroute-hostname-mismatch-1", "gateway-tls-exact-hostname"),
                               ("tlsroute-hostname-mismatch-2", "gateway-tls-wildcard-hostname")):
            assert_route(gw, "TLSRoute", route, gateway, Accepted=("False", "NoMatchingListenerHostname"))
            assert len(gw.status_of("TLSRoute", INFRA, route)["parents"]) == 1  # no accepted parent
            assert_zero_routes(gw, gateway)


def test_TLSRouteInvalidNoMatchingListener(gw):
    with gw.applied("tlsroute-invalid-no-matching-listener.yaml", m.TLS_NO_MATCHING_LISTENER):
        for route, gateway, reason in (
                ("tlsroute-not-allowed-protocol-http", "gateway-tlsroute-http-only", "NotAllowedByListeners"),
                ("tlsroute-not-allowed-protocol-https", "gateway-tlsroute-https-only", "NotAllowedByListeners"),
                ("tlsroute-no-matching-section-name", "gateway-tlsroute-tls-passthrough-only", "NoMatchingParent")):
            assert_route(gw, "TLSRoute", route, gateway, Accepted=("False", reason))
            assert len(gw.status_of("TLSRoute", INFRA, route)["parents"]) == 1
        assert_zero_routes(gw, "gateway-tlsroute-http-only")
        assert_zero_routes(gw, "gateway-tlsroute-https-only")


def test_TLSRouteInvalidReferenceGrant(gw):
    gateway = "gateway-tlsroute-referencegrant"
    with gw.applied("tlsroute-invalid-reference-grant.yaml", m.TLS_INVALID_REFERENCE_GRANT):
        assert_gateway_ready(gw, gateway)
        assert_route(gw, "TLSRoute", "gateway-conformance-infra-test", gateway, Accepted=ACCEPTED,
                     ResolvedRefs=("False", "RefNotPermitted"))
        rejected(gw, gateway, "abc.example.com")


def test_TLSRouteListenerPassthroughSupportedKinds(gw):
    gateway = "gateway-tlsroute-passthrough-supported-kind"
    with gw.applied("tlsroute-listener-passthrough-supported-kinds.yaml", m.TLS_PASSTHROUGH_KINDS):
        ls = listener(gw, gateway, "tls-passthrough")
        got = {c["type"]: (c["status"], c["reason"]) for c in ls["conditions"]}
        assert ls["supportedKinds"] == [TLSROUTE] and ls["attachedRoutes"] == 0
        assert got["ResolvedRefs"] == ("False", "InvalidRouteKinds")


@pytest.mark.parametrize("manifest,gateway", [
    pytest.param(m.TLS_TERMINATE_KINDS, "gateway-tlsroute-terminate-supported",
                 id="TLSRouteListenerTerminateSupportedKinds"),
    # upstream skips this one for implementations with TLSRouteModeTerminate: the listener must be accepted
    pytest.param(m.TLS_TERMINATE_UNSUPPORTED, "gateway-tlsroute-terminate-unsupported",
                 id="TLSRouteListenerTerminateNotSupported-supported-side"),
])
def test_TLSRouteListenerTerminate(gw, manifest, gateway):
    with gw.applied(f"{gateway}.yaml", manifest):
        ls = listener(gw, gateway, "tls-terminate")
        got = {c["type"]: (c["status"], c["reason"]) for c in ls["conditions"]}
        assert ls["supportedKinds"] == [TLSROUTE] and ls["attachedRoutes"] == 0
        assert got["Accepted"] == ACCEPTED and got["Programmed"] == ("True", "Programmed")


def test_TLSRouteListenerMixedTermination_supported_side(gw):
    """Upstream TLSRouteListenerMixedTerminationNotSupported is skipped with TLSRouteModeMixed: both listeners
    of different modes on one port are accepted, conflict-free."""
    gateway = "gateway-tlsroute-mixed-termination-not-supported"
    with gw.applied(f"{gateway}.yaml", m.TLS_MIXED_NOT_SUPPORTED):
        assert_gateway_ready(gw, gateway)
        for name in ("tls-terminate", "tls-passthrough"):
            got = {c["type"]: (c["status"], c["reason"]) for c in listener(gw, gateway, name)["conditions"]}
            assert got["Accepted"] == ACCEPTED and got["Conflicted"] == ("False", "NoConflicts")


def _tls_tcp(gw, gateway: str, port: int, sni: str) -> dict:
    return gw.wait_for(lambda: tcp_exchange(A[gateway], gw.port(port), sni=sni, ca_file=gw.ca_file),
                       what=f"TLS {sni} via {gateway}:{port}")


def test_TLSRouteMixedTerminationSameNamespace(gw):
    gateway = "gateway-tlsroute-mixed-termination"
    with gw.applied("tlsroute-mixed-termination-same-namespace.yaml", m.TLS_MIXED):
        assert_gateway_ready(gw, gateway)
        for route in ("gateway-conformance-mixed-passthroughroute", "gateway-conformance-mixed-terminateroute"):
            assert_route(gw, "TLSRoute", route, gateway, Accepted=ACCEPTED)
        for name in ("tls-terminate", "tls-passthrough"):
            ls = listener(gw, gateway, name)
            assert ls["supportedKinds"] == [TLSROUTE] and ls["attachedRoutes"] == 1
        terminated = _tls_tcp(gw, gateway, 8883, "tls.example.com")
        assert terminated["IS_TLS"] == "false" and terminated["TEST"]["pod"].startswith("tcp-backend-")
        assert terminated["peer"] == TERMINATE_HOSTS  # the Gateway's certificate
        passed = _tls_tcp(gw, gateway, 8883, "abc.example.com")
        assert passed["IS_TLS"] == "true" and passed["TEST"]["tls"]["serverName"] == "abc.example.com"
        assert passed["peer"] == PASSTHROUGH_HOSTS  # the backend's certificate


def test_TLSRouteSimpleSameNamespace(gw):
    gateway = "gateway-tlsroute"
    with gw.applied("tlsroute-simple-same-namespace.yaml", m.TLS_SIMPLE):
        assert_gateway_ready(gw, gateway)
        assert_route(gw, "TLSRoute", "gateway-conformance-infra-test", gateway, Accepted=ACCEPTED)
        out = _tls_tcp(gw, gateway, 443, "abc.example.com")
        assert out["welcome"] == "Gateway API Test TCP Server\n" and out["PING"] == "PONG"
        assert out["IS_TLS"] == "true" and out["TEST"]["isTLS"] is True
        assert out["TEST"]["namespace"] == INFRA and out["TEST"]["pod"].startswith("tcp-backend-")
        assert out["TEST"]["tls"]["serverName"] == "abc.example.com"
        assert out["peer"] == PASSTHROUGH_HOSTS  # the handshake was the backend's


def test_TLSRouteTerminateSimpleSameNamespace(gw):
    gateway = "gateway-tlsroute-terminate"
    with gw.applied("tlsroute-terminate-simple-same-namespace.yaml", m.TLS_TERMINATE_SIMPLE):
        assert_gateway_ready(gw, gateway)
        assert_route(gw, "TLSRoute", "tlsroute-terminated-test", gateway, Accepted=ACCEPTED)
        out = _tls_tcp(gw, gateway, 8443, "tls.example.com")
        assert out["IS_TLS"] == "false" and out["TEST"]["isTLS"] is False and "tls" not in out["TEST"]
        assert out["TEST"]["pod"].startswith("tcp-backend-") and out["peer"] == TERMINATE_HOSTS
