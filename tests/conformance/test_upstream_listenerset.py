"""Upstream v1.6.1 `ListenerSet*` tests: allowedListeners (None, default, Same, Selector), routes attached to
ListenerSet listeners (allowedRoutes namespaces and kinds, sectionName, both parents of a route judged apart),
hostname and protocol conflicts decided by precedence, ReferenceGrants from ListenerSets, route status scoped to
the declared parentRefs — statuses as the upstream helpers check them, and the traffic the upstream tests send.
Each test applies its upstream objects (conf_upstream_listenerset.py) for its own duration."""
import conf_upstream_listenerset as m
import pytest
from conf_assert import (
    HTTPROUTE,
    READY,
    assert_conditions,
    assert_latest,
    exact_listeners,
    listeners_have,
    route_accepted_by,
    route_parent,
)
from conf_infra import INFRA
from conf_upstream import UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
NOT_ALLOWED = [("Accepted", "False", "NotAllowed"), ("Programmed", "False", "NotAllowed")]
ACCEPTED = [("Accepted", "True", "Accepted"), ("Programmed", "True", "Programmed")]
NOT_VALID = [("Accepted", "False", "ListenersNotValid"), ("Programmed", "False", "ListenersNotValid")]


def gateway(gw, name):
    status = gw.status_of("Gateway", INFRA, name)
    assert_latest(status, 1, name)
    return status


def listener_set(gw, name, ns=INFRA):
    status = gw.status_of("ListenerSet", ns, name)
    assert_latest(status, 1, f"ListenerSet {ns}/{name}")
    return status


def assert_gateway(gw, name, attached_sets: int):
    """GatewayMustHaveCondition(Accepted=True) and GatewayMustHaveAttachedListeners."""
    status = gateway(gw, name)
    assert_conditions(status["conditions"], [("Accepted", "True", None)], name)
    assert status.get("attachedListenerSets", 0) == attached_sets, status


def served_by(gw, gateway_name, host, path, backend):
    resp = gw.wait_for(lambda: (r := gw.request(host, path, address=UPSTREAM_ADDRESSES[gateway_name])).status == 200
                       and r, what=f"{host}{path}")
    assert resp.echoed()["service"] == backend and resp.echoed()["path"] == path, resp.echoed()


def not_found(gw, gateway_name, host, path):
    assert gw.request(host, path, address=UPSTREAM_ADDRESSES[gateway_name]).status == 404, (host, path)


def test_ListenerSetAllowedNamespaceNone(gw):
    with gw.applied("listenerset-allowed-namespace-none.yaml", m.ALLOWED_NAMESPACE_NONE):
        assert_gateway(gw, "gateway-does-not-allow-listenerset", 0)
        assert_conditions(listener_set(gw, "listenerset-not-allowed")["conditions"], NOT_ALLOWED, "listenerset")
        not_found(gw, "gateway-does-not-allow-listenerset", "listener-set-listener.com", "/")


def test_ListenerSetDefaultNotAllowed(gw):
    with gw.applied("listenerset-default-not-allowed.yaml", m.DEFAULT_NOT_ALLOWED):
        assert_gateway(gw, "gateway-default-does-not-allow-listenerset", 0)
        status = listener_set(gw, "listenerset-default-not-allowed")
        assert_conditions(status["conditions"], NOT_ALLOWED, "listenerset")


def test_ListenerSetAllowedNamespaceSame(gw):
    with gw.applied("listenerset-allowed-namespace-same.yaml", m.ALLOWED_NAMESPACE_SAME):
        assert_gateway(gw, "gateway-allows-listenerset-in-same-namespace", 1)
        status = listener_set(gw, "listenerset-in-same-namespace")
        assert_conditions(status["conditions"], ACCEPTED, "same")
        listeners_have(status, READY, ["listenerset-in-same-namespace-listener"], "same")
        status = listener_set(gw, "listenerset-in-different-namespace", m.NOT_ALLOWED_NS)
        assert_conditions(status["conditions"], NOT_ALLOWED, "different")


