"""Upstream v1.6.1 HTTPRoute attachment and matching tests: simple and cross-namespace attachment, exact path,
header, method and query-parameter matches, matches merged across routes, path match precedence, listener
hostnames, one route on two Gateways, named rules. Each applies its upstream objects (conf_upstream_httproute.py)
while it runs; the same requests and expectations as upstream (conf_expect.py)."""
import conf_upstream_httproute as m
import pytest
from conf_expect import Expect, accepted, expect_all
from conf_infra import WEB

pytestmark = pytest.mark.e2e
SAME = "same-namespace"
V1, V2, V3 = "infra-backend-v1", "infra-backend-v2", "infra-backend-v3"


def test_HTTPRouteSimpleSameNamespace(gw):
    with gw.applied("upstream-httproute-simple-same-namespace.yaml", m.SIMPLE_SAME_NAMESPACE):
        accepted(gw, SAME, "gateway-conformance-infra-test")
        expect_all(gw, SAME, [Expect("/", V1)])


def test_HTTPRouteCrossNamespace(gw):
    with gw.applied("upstream-httproute-cross-namespace.yaml", m.CROSS_NAMESPACE):
        accepted(gw, "backend-namespaces", "cross-namespace", route_ns=WEB)
        expect_all(gw, "backend-namespaces", [Expect("/", "web-backend", namespace=WEB)])


def test_HTTPRouteExactPathMatching(gw):
    with gw.applied("upstream-httproute-exact-path-matching.yaml", m.EXACT_PATH_MATCHING):
        accepted(gw, SAME, "exact-matching")
        expect_all(gw, SAME, [Expect("/one", V1), Expect("/two", V2), *(
            Expect(path, status=404) for path in ("/", "/one/example", "/two/", "/Two"))])


def _headers(backend, status=200, **headers):
    return Expect("/", backend, status=status, headers={k.replace("_", "-"): v for k, v in headers.items()})


def test_HTTPRouteHeaderMatching(gw):
    with gw.applied("upstream-httproute-header-matching.yaml", m.HEADER_MATCHING):
        accepted(gw, SAME, "header-matching")
        expect_all(gw, SAME, [
            _headers(V1, Version="one"), _headers(V2, Version="two"),
            _headers(V1, Version="two", Color="orange"), _headers(V2, Version="two", Color="blue"),
            _headers("", 404, Color="orange"), _headers("", 404, Some_Other_Header="one"),
            _headers(V1, Color="blue"), _headers(V1, Color="green"), _headers(V2, Color="red"),
            _headers(V2, Color="yellow"), _headers("", 404, Color="purple"),
        ])


def test_HTTPRouteListenerHostnameMatching(gw):
    gateway = "httproute-listener-hostname-matching"
    with gw.applied("upstream-httproute-listener-hostname-matching.yaml", m.LISTENER_HOSTNAME_MATCHING):
        accepted(gw, gateway, "backend-v1", "backend-v2", "backend-v3")
        expect_all(gw, gateway, [
            Expect("/", V1, host="bar.com"), Expect("/", V2, host="foo.bar.com"),
            *(Expect("/", V3, host=h) for h in ("baz.bar.com", "boo.bar.com", "multiple.prefixes.bar.com",
                                                 "multiple.prefixes.foo.com")),
            Expect("/", status=404, host="foo.com"), Expect("/", status=404, host="no.matching.host"),
        ])


def test_HTTPRouteMatchingAcrossRoutes(gw):
    with gw.applied("upstream-httproute-matching-across-routes.yaml", m.MATCHING_ACROSS_ROUTES):
        accepted(gw, SAME, "matching-part1", "matching-part2")
        expect_all(gw, SAME, [
            Expect("/", V1, host="example.com"), Expect("/example", V1, host="example.com"),
            Expect("/example", V1, host="example.net"),
            Expect("/example", V1, host="example.com", headers={"Version": "one"}),
            Expect("/v2", V2, host="example.com"), Expect("/v2", V1, host="example.net"),
            Expect("/v2/example", V2, host="example.com"),
            Expect("/", V2, host="example.com", headers={"Version": "two"}),
        ])


