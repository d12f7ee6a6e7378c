"""Upstream v1.6.1 HTTPRoute filter tests: request and response header modifiers (on rules and on backendRefs,
with per-backend weights), redirects (host, status, path, port, scheme; 303, 307, 308), URL rewrites (host,
path) and request mirrors (one, several, a percentage). Each applies its upstream objects while it runs."""
import time
import uuid

import conf_upstream_httproute as m
import conf_upstream_httproute_filters as f
import pytest
from conf_expect import Expect, accepted, expect_all
from conf_upstream import UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
SAME = "same-namespace"
V1, V2 = "infra-backend-v1", "infra-backend-v2"
# the request-header cases of HTTPRouteRequestHeaderModifier (and of the mirror and rewrite tests' modify rules)
SENT = {"X-Header-Remove": "remove-val", "X-Header-Add-Append": "append-val-1"}
MODIFIED = {"X-Header-Add": "header-val-1", "X-Header-Add-Append": "append-val-1,header-val-2",
            "X-Header-Set": "set-overwrites-values"}
REQUEST_HEADER_CASES = [
    Expect("/set", V1, headers={"Some-Other-Header": "val"},
           backend_headers={"Some-Other-Header": "val", "X-Header-Set": "set-overwrites-values"}),
    Expect("/set", V1, headers={"Some-Other-Header": "val", "X-Header-Set": "some-other-value"},
           backend_headers={"Some-Other-Header": "val", "X-Header-Set": "set-overwrites-values"}),
    Expect("/add", V1, headers={"Some-Other-Header": "val"},
           backend_headers={"Some-Other-Header": "val", "X-Header-Add": "add-appends-values"}),
    Expect("/add", V1, headers={"Some-Other-Header": "val", "X-Header-Add": "some-other-value"},
           backend_headers={"Some-Other-Header": "val", "X-Header-Add": "some-other-value,add-appends-values"}),
    Expect("/remove", V1, headers={"X-Header-Remove": "val"}, absent_backend_headers=("X-Header-Remove",)),
    Expect("/multiple", V1, headers={"X-Header-Set-2": "set-val-2", "X-Header-Add-2": "add-val-2",
                                     "X-Header-Remove-2": "remove-val-2", "Another-Header": "another-header-val"},
           backend_headers={"X-Header-Set-1": "header-set-1", "X-Header-Set-2": "header-set-2",
                            "X-Header-Add-1": "header-add-1", "X-Header-Add-2": "add-val-2,header-add-2",
                            "X-Header-Add-3": "header-add-3", "Another-Header": "another-header-val"},
           absent_backend_headers=("X-Header-Remove-1", "X-Header-Remove-2")),
    Expect("/case-insensitivity", V1, headers={"x-header-set": "original-val-set", "x-header-add": "original-val-add",
                                               "x-header-remove": "original-val-remove",
                                               "Another-Header": "another-header-val"},
           backend_headers={"X-Header-Set": "header-set", "X-Header-Add": "original-val-add,header-add",
                            "Another-Header": "another-header-val"},
           absent_backend_headers=("x-header-remove", "X-Header-Remove")),
]


def test_HTTPRouteRequestHeaderModifier(gw):
    with gw.applied("upstream-httproute-request-header-modifier.yaml", f.REQUEST_HEADER_MODIFIER):
        accepted(gw, SAME, "request-header-modifier")
        expect_all(gw, SAME, REQUEST_HEADER_CASES)


def test_HTTPRouteBackendRequestHeaderModifier(gw):
    with gw.applied("upstream-httproute-request-header-modifier.yaml", f.BACKEND_REQUEST_HEADER_MODIFIER):
        accepted(gw, SAME, "request-header-modifier")
        expect_all(gw, SAME, REQUEST_HEADER_CASES)


