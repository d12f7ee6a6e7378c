"""Upstream v1.6.1 HTTPRoute status tests: routes refused by their parent (kind not allowed, namespace not allowed,
no listener on the parentRef's port or sectionName), unresolvable backendRefs (unknown kind, missing Service, no or
an unsuitable ReferenceGrant: a 500 for their share of traffic), a ReferenceGrant deleted under a live route,
omitted backendRefs, and observedGeneration following a change. Each applies its upstream objects while it runs."""
import conf_upstream_httproute as m
import pytest
from conf_assert import assert_latest
from conf_expect import Expect, accepted, expect_all, not_accepted_anywhere, route_has, zero_routes
from conf_infra import APP, INFRA, WEB
from conf_upstream import UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
SAME = "same-namespace"


def test_HTTPRouteDisallowedKind(gw):
    with gw.applied("upstream-httproute-disallowed-kind.yaml", m.DISALLOWED_KIND):
        route_has(gw, "disallowed-kind", "tlsroutes-only", "ResolvedRefs", "True")
        route_has(gw, "disallowed-kind", "tlsroutes-only", "Accepted", "False", "NotAllowedByListeners")
        not_accepted_anywhere(gw, "disallowed-kind")
        zero_routes(gw, "tlsroutes-only")


def _unresolved(gw, route, reason, path="/"):
    accepted_only(gw, route)
    route_has(gw, route, SAME, "ResolvedRefs", "False", reason)
    expect_all(gw, SAME, [Expect(path, status=500)])


def accepted_only(gw, route):
    route_has(gw, route, SAME, "Accepted", "True")


def test_HTTPRouteInvalidBackendRefUnknownKind(gw):
    with gw.applied("upstream-httproute-invalid-backendref-unknown-kind.yaml", m.INVALID_BACKENDREF_UNKNOWN_KIND):
        _unresolved(gw, "invalid-backend-ref-unknown-kind", "InvalidKind", "/v2")


def test_HTTPRouteInvalidCrossNamespaceBackendRef(gw):
    with gw.applied("upstream-httproute-invalid-cross-namespace-backend-ref.yaml",
                    m.INVALID_CROSS_NAMESPACE_BACKEND_REF):
        _unresolved(gw, "invalid-cross-namespace-backend-ref", "RefNotPermitted")


def test_HTTPRouteInvalidNonExistentBackendRef(gw):
    with gw.applied("upstream-httproute-invalid-nonexistent-backendref.yaml", m.INVALID_NONEXISTENT_BACKENDREF):
        _unresolved(gw, "invalid-nonexistent-backend-ref", "BackendNotFound")


def test_HTTPRouteInvalidReferenceGrant(gw):
    with gw.applied("upstream-httproute-invalid-reference-grant.yaml", m.INVALID_REFERENCE_GRANT):
        _unresolved(gw, "reference-grant", "RefNotPermitted")


def test_HTTPRouteInvalidCrossNamespaceParentRef(gw):
    route = "invalid-cross-namespace-parent-ref"
    with gw.applied("upstream-httproute-invalid-cross-namespace-parent-ref.yaml",
                    m.INVALID_CROSS_NAMESPACE_PARENT_REF):
        route_has(gw, route, SAME, "ResolvedRefs", "True", route_ns=WEB)
        route_has(gw, route, SAME, "Accepted", "False", "NotAllowedByListeners", route_ns=WEB)
        not_accepted_anywhere(gw, route, route_ns=WEB)
        zero_routes(gw, SAME)