def test_HTTPRouteMatching(gw):
    with gw.applied("upstream-httproute-matching.yaml", m.MATCHING):
        accepted(gw, SAME, "matching")
        expect_all(gw, SAME, [
            Expect("/", V1), Expect("/example", V1), Expect("/", V1, headers={"Version": "one"}),
            Expect("/v2", V2), Expect("/v2/example", V2), Expect("/", V2, headers={"Version": "two"}),
            Expect("/v2/", V2), Expect("/v2example", V1), Expect("/foo/v2/example", V1),
        ])


def test_HTTPRouteMethodMatching(gw):
    with gw.applied("upstream-httproute-method-matching.yaml", m.METHOD_MATCHING):
        accepted(gw, SAME, "method-matching")
        expect_all(gw, SAME, [
            Expect("/", V1, method="POST"), Expect("/", V2), Expect("/", status=404, method="HEAD"),
            Expect("/path1", V1), Expect("/", V2, method="PUT", headers={"version": "one"}),
            Expect("/path2", V3, method="POST", headers={"version": "two"}),
            Expect("/path3", V1, method="PATCH"), Expect("/path4", V1, method="DELETE", headers={"version": "three"}),
            Expect("/", status=404, method="PUT"), Expect("/path4", status=404, method="DELETE"),
            Expect("/path5", V1, method="PATCH"), Expect("/", V2, method="PATCH", headers={"version": "four"}),
        ])


def test_HTTPRouteMultipleGateways(gw):
    with gw.applied("upstream-httproute-multiple-gateways.yaml", m.MULTIPLE_GATEWAYS):
        accepted(gw, SAME, "multiple-gateways-shared-route", "same-namespace-dedicated-route")
        expect_all(gw, SAME, [Expect("/shared", V1), Expect("/", V2)])
        accepted(gw, "all-namespaces", "multiple-gateways-shared-route", "all-namespaces-dedicated-route")
        expect_all(gw, "all-namespaces", [Expect("/shared", V1), Expect("/", V3)])


def test_HTTPRouteNamedRule(gw):
    with gw.applied("upstream-httproute-named-rule.yaml", m.NAMED_RULE):
        accepted(gw, SAME, "http-named-rules")
        expect_all(gw, SAME, [Expect("/named", V1), Expect("/unnamed", V2)])


def test_HTTPRoutePathMatchOrder(gw):
    with gw.applied("upstream-httproute-path-match-order.yaml", m.PATH_MATCH_ORDER):
        accepted(gw, SAME, "path-matching-order")
        expect_all(gw, SAME, [
            Expect("/match/exact/one", V3), Expect("/match/exact", V2), Expect("/match", V1),
            Expect("/match/prefix/one/any", V2), Expect("/match/prefix/any", V1), Expect("/match/any", V3),
        ])


def test_HTTPRouteQueryParamMatching(gw):
    with gw.applied("upstream-httproute-query-param-matching.yaml", m.QUERY_PARAM_MATCHING):
        accepted(gw, SAME, "query-param-matching")
        expect_all(gw, SAME, [
            Expect("/?animal=whale", V1), Expect("/?animal=dolphin", V2), Expect("/?animal=dolphin&color=blue", V3),
            Expect("/?ANIMAL=Whale", V3), Expect("/?animal=whale&otherparam=irrelevant", V1),
            Expect("/?animal=dolphin&color=yellow", V2),
            *(Expect(p, status=404) for p in ("/?color=blue", "/?animal=dog", "/?animal=whaledolphin", "/")),
            Expect("/path1?animal=whale", V1), Expect("/?animal=whale", V2, headers={"version": "one"}),
            Expect("/path2?animal=whale", V3, headers={"version": "two"}),
            Expect("/path3?animal=shark", V1), Expect("/path4?animal=kraken", V1, headers={"version": "three"}),
            Expect("/?animal=shark", status=404), Expect("/path4?animal=kraken", status=404),
            Expect("/path5?animal=hydra", V1), Expect("/?animal=hydra", V3, headers={"version": "four"}),
        ])