def test_ListenerSetAllowedNamespaceSelector(gw):
    with gw.applied("listenerset-allowed-namespace-selector.yaml", m.ALLOWED_NAMESPACE_SELECTOR):
        assert_gateway(gw, "gateway-allows-listenerset-in-selected-namespace", 1)
        status = listener_set(gw, "listenerset-in-selected-namespace", m.SELECTOR_ALLOWED_NS)
        assert_conditions(status["conditions"], ACCEPTED, "selected")
        listeners_have(status, READY, ["listenerset-in-selected-namespace-listener"], "selected")
        status = listener_set(gw, "listenerset-not-in-selected-namespace", m.SELECTOR_NOT_ALLOWED_NS)
        assert_conditions(status["conditions"], NOT_ALLOWED, "not selected")


def test_ListenerSetAllowedRoutesNamespaces(gw):
    name = "gateway-with-listener-sets-test-allowed-routes"
    with gw.applied("listenerset-allowed-routes-namespaces.yaml", m.ALLOWED_ROUTES_NAMESPACES):
        assert_gateway(gw, name, 2)
        # same-namespace ListenerSet
        for route, ns in (("route-in-same-namespace", INFRA), ("route-in-selected-namespace", m.ROUTES_ALLOWED_NS),
                          ("route-not-in-selected-namespace", m.ROUTES_NOT_ALLOWED_NS)):
            route_accepted_by(gw, route, "ListenerSet", "listenerset-test-allowed-routes-namespaces", route_ns=ns)
        prefix = "listener-set-listener-allowed-routes"
        exact_listeners(listener_set(gw, "listenerset-test-allowed-routes-namespaces"), [
            (f"{prefix}-all", HTTPROUTE, READY, 3), (f"{prefix}-same", HTTPROUTE, READY, 1),
            (f"{prefix}-selector", HTTPROUTE, READY, 1)], "namespaces")
        expected = {
            "all": {"same": "infra-backend-v1", "selected": "infra-backend-v2", "not-selected": "infra-backend-v3"},
            "same": {"same": "infra-backend-v1"},
            "selector": {"selected": "infra-backend-v2"},
        }
        paths = {"same": "/route-in-same-namespace", "selected": "/route-in-selected-namespace",
                 "not-selected": "/route-not-in-selected-namespace"}
        for listener, backends in expected.items():
            for route, path in paths.items():
                host = f"{prefix}-{listener}.com"
                if route in backends:
                    served_by(gw, name, host, path, backends[route])
                else:
                    not_found(gw, name, host, path)
        # cross-namespace ListenerSet: `Same` is the ListenerSet's namespace, not the Gateway's
        cross = "listenerset-test-allowed-routes-cross-ns"
        route_accepted_by(gw, "route-in-listenerset-namespace", "ListenerSet", cross, ns=m.LS_CROSS_NS,
                          route_ns=m.LS_CROSS_NS)
        entry = route_parent(gw, "route-in-gateway-namespace", cross, m.LS_CROSS_NS)
        assert_conditions(entry["conditions"], [("Accepted", "False", "NotAllowedByListeners")], "cross-ns")
        exact_listeners(listener_set(gw, "listenerset-test-allowed-routes-cross-ns", m.LS_CROSS_NS), [
            (f"{prefix}-cross-ns-same", HTTPROUTE, READY, 1)], "cross-ns")
        host = f"{prefix}-cross-ns-same.com"
        served_by(gw, name, host, "/route-in-listenerset-namespace", "infra-backend-v1")
        not_found(gw, name, host, "/route-in-gateway-namespace")


def test_ListenerSetAllowedRoutesSupportedKinds(gw):
    with gw.applied("listenerset-allowed-routes-supported-kinds.yaml", m.ALLOWED_ROUTES_SUPPORTED_KINDS):
        assert_gateway(gw, "gateway-with-listener-sets-test-supported-route-kinds", 0)
        status = listener_set(gw, "listenerset-test-allowed-routes-supported-kinds")
        listeners_have(status, [("ResolvedRefs", "False", "InvalidRouteKinds")],
                       ["listener-set-listener-allowed-routes-tls-only"], "tls-only")


