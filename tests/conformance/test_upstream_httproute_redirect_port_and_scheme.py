"""Upstream v1.6.1 `HTTPRouteRedirectPortAndScheme`: the spec's port rules for RequestRedirect on HTTP listeners on
80 and 8080 and an HTTPS listener on 443 (Gateways same-namespace, same-namespace-with-http-listener-on-8080,
same-namespace-with-https-listener). Its HTTPS Gateway has four listeners on one port, one of them a wildcard:
Envoy must accept their route tables (this Gateway once made kgw push one with `*` twice).

Requests carry the Host a client sends to the bound address and port (with the port), as the upstream suite's do.
Every expected Location leaves out a port that is the scheme's default, as the spec asks."""
import pytest
from conf_upstream import REDIRECT_PORT_AND_SCHEME, UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
HTTP_80, HTTP_8080, HTTPS_443 = (UPSTREAM_ADDRESSES[g] for g in (
    "same-namespace", "same-namespace-with-http-listener-on-8080", "same-namespace-with-https-listener"))

ON_80 = [
    ("/scheme-nil-and-port-nil", "http://example.org"),
    ("/scheme-nil-and-port-80", "http://example.org"),
    ("/scheme-nil-and-port-8080", "http://example.org:8080"),
    ("/scheme-https-and-port-nil", "https://example.org"),
    ("/scheme-https-and-port-443", "https://example.org"),
    ("/scheme-https-and-port-8443", "https://example.org:8443"),
]
ON_8080 = [
    ("/scheme-nil-and-port-nil", "http://example.org:8080"),  # the listener's (declared) port
    ("/scheme-nil-and-port-80", "http://example.org"),
    ("/scheme-https-and-port-nil", "https://example.org"),
]
ON_443 = [
    ("/scheme-nil-and-port-nil", "https://example.org"),
    ("/scheme-nil-and-port-443", "https://example.org"),
    ("/scheme-nil-and-port-8443", "https://example.org:8443"),
    ("/scheme-http-and-port-nil", "http://example.org"),
    ("/scheme-http-and-port-80", "http://example.org"),
    ("/scheme-http-and-port-8080", "http://example.org:8080"),
]


@pytest.fixture(scope="module", autouse=True)
def _routes(gw):
    with gw.applied("upstream-httproute-redirect-port-and-scheme.yaml", REDIRECT_PORT_AND_SCHEME):
        yield


@pytest.mark.parametrize("address,port,path,location", [
    *((HTTP_80, 80, p, loc) for p, loc in ON_80), *((HTTP_8080, 8080, p, loc) for p, loc in ON_8080)],
    ids=lambda v: str(v) if isinstance(v, str) and v.startswith("/") else "")
def test_HTTPRouteRedirectPortAndScheme_http(gw, address, port, path, location):
    resp = gw.request(f"{address}:{gw.port(port)}", path, port=port, address=address)
    assert (resp.status, resp.headers.get("location")) == (302, location + path), resp.headers


@pytest.mark.parametrize("path,location", ON_443, ids=[p for p, _ in ON_443])
def test_HTTPRouteRedirectPortAndScheme_https(gw, path, location):
    resp = gw.https("example.org", "example.org", path, address=HTTPS_443)
    assert (resp.status, resp.headers.get("location")) == (302, location + path), resp.headers


def test_HTTPRouteRedirectPortAndScheme_https_gateway_is_programmed(gw):
    status = gw.status_of("Gateway", "gateway-conformance-infra", "same-namespace-with-https-listener")
    assert {c["type"]: c["status"] for c in status["conditions"]} == {"Accepted": "True", "Programmed": "True"}
    # the wildcard listener's chain serves its own names and answers 421 for the others
    assert gw.https("x.wildcard.org", "x.wildcard.org", "/scheme-nil-and-port-nil",
                    address=HTTPS_443).headers.get("location") == "https://example.org/scheme-nil-and-port-nil"
    assert gw.https("x.wildcard.org", "example.org", "/scheme-nil-and-port-nil", address=HTTPS_443).status == 421
