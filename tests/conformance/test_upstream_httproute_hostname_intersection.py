"""Upstream v1.6.1 `HTTPRouteHostnameIntersection`: routes serve only the hostnames they share with a listener,
a port in Host is ignored for matching and reaches the backend unchanged, attachedRoutes counts accepted routes."""
import pytest
from conf_cases import Case, check
from conf_infra import INFRA
from conf_upstream import UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
GW = "httproute-hostname-intersection"
ADDR, ALL_ADDR = UPSTREAM_ADDRESSES[GW], UPSTREAM_ADDRESSES[f"{GW}-all"]


def ok(host, path, backend):
    return Case(f"{host}{path} -> {backend}", host, path, backend=backend, address=ADDR)


def missing(host, path, address=ADDR):
    return Case(f"{host}{path} -> 404", host, path, status=404, backend=None, address=address)


CASES = [
    # specific-host-matches-listener-specific-host
    ok("very.specific.com", "/s1", "infra-backend-v1"),
    ok("very.specific.com:1234", "/s1", "infra-backend-v1"),  # the backend sees very.specific.com:1234
    missing("non.matching.com", "/s1"),
    missing("foo.nonmatchingwildcard.io", "/s1"),
    missing("foo.wildcard.io", "/s1"),
    missing("very.specific.com", "/non-matching-prefix"),
    # specific-host-matches-listener-wildcard-host
    ok("foo.wildcard.io", "/s2", "infra-backend-v2"),
    ok("bar.wildcard.io", "/s2", "infra-backend-v2"),
    ok("foo.bar.wildcard.io", "/s2", "infra-backend-v2"),
    missing("non.matching.com", "/s2"),
    missing("wildcard.io", "/s2"),
    missing("very.specific.com", "/s2"),
    missing("foo.wildcard.io", "/non-matching-prefix"),
    # wildcard-host-matches-listener-specific-host
    ok("very.specific.com", "/s3", "infra-backend-v3"),
    missing("non.matching.com", "/s3"),
    missing("foo.specific.com", "/s3"),
    missing("foo.wildcard.io", "/s3"),
    missing("very.specific.com", "/non-matching-prefix"),
    # wildcard-host-matches-listener-wildcard-host
    ok("foo.anotherwildcard.io", "/s4", "infra-backend-v1"),
    ok("bar.anotherwildcard.io", "/s4", "infra-backend-v1"),
    ok("foo.bar.anotherwildcard.io", "/s4", "infra-backend-v1"),
    ok("foo.anotherwildcard.io:8080", "/s4", "infra-backend-v1"),  # not upstream: a port on a wildcard name
    missing("anotherwildcard.io", "/s4"),
    missing("foo.wildcard.io", "/s4"),
    missing("very.specific.com", "/s4"),
    missing("foo.anotherwildcard.io", "/non-matching-prefix"),
    # no-intersecting-hosts
    missing("specific.but.wrong.com", "/s5"),
    missing("wildcard.io", "/s5"),
    # httproute-hostname-intersection-all: a listener without hostname serves the route's names only
    *(Case(f"{h}/ -> infra-backend-v2 (all)", h, "/", backend="infra-backend-v2", address=ALL_ADDR)
      for h in ("first.com", "sub.first.com", "second.com", "sub.second.com")),
    missing("third.com", "/", ALL_ADDR),
    missing("sub.third.com", "/", ALL_ADDR),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_HTTPRouteHostnameIntersection(gw, case):
    check(gw, case)


def _parent_conditions(gw, route):
    (parent,) = gw.status_of("HTTPRoute", INFRA, route)["parents"]
    return {c["type"]: (c["status"], c["reason"]) for c in parent["conditions"]}


@pytest.mark.parametrize("route", [
    "specific-host-matches-listener-specific-host", "specific-host-matches-listener-wildcard-host",
    "wildcard-host-matches-listener-specific-host", "wildcard-host-matches-listener-wildcard-host",
])
def test_HTTPRouteHostnameIntersection_routes_accepted(gw, route):
    conds = _parent_conditions(gw, route)
    assert conds["Accepted"] == ("True", "Accepted") and conds["ResolvedRefs"] == ("True", "ResolvedRefs")


def test_HTTPRouteHostnameIntersection_no_intersecting_hosts(gw):
    assert _parent_conditions(gw, "no-intersecting-hosts")["Accepted"] == ("False", "NoMatchingListenerHostname")


def test_HTTPRouteHostnameIntersection_attached_routes_count_accepted_routes_only(gw):
    listeners = {ls["name"]: ls for ls in gw.status_of("Gateway", INFRA, GW)["listeners"]}
    assert {name: ls["attachedRoutes"] for name, ls in listeners.items()} == {
        "listener-1": 2, "listener-2": 1, "listener-3": 1}
    for ls in listeners.values():
        conds = {c["type"]: c["status"] for c in ls["conditions"]}
        assert conds["Accepted"] == conds["ResolvedRefs"] == "True"
        assert {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"} in ls["supportedKinds"]
