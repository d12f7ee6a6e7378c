"""Gateway listeners: isolation (the most specific listener hostname owns a request), ListenerPortMatching
(parentRef port), allowedRoutes namespaces Same / Selector and kinds, AttachedRoutes."""
import pytest
from conf_cases import Case, check
from conf_infra import APP, INFRA, WEB

pytestmark = pytest.mark.e2e

# (host, the only listener's route path that answers) on port 83
ISOLATION = [
    ("abc.foo.example.com", "abc-foo-example-com"),
    ("bar.foo.example.com", "wildcard-foo-example-com"),
    ("bar.example.com", "wildcard-example-com"),
    ("bar.com", "empty-hostname"),
]
LISTENER_PATHS = [p for _, p in ISOLATION]


@pytest.mark.parametrize("host,owner", ISOLATION, ids=[h for h, _ in ISOLATION])
def test_listener_isolation(gw, host, owner):
    for path in LISTENER_PATHS:
        if path == owner:
            check(gw, Case(f"{host} {path}", host, f"/{path}", port=83))
        else:  # another listener's route: never reachable through this host
            check(gw, Case(f"{host} {path}", host, f"/{path}", port=83, status=404, backend=None))


def test_parent_ref_port_selects_the_listener(gw):
    check(gw, Case("port 84", "any.example.com", "/port-84", port=84))
    check(gw, Case("not on port 80", "any.example.com", "/port-84", port=80, status=404, backend=None))


def test_allowed_routes_same_namespace(gw):
    check(gw, Case("same namespace route", "x.example.com", "/", port=81, backend="infra-backend-v2"))
    status = gw.status_of("HTTPRoute", WEB, "same-namespace-only")
    accepted = status["parents"][0]["conditions"][0]
    assert (accepted["status"], accepted["reason"]) == ("False", "NotAllowedByListeners")


def test_allowed_routes_selector(gw):
    check(gw, Case("selected namespace", "x.example.com", "/", port=82, backend="web-backend"))
    status = gw.status_of("HTTPRoute", APP, "not-selected")
    accepted = status["parents"][0]["conditions"][0]
    assert (accepted["status"], accepted["reason"]) == ("False", "NotAllowedByListeners")


def test_allowed_routes_kinds(gw):
    check(gw, Case("HTTPRoute on a GRPCRoute-only listener", "x.example.com", "/", port=85, status=404,
                   backend=None))
    status = gw.status_of("HTTPRoute", INFRA, "http-on-grpc-only")
    accepted = status["parents"][0]["conditions"][0]
    assert (accepted["status"], accepted["reason"]) == ("False", "NotAllowedByListeners")


def test_attached_routes_and_supported_kinds(gw):
    listeners = {ls["name"]: ls for ls in gw.status_of("Gateway", INFRA, "conformance")["listeners"]}
    # http: matching, headers, redirect, rewrite, mirror, timeouts, cors, extension-ref, app-protocol,
    # cross-namespace (attached even while its backend is not permitted) and the GRPCRoute
    assert listeners["http"]["attachedRoutes"] == 11
    assert listeners["same-namespace"]["attachedRoutes"] == 1
    assert listeners["selector"]["attachedRoutes"] == 1
    assert listeners["abc-foo-example-com"]["attachedRoutes"] == 1
    assert listeners["grpc-only"]["attachedRoutes"] == 0
    assert listeners["grpc-only"]["supportedKinds"] == [{"group": "gateway.networking.k8s.io", "kind": "GRPCRoute"}]
    assert listeners["https-a"]["attachedRoutes"] == 2  # the https route and the GRPCRoute