def test_HTTPRouteRequestHeaderModifierBackendWeights(gw):
    with gw.applied("upstream-httproute-request-header-modifier-backend-weights.yaml",
                    f.REQUEST_HEADER_MODIFIER_BACKEND_WEIGHTS):
        accepted(gw, SAME, "request-header-modifier-backend-weights")
        address = UPSTREAM_ADDRESSES[SAME]
        seen = set()
        for _ in range(100):
            echoed = gw.request(address, "/", address=address).echoed()
            assert echoed["headers"]["Backend"] == [echoed["service"]], echoed  # each backend's own filter
            seen.add(echoed["service"])
        assert seen == {V1, V2}


MULTIPLE_SET = {"X-Header-Set-2": "set-val-2", "X-Header-Add-2": "add-val-2", "X-Header-Remove-2": "remove-val-2",
                "Another-Header": "another-header-val", "X-Header-Remove-1": "val"}
MULTIPLE_WANT = {"X-Header-Set-1": "header-set-1", "X-Header-Set-2": "header-set-2", "X-Header-Add-1": "header-add-1",
                 "X-Header-Add-2": "add-val-2,header-add-2", "Another-Header": "another-header-val"}


def test_HTTPRouteResponseHeaderModifier(gw):
    with gw.applied("upstream-httproute-response-header-modifier.yaml", f.RESPONSE_HEADER_MODIFIER):
        accepted(gw, SAME, "response-header-modifier")
        expect_all(gw, SAME, [
            Expect("/set", V1, echo_set={"Some-Other-Header": "val"},
                   response_headers={"Some-Other-Header": "val", "X-Header-Set": "set-overwrites-values"}),
            Expect("/set", V1, echo_set={"Some-Other-Header": "val", "X-Header-Set": "some-other-value"},
                   response_headers={"Some-Other-Header": "val", "X-Header-Set": "set-overwrites-values"}),
            Expect("/add", V1, echo_set={"Some-Other-Header": "val"},
                   response_headers={"Some-Other-Header": "val", "X-Header-Add": "add-appends-values"}),
            Expect("/add", V1, echo_set={"Some-Other-Header": "val", "X-Header-Add": "some-other-value"},
                   response_headers={"Some-Other-Header": "val",
                                     "X-Header-Add": "some-other-value,add-appends-values"}),
            Expect("/remove", V1, echo_set={"X-Header-Remove": "val"}, absent_response_headers=("X-Header-Remove",)),
            Expect("/multiple", V1, echo_set=MULTIPLE_SET,
                   response_headers={**MULTIPLE_WANT, "X-Header-Add-3": "header-add-3"},
                   absent_response_headers=("X-Header-Remove-1", "X-Header-Remove-2")),
            Expect("/case-insensitivity", V1,
                   echo_set={"x-header-set": "original-val-set", "x-header-add": "original-val-add",
                             "x-header-remove": "original-val-remove", "Another-Header": "another-header-val"},
                   response_headers={"X-Header-Set": "header-set", "X-Header-Add": "original-val-add,header-add",
                                     "X-Lowercase-Add": "lowercase-add", "X-Mixedcase-Add-1": "mixedcase-add-1",
                                     "X-Mixedcase-Add-2": "mixedcase-add-2", "X-Uppercase-Add": "uppercase-add",
                                     "Another-Header": "another-header-val"},
                   absent_response_headers=("x-header-remove", "X-Header-Remove")),
            Expect("/response-and-request-header-modifiers", V1,
                   headers={**SENT, "X-Header-Echo": "echo"},
                   echo_set={**MULTIPLE_SET, "X-Header-Remove-1": "remove-val-1", "X-Header-Echo": "echo"},
                   backend_headers={**MODIFIED, "X-Header-Echo": "echo"}, absent_backend_headers=("X-Header-Remove",),
                   response_headers={**MULTIPLE_WANT, "X-Header-Echo": "echo"},
                   absent_response_headers=("X-Header-Remove-1", "X-Header-Remove-2")),
        ])