def test_ListenerSetDualParentRefIndependence(gw):
    name = "gateway-dual-parentref"
    with gw.applied("listenerset-dual-parentref-independence.yaml", m.DUAL_PARENTREF):
        assert_gateway(gw, name, 1)
        exact_listeners(listener_set(gw, "ls-dual-parentref"),
                        [("ls-dual-parentref-listener", HTTPROUTE, READY, 2)], "dual")
        # both parentRefs accepted
        for parent in (name, "ls-dual-parentref"):
            entry = route_parent(gw, "route-dual-parentref-both", parent)
            assert_conditions(entry["conditions"], [("Accepted", "True", None)], parent)
        served_by(gw, name, "gw-dual.com", "/dualboth", "infra-backend-v1")
        served_by(gw, name, "ls-dual.com", "/dualboth", "infra-backend-v1")
        # one of two: the Gateway has no listener of that name, the ListenerSet does
        entry = route_parent(gw, "route-dual-parentref-one", name)
        assert_conditions(entry["conditions"], [("Accepted", "False", "NoMatchingParent")], "gateway parent")
        route_accepted_by(gw, "route-dual-parentref-one", "ListenerSet", "ls-dual-parentref")
        served_by(gw, name, "ls-dual.com", "/dualone", "infra-backend-v2")
        not_found(gw, name, "gw-dual.com", "/dualone")


def test_ListenerSetGatewayParentSectionNameNotFound(gw):
    name = "gateway-section-name"
    with gw.applied("listenerset-gateway-parent-section-name-not-found.yaml", m.SECTION_NAME_NOT_FOUND):
        assert_gateway(gw, name, 1)
        route_accepted_by(gw, "route-via-listenerset", "ListenerSet", "listenerset-section-name")
        listeners_have(listener_set(gw, "listenerset-section-name"), READY, ["ls-only-listener"], "section")
        entry = route_parent(gw, "route-via-gateway", name)
        assert_conditions(entry["conditions"], [("Accepted", "False", "NoMatchingParent")], "via gateway")
        served_by(gw, name, "ls-section-name.com", "/goodsection", "infra-backend-v1")
        not_found(gw, name, "gw-section.com", "/badsection")


@pytest.mark.parametrize("kind,manifest", [
    pytest.param("hostname", m.HOSTNAME_CONFLICT, id="ListenerSetHostnameConflict"),
    pytest.param("protocol", m.PROTOCOL_CONFLICT, id="ListenerSetProtocolConflict"),
])
def test_ListenerSet_conflicts(gw, kind, manifest):
    reason = f"{kind.title()}Conflict"
    conflicted = [("Accepted", "False", reason), ("Programmed", "False", reason), ("Conflicted", "True", reason)]
    name = f"gateway-with-listenerset-{kind}-conflict"
    first, second = f"{kind}-conflict-with-gateway-listener", f"{kind}-conflict-with-listener-set-listener"
    with gw.applied(f"listenerset-{kind}-conflict.yaml", manifest):
        assert_gateway(gw, name, 2)
        # the Gateway's listeners come first: both accepted
        listeners_have(gateway(gw, name), READY, ["gateway-listener", first], name)
        one = listener_set(gw, f"listenerset-with-{kind}-conflict-with-gateway-1")
        assert_conditions(one["conditions"], [("Accepted", "True", None), ("Programmed", "True", "Programmed")], "1")
        listeners_have(one, READY, ["listener-set-1-listener", second], "gateway-1")
        listeners_have(one, conflicted, [first], "gateway-1")
        two = listener_set(gw, f"listenerset-with-{kind}-conflict-with-gateway-2")
        assert_conditions(two["conditions"], NOT_VALID, "gateway-2")
        listeners_have(two, conflicted, [first], "gateway-2")
        three = listener_set(gw, f"listenerset-with-{kind}-conflict-with-listener-set-1")
        assert_conditions(three["conditions"], [("Accepted", "True", None), ("Programmed", "True", "Programmed")], "3")
        listeners_have(three, READY, ["listener-set-2-listener"], "listener-set-1")
        listeners_have(three, conflicted, [second], "listener-set-1")
        four = listener_set(gw, f"listenerset-with-{kind}-conflict-with-listener-set-2")
        assert_conditions(four["conditions"], NOT_VALID, "listener-set-2")
        listeners_have(four, conflicted, [second], "listener-set-2")