@pytest.mark.parametrize("name,manifest,route,gateway", [
    ("HTTPRouteInvalidParentRefNotMatchingListenerPort", m.INVALID_PARENTREF_NOT_MATCHING_LISTENER_PORT,
     "httproute-listener-not-matching-route-port", SAME),
    ("HTTPRouteInvalidParentRefNotMatchingSectionName", m.INVALID_PARENTREF_NOT_MATCHING_SECTION_NAME,
     "httproute-listener-not-matching-section-name", SAME),
    ("HTTPRouteInvalidParentRefSectionNameNotMatchingPort", m.INVALID_PARENTREF_SECTION_NAME_NOT_MATCHING_PORT,
     "httproute-listener-section-name-not-matching-port",
     "gateway-with-one-not-matching-port-and-section-name-route"),
], ids=lambda v: v if isinstance(v, str) and v.startswith("HTTPRoute") else "")
def test_HTTPRouteInvalidParentRef(gw, name, manifest, route, gateway):
    with gw.applied(f"upstream-{name}.yaml", manifest):
        if name.endswith("ListenerPort"):
            route_has(gw, route, gateway, "ResolvedRefs", "True")
        route_has(gw, route, gateway, "Accepted", "False", "NoMatchingParent")
        not_accepted_anywhere(gw, route)
        zero_routes(gw, gateway)


def test_HTTPRouteReferenceGrant(gw):
    grant = "upstream-httproute-reference-grant.yaml"
    with gw.applied("upstream-httproute-reference-grant-route.yaml", m.REFERENCE_GRANT_ROUTE):
        gw.apply(grant, m.REFERENCE_GRANT_ITSELF)
        try:
            accepted(gw, SAME, "reference-grant")
            expect_all(gw, SAME, [Expect("/", "web-backend", namespace=WEB)])
        finally:
            gw.apply(grant, None)  # deleted under the live route, as upstream deletes it
        # eventually consistent, as upstream waits for it: a deletion carries no resourceVersion settle() can
        # wait for in cluster mode
        address = UPSTREAM_ADDRESSES[SAME]
        gw.wait_for(lambda: gw.request(address, "/", address=address).status == 500, what="the grant's deletion")
        expect_all(gw, SAME, [Expect("/", status=500)])
        route_has(gw, "reference-grant", SAME, "ResolvedRefs", "False", "RefNotPermitted")


def test_HTTPRoutePartiallyInvalidViaInvalidReferenceGrant(gw):
    with gw.applied("upstream-httproute-partially-invalid-via-invalid-reference-grant.yaml",
                    m.PARTIALLY_INVALID_VIA_INVALID_REFERENCE_GRANT):
        accepted_only(gw, "invalid-reference-grant")
        route_has(gw, "invalid-reference-grant", SAME, "ResolvedRefs", "False", "RefNotPermitted")
        expect_all(gw, SAME, [Expect("/v2", status=500), Expect("/", "app-backend-v1", namespace=APP)])


def test_HTTPRouteNoBackendRefs(gw):
    with gw.applied("upstream-httproute-omitted-backendrefs.yaml", m.OMITTED_BACKENDREFS):
        accepted(gw, SAME, "omitted-backendrefs")
        expect_all(gw, SAME, [Expect("/forward", "infra-backend-v1"), Expect("/omitted-no-forward", status=500),
                              Expect("/empty-no-forward", status=500)])


def test_HTTPRouteObservedGenerationBump(gw):
    name = "upstream-httproute-observed-generation-bump.yaml"
    with gw.applied(name, m.observed_generation_bump("infra-backend-v1", 1)):
        status = gw.status_of("HTTPRoute", INFRA, "observed-generation-bump")
        for parent in status["parents"]:
            assert_latest(parent, 1, "observed-generation-bump")
        gw.apply(name, m.observed_generation_bump("infra-backend-v2", 2))
        assert gw.generation_of("HTTPRoute", INFRA, "observed-generation-bump") == 2
        route_has(gw, "observed-generation-bump", SAME, "Accepted", "True")
        route_has(gw, "observed-generation-bump", SAME, "ResolvedRefs", "True", "ResolvedRefs")
        for parent in gw.status_of("HTTPRoute", INFRA, "observed-generation-bump")["parents"]:
            assert_latest(parent, 2, "observed-generation-bump")
        expect_all(gw, SAME, [Expect("/", "infra-backend-v2")])