def _redirect(request_path, status=302, method="GET", **location):
    return Expect(request_path, status=status, method=method, redirect=location)


@pytest.mark.parametrize("name,manifest,route,cases", [
    ("HTTPRoute303Redirect", m.REDIRECT_303, "303-redirect", [_redirect("/see-other", 303, "POST")]),
    ("HTTPRoute307Redirect", m.REDIRECT_307, "307-redirect", [_redirect("/temporary", 307)]),
    ("HTTPRoute308Redirect", m.REDIRECT_308, "308-redirect", [_redirect("/permanent", 308)]),
    ("HTTPRouteRedirectHostAndStatus", m.REDIRECT_HOST_AND_STATUS, "redirect-host-and-status", [
        _redirect("/hostname-redirect", host="example.org"), _redirect("/host-and-status", 301, host="example.org")]),
    ("HTTPRouteRedirectPath", m.REDIRECT_PATH, "redirect-path", [
        _redirect("/original-prefix/lemon", path="/replacement-prefix/lemon"),
        _redirect("/full/path/original", path="/full-path-replacement"),
        _redirect("/path-and-host", host="example.org", path="/replacement-prefix"),
        _redirect("/path-and-status", 301, path="/replacement-prefix"),
        _redirect("/full-path-and-host", host="example.org", path="/replacement-full"),
        _redirect("/full-path-and-status", 301, path="/replacement-full")]),
    ("HTTPRouteRedirectPort", m.REDIRECT_PORT, "redirect-port", [
        _redirect("/port", port="8083"), _redirect("/port-and-host", host="example.org", port="8083"),
        _redirect("/port-and-status", 301, port="8083"),
        _redirect("/port-and-host-and-status", port="8083", host="example.org")]),
    ("HTTPRouteRedirectScheme", m.REDIRECT_SCHEME, "redirect-scheme", [
        _redirect("/scheme", scheme="https"), _redirect("/scheme-and-host", host="example.org", scheme="https"),
        _redirect("/scheme-and-status", 301, scheme="https"),
        _redirect("/scheme-and-host-and-status", scheme="https", host="example.org")]),
], ids=lambda v: v if isinstance(v, str) and v.startswith("HTTPRoute") else "")
def test_HTTPRouteRedirect(gw, name, manifest, route, cases):
    with gw.applied(f"upstream-{name}.yaml", manifest):
        accepted(gw, SAME, route)
        expect_all(gw, SAME, cases)


def test_HTTPRouteRewriteHost(gw):
    with gw.applied("upstream-httproute-rewrite-host.yaml", f.REWRITE_HOST):
        accepted(gw, SAME, "rewrite-host")
        expect_all(gw, SAME, [
            Expect("/one", V1, host="rewrite.example", backend_host="one.example.org"),
            Expect("/two", V2, host="rewrite.example", backend_host="example.org"),
            Expect("/rewrite-host-and-modify-headers", V2, host="rewrite.example", headers=SENT,
                   backend_host="test.example.org", backend_headers=MODIFIED,
                   absent_backend_headers=("X-Header-Remove",)),
        ])


def test_HTTPRouteRewritePath(gw):
    sent = {**SENT, "X-Header-Set": "set-val"}
    with gw.applied("upstream-httproute-rewrite-path.yaml", f.REWRITE_PATH):
        accepted(gw, SAME, "rewrite-path")
        expect_all(gw, SAME, [
            Expect("/prefix/one/two", V1, backend_path="/one/two"),
            Expect("/strip-prefix/three", V1, backend_path="/three"),
            Expect("/strip-prefix", V1, backend_path="/"),
            Expect("/full/one/two", V1, backend_path="/one"),
            Expect("/full/rewrite-path-and-modify-headers/test", V1, headers=sent, backend_path="/test",
                   backend_headers=MODIFIED, absent_backend_headers=("X-Header-Remove",)),
            Expect("/prefix/rewrite-path-and-modify-headers/one", V1, headers=sent, backend_path="/prefix/one",
                   backend_headers=MODIFIED, absent_backend_headers=("X-Header-Remove",)),
        ])


