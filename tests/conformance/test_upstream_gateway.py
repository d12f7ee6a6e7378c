"""Upstream v1.6.1 Gateway-level tests: listener and Gateway conditions, certificate references and
ReferenceGrants, attachedRoutes, listeners added and removed, observedGeneration. Each test applies its
upstream objects (conf_upstream_gateway.py) for its own duration, as the upstream suite does.

Listener status is compared as upstream's GatewayStatusMustHaveListeners does: the expected listeners exactly
(by name), each expected supported kind present (an expected empty list means none at all), each expected
condition present with its status and (when given) reason, attachedRoutes equal."""
import conf_upstream_gateway as m
import pytest
from conf_infra import INFRA
from conf_upstream import UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
HTTPROUTE = [("gateway.networking.k8s.io", "HTTPRoute")]


def gateway_status(gw, name):
    return gw.status_of("Gateway", INFRA, name)


def assert_listeners(gw, name, expected: list[tuple]):
    """expected: (listener, supported kinds, [(type, status, reason or None)], attachedRoutes)."""
    actual = {ls["name"]: ls for ls in gateway_status(gw, name)["listeners"]}
    assert sorted(actual) == sorted(e[0] for e in expected), actual
    for ls_name, kinds, conditions, attached in expected:
        ls = actual[ls_name]
        got_kinds = {(k["group"], k["kind"]) for k in ls["supportedKinds"]}
        assert set(kinds) <= got_kinds and (kinds or not got_kinds), f"{name}/{ls_name} kinds: {got_kinds}"
        got = {c["type"]: (c["status"], c["reason"]) for c in ls["conditions"]}
        for ctype, status, reason in conditions:
            assert got[ctype][0] == status and reason in (None, got[ctype][1]), f"{name}/{ls_name} {ctype}: {got}"
        assert ls["attachedRoutes"] == attached, f"{name}/{ls_name}: attachedRoutes {ls['attachedRoutes']}"


def condition(status, ctype):
    return next((c["status"], c["reason"]) for c in status["conditions"] if c["type"] == ctype)


def assert_latest_conditions(status, generation):
    """GatewayMustHaveLatestConditions: every condition observed the object's current generation."""
    assert {c["observedGeneration"] for c in status["conditions"]} == {generation}, status["conditions"]


def test_GatewayListenerUnsupportedProtocol(gw):
    with gw.applied("gateway-invalid-listeners-unsupported-protocol.yaml", m.LISTENER_UNSUPPORTED_PROTOCOL):
        invalid = ("invalid", [], [("Accepted", "False", "UnsupportedProtocol")], 0)
        only = gateway_status(gw, "gateway-only-unsupported-protocols")
        assert_latest_conditions(only, 1)
        assert condition(only, "Accepted") == ("False", "ListenersNotValid")
        assert_listeners(gw, "gateway-only-unsupported-protocols", [invalid])
        mixed = gateway_status(gw, "gateway-supported-and-unsupported-protocols")
        assert_latest_conditions(mixed, 1)
        assert condition(mixed, "Accepted") == ("True", "ListenersNotValid")
        assert_listeners(gw, "gateway-supported-and-unsupported-protocols", [
            ("http", HTTPROUTE, [("Accepted", "True", "Accepted")], 0), invalid])


def test_GatewayInvalidRouteKind(gw):
    with gw.applied("gateway-invalid-route-kind.yaml", m.INVALID_ROUTE_KIND):
        refs = [("ResolvedRefs", "False", "InvalidRouteKinds")]
        assert_listeners(gw, "gateway-only-invalid-route-kind", [("http", [], refs, 0)])
        assert_listeners(gw, "gateway-supported-and-invalid-route-kind", [("http", HTTPROUTE, refs, 0)])


@pytest.mark.parametrize("name", ["nonexistent-secret", "unsupported-group", "unsupported-kind", "malformed-secret"])
def test_GatewayInvalidTLSConfiguration(gw, name):
    with gw.applied("gateway-invalid-tls-configuration.yaml", m.INVALID_TLS_CONFIGURATION):
        assert_listeners(gw, f"gateway-certificate-{name}", [
            ("https", HTTPROUTE, [("ResolvedRefs", "False", "InvalidCertificateRef")], 0)])


@pytest.mark.parametrize("manifest,name", [
    pytest.param(m.SECRET_INVALID_REFERENCE_GRANT, "gateway-secret-invalid-reference-grant",
                 id="GatewaySecretInvalidReferenceGrant"),
    pytest.param(m.SECRET_MISSING_REFERENCE_GRANT, "gateway-secret-missing-reference-grant",
                 id="GatewaySecretMissingReferenceGrant"),
])
def test_GatewaySecret_not_permitted(gw, manifest, name):
    with gw.applied(f"{name}.yaml", manifest):
        assert_listeners(gw, name, [("https", HTTPROUTE, [("ResolvedRefs", "False", "RefNotPermitted")], 0)])