def test_ListenerSetHTTPRouting(gw):
    name = "gateway-with-listener-sets-http-routing"
    with gw.applied("listenerset-http-routing.yaml", m.HTTP_ROUTING):
        for route in ("attaches-to-all-listeners", "gateway-route", "gateway-section-route"):
            route_accepted_by(gw, route, "Gateway", name)
        assert_gateway(gw, name, 2)
        for n, routes, attached in (
                (1, ["attaches-to-all-listeners", "listener-set-http-routing-1-route",
                     "listener-set-http-routing-1-section-route"], (3, 2)),
                (2, ["attaches-to-all-listeners", "listener-set-http-routing-2-route"], (2, 2))):
            lset = f"listener-set-http-routing-{n}"
            for route in routes:
                route_accepted_by(gw, route, "ListenerSet", lset)
            exact_listeners(listener_set(gw, lset), [
                (f"{lset}-listener-{i}", HTTPROUTE, READY, attached[i - 1]) for i in (1, 2)], lset)
        hosts = ["gateway-listener-1.com", "gateway-listener-2.com"] + [
            f"listener-set-http-routing-{n}-listener-{i}.com" for n in (1, 2) for i in (1, 2)]
        served = {  # path -> {host: backend}; every other host answers 404
            "/route": dict.fromkeys(hosts, "infra-backend-v1"),
            "/gateway-route": dict.fromkeys(hosts[:2], "infra-backend-v2"),
            "/gateway-section-route": {hosts[0]: "infra-backend-v3"},
            "/listener-set-http-routing-1-route": dict.fromkeys(hosts[2:4], "infra-backend-v2"),
            "/listener-set-http-routing-1-section-route": {hosts[2]: "infra-backend-v3"},
            "/listener-set-http-routing-2-route": dict.fromkeys(hosts[4:], "infra-backend-v2"),
        }
        for path, by_host in served.items():
            for host in hosts:
                if host in by_host:
                    served_by(gw, name, host, path, by_host[host])
                else:
                    not_found(gw, name, host, path)


def test_ListenerSetReferenceGrant(gw):
    with gw.applied("listenerset-reference-grant.yaml", m.REFERENCE_GRANT):
        status = gateway(gw, "gateway-with-listener-sets-test-reference-grant")
        assert_conditions(status["conditions"], [("Accepted", "True", None)], "gateway")
        granted = listener_set(gw, "listenerset-with-reference-grant")
        assert_conditions(granted["conditions"], [("Accepted", "True", None), ("Programmed", "True", None)], "granted")
        listeners_have(granted, [("ResolvedRefs", "True", None)], ["listenerset-with-reference-grant-listener"],
                       "granted")
        refused = listener_set(gw, "listenerset-without-reference-grant", m.GRANT_NS)
        assert_conditions(refused["conditions"], NOT_VALID, "refused")
        listeners_have(refused, [("ResolvedRefs", "False", "RefNotPermitted")],
                       ["listenerset-without-reference-grant-listener"], "refused")
        # and the granted listener serves TLS with the other namespace's certificate
        address = UPSTREAM_ADDRESSES["gateway-with-listener-sets-test-reference-grant"]
        host = "listenerset-with-reference-grant-listener.com"
        resp = gw.wait_for(lambda: gw.https(host, host, address=address), what="TLS on the ListenerSet listener")
        assert resp.headers["x-test-peer-cert-cn"] == "secure.test.com" and resp.status == 404  # no routes


def test_ListenerSetRouteStatusScopedToParentRef(gw):
    name = "gateway-parentref"
    with gw.applied("listenerset-route-status-scoped-to-parentref.yaml", m.ROUTE_STATUS_SCOPED):
        assert_gateway(gw, name, 1)
        exact_listeners(listener_set(gw, "listenerset-parentref"),
                        [("listenerset-parentref-listener", HTTPROUTE, READY, 1)], "parentref")
        for route, kind, parent in (("route-parentref-gwonly", "Gateway", name),
                                    ("route-parentref-lsonly", "ListenerSet", "listenerset-parentref")):
            parents = gw.status_of("HTTPRoute", INFRA, route)["parents"]
            assert [p["parentRef"] for p in parents] == [
                {"group": "gateway.networking.k8s.io", "kind": kind, "name": parent, "namespace": INFRA}], parents
            assert_conditions(parents[0]["conditions"], [("Accepted", "True", None)], route)
        served_by(gw, name, "gw-parentref.com", "/gwonly", "infra-backend-v1")
        served_by(gw, name, "listenerset-parentref.com", "/lsonly", "infra-backend-v2")
        not_found(gw, name, "gw-parentref.com", "/lsonly")