def _mirrored(gw, backends, request_id):
    """ExpectMirroredRequest: every mirror backend logged the request (its answer is discarded)."""
    for backend in backends:
        gw.wait_for(lambda b=backend: any(request_id in p["path"] for p in list(gw.http_backends[b].seen)),
                    timeout=5, what=f"a mirrored copy on {backend}")


def _mirror_case(path, mirrors, modify=False):
    request_id = uuid.uuid4().hex  # AddRequestIDQueryParam
    full = f"{path}?X-Request-Id={request_id}"
    case = Expect(full, V1, headers=SENT, backend_headers=MODIFIED, absent_backend_headers=("X-Header-Remove",)) \
        if modify else Expect(full, V1)
    return case, mirrors, request_id


@pytest.mark.parametrize("name,manifest,route,cases", [
    ("HTTPRouteRequestMirror", f.REQUEST_MIRROR, "request-mirror", [
        ("/mirror", ["infra-backend-v2"], False), ("/mirror-and-modify-headers", ["infra-backend-v2"], True)]),
    ("HTTPRouteRequestMultipleMirrors", f.REQUEST_MULTIPLE_MIRRORS, "request-multiple-mirrors", [
        ("/multi-mirror", ["infra-backend-v2", "infra-backend-v3"], False),
        ("/multi-mirror-and-modify-request-headers", ["infra-backend-v2", "infra-backend-v3"], True)]),
], ids=lambda v: v if isinstance(v, str) and v.startswith("HTTPRoute") else "")
def test_HTTPRouteRequestMirror(gw, name, manifest, route, cases):
    with gw.applied(f"upstream-{name}.yaml", manifest):
        accepted(gw, SAME, route)
        for path, mirrors, modify in cases:
            case, mirrors, request_id = _mirror_case(path, mirrors, modify)
            expect_all(gw, SAME, [case])
            _mirrored(gw, mirrors, request_id)


def _mirrored_share(gw, path, modify, total=500):
    """One round: `total` requests with a fresh request id; the copies infra-backend-v2 saw of them."""
    address = UPSTREAM_ADDRESSES[SAME]
    case, _, request_id = _mirror_case(path, [], modify)
    expect_all(gw, SAME, [case])
    for _ in range(total - 1):
        assert gw.request(address, case.path, headers=case.headers, address=address).status == 200

    def count():
        return sum(request_id in seen["path"] for seen in list(gw.http_backends["infra-backend-v2"].seen))
    # mirrored copies are sent asynchronously: poll until the count stops growing
    last, deadline = -1, time.monotonic() + 5
    while (now := count()) != last and time.monotonic() < deadline:
        last = now
        time.sleep(0.1)
    return now


def test_HTTPRouteRequestPercentageMirror(gw):
    """500 requests per rule; the share mirrored to infra-backend-v2 within 3 standard deviations of the
    percentage (upstream's testMirroredRequestsDistribution, tried up to numDistributionChecks = 5 times)."""
    with gw.applied("upstream-httproute-request-percentage-mirror.yaml", f.REQUEST_PERCENTAGE_MIRROR):
        accepted(gw, SAME, "request-percentage-mirror")
        for path, percent, modify in (("/percent-mirror", 20, False), ("/percent-mirror-fraction", 50, False),
                                      ("/percent-mirror-and-modify-headers", 35, True)):
            total, p = 500, percent / 100
            margin = 3 * (total * p * (1 - p)) ** 0.5
            counts = []
            for _ in range(5):
                counts.append(_mirrored_share(gw, path, modify, total))
                if abs(counts[-1] - total * p) <= margin:
                    break
            else:
                raise AssertionError(f"{path}: mirrored {counts} of {total}, want {total * p} +- {margin:.0f}")