@pytest.mark.parametrize("manifest,name", [
    pytest.param(m.SECRET_REFERENCE_GRANT_ALL_IN_NAMESPACE, "gateway-secret-reference-grant-all-in-namespace",
                 id="GatewaySecretReferenceGrantAllInNamespace"),
    pytest.param(m.SECRET_REFERENCE_GRANT_SPECIFIC, "gateway-secret-reference-grant-specific",
                 id="GatewaySecretReferenceGrantSpecific"),
])
def test_GatewaySecret_permitted(gw, manifest, name):
    with gw.applied(f"{name}.yaml", manifest):
        assert_listeners(gw, name, [
            ("https", HTTPROUTE, [("Programmed", "True", "Programmed"), ("ResolvedRefs", "True", None)], 0)])
        # and it serves TLS with the Secret of the other namespace
        resp = gw.https("secure.test.com", "secure.test.com", address=UPSTREAM_ADDRESSES[name])
        assert resp.headers["x-test-peer-cert-cn"] == "secure.test.com" and resp.status == 404  # no routes


def test_GatewayWithAttachedRoutes(gw):
    with gw.applied("gateway-with-attached-routes.yaml", m.WITH_ATTACHED_ROUTES):
        ready = [("Accepted", "True", None), ("ResolvedRefs", "True", None)]
        assert_listeners(gw, "gateway-with-one-attached-route", [("http", HTTPROUTE, ready, 1)])
        assert_listeners(gw, "gateway-with-two-attached-routes", [("http", HTTPROUTE, ready, 2)])
        (parent,) = gw.status_of("HTTPRoute", INFRA, "http-route-not-accepted")["parents"]
        assert condition(parent, "Accepted") == ("False", "NoMatchingListenerHostname")
        # attachedRoutes counts a route even on a listener that cannot be programmed (no usable certificate)
        assert_listeners(gw, "unresolved-gateway-with-one-attached-unresolved-route", [
            ("tls", HTTPROUTE, [("Programmed", "False", None), ("ResolvedRefs", "False", None)], 1)])
        (parent,) = gw.status_of("HTTPRoute", INFRA, "http-route-4")["parents"]
        assert condition(parent, "ResolvedRefs")[0] == "False"


def test_GatewayWithAttachedRoutesWithPort8080(gw):
    with gw.applied("gateway-with-attached-routes-with-port-8080.yaml", m.WITH_ATTACHED_ROUTES_WITH_PORT_8080):
        ready = [("Accepted", "True", None), ("ResolvedRefs", "True", None)]
        assert_listeners(gw, "gateway-with-two-listeners-and-one-attached-route", [
            ("http-unattached", HTTPROUTE, ready, 0), ("http", HTTPROUTE, ready, 1)])


def test_GatewayModifyListeners_add(gw):
    address = UPSTREAM_ADDRESSES["gateway-add-listener"]
    ready = [("Accepted", "True", None), ("ResolvedRefs", "True", None)]
    with gw.applied("gateway-modify-listeners.yaml", m.ADD_LISTENER):
        assert_latest_conditions(gateway_status(gw, "gateway-add-listener"), 1)
        with pytest.raises(OSError):  # nothing listens on port 80 yet
            gw.request("data.test.com", "/", address=address, timeout=2)
        gw.apply("gateway-modify-listeners.yaml", m.ADD_LISTENER_ADDED)
        assert_listeners(gw, "gateway-add-listener", [("https", HTTPROUTE, ready, 1), ("http", HTTPROUTE, ready, 1)])
        assert_latest_conditions(gateway_status(gw, "gateway-add-listener"), 2)
        # the new listener routes traffic
        assert gw.request("data.test.com", "/", address=address).echoed()["service"] == "infra-backend-v1"


def test_GatewayModifyListeners_remove(gw):
    address = UPSTREAM_ADDRESSES["gateway-remove-listener"]
    ready = [("Accepted", "True", None), ("ResolvedRefs", "True", None)]
    with gw.applied("gateway-modify-listeners.yaml", m.REMOVE_LISTENER):
        assert gw.https("secure.test.com", "secure.test.com", address=address).status == 200
        gw.apply("gateway-modify-listeners.yaml", m.REMOVE_LISTENER_REMOVED)
        assert_listeners(gw, "gateway-remove-listener", [("http", HTTPROUTE, ready, 1)])
        assert_latest_conditions(gateway_status(gw, "gateway-remove-listener"), 2)
        # the removed listener stops serving
        with pytest.raises(OSError):
            gw.https("secure.test.com", "secure.test.com", address=address, timeout=2)


def test_GatewayObservedGenerationBump(gw):
    with gw.applied("gateway-observed-generation-bump.yaml", m.OBSERVED_GENERATION_BUMP):
        assert_latest_conditions(gateway_status(gw, "gateway-observed-generation-bump"), 1)
        gw.apply("gateway-observed-generation-bump.yaml", m.OBSERVED_GENERATION_BUMPED)
        status = gateway_status(gw, "gateway-observed-generation-bump")
        assert_latest_conditions(status, 2)
        assert [ls["name"] for ls in status["listeners"]] == ["http", "alternate"]


def test_GatewayClassObservedGenerationBump(gw):
    with gw.applied("gatewayclass-observed-generation-bump.yaml", m.gateway_class("old", 1)):
        status = gw.status_of("GatewayClass", "", "gatewayclass-observed-generation-bump")
        assert condition(status, "Accepted")[0] == "True"
        assert_latest_conditions(status, 1)
        gw.apply("gatewayclass-observed-generation-bump.yaml", m.gateway_class("new", 2))
        status = gw.status_of("GatewayClass", "", "gatewayclass-observed-generation-bump")
        assert condition(status, "Accepted")[0] == "True"
        assert_latest_conditions(status, 2)
