"""The objects the upstream v1.6.1 tests named in tests/conformance/test_upstream_*.py apply, with the
upstream names (Gateways, listeners, routes, paths), written in this harness's style.

Upstream gives every Gateway its own address; here each gets a loopback address of its own (UPSTREAM_ADDRESSES),
except `gateway-invalid-parameters-ref`, kept exactly as upstream: it must be rejected, so it binds nothing.
"""
from __future__ import annotations

from conf_infra import INFRA
from conf_routes import route

UPSTREAM_ADDRESSES = {
    "same-namespace": "127.0.0.11",
    "same-namespace-with-https-listener": "127.0.0.12",
    "same-namespace-with-http-listener-on-8080": "127.0.0.13",
    "httproute-hostname-intersection": "127.0.0.14",
    "httproute-hostname-intersection-all": "127.0.0.15",
    "httproute-listener-port-matching": "127.0.0.16",
    # Gateways applied only while their test runs (conf_upstream_gateway.py)
    "gateway-supported-and-unsupported-protocols": "127.0.0.20",
    "gateway-only-invalid-route-kind": "127.0.0.21",
    "gateway-supported-and-invalid-route-kind": "127.0.0.22",
    "gateway-with-one-attached-route": "127.0.0.23",
    "gateway-with-two-attached-routes": "127.0.0.24",
    "unresolved-gateway-with-one-attached-unresolved-route": "127.0.0.25",
    "gateway-with-two-listeners-and-one-attached-route": "127.0.0.26",
    "gateway-add-listener": "127.0.0.27",
    "gateway-remove-listener": "127.0.0.28",
    "gateway-observed-generation-bump": "127.0.0.29",
    "gateway-secret-reference-grant-all-in-namespace": "127.0.0.30",
    "gateway-secret-reference-grant-specific": "127.0.0.31",
    "gateway-secret-invalid-reference-grant": "127.0.0.32",
    "gateway-secret-missing-reference-grant": "127.0.0.33",
    **{f"gateway-certificate-{n}": f"127.0.0.{34 + i}"
       for i, n in enumerate(("nonexistent-secret", "unsupported-group", "unsupported-kind", "malformed-secret"))},
    "gateway-only-unsupported-protocols": "127.0.0.38",
    # ListenerSet tests (conf_upstream_listenerset.py)
    **{name: f"127.0.0.{40 + i}" for i, name in enumerate((
        "gateway-does-not-allow-listenerset", "gateway-default-does-not-allow-listenerset",
        "gateway-allows-listenerset-in-same-namespace", "gateway-allows-listenerset-in-selected-namespace",
        "gateway-with-listener-sets-test-allowed-routes", "gateway-with-listener-sets-test-supported-route-kinds",
        "gateway-dual-parentref", "gateway-section-name", "gateway-with-listenerset-hostname-conflict",
        "gateway-with-listenerset-protocol-conflict", "gateway-with-listener-sets-http-routing",
        "gateway-with-listener-sets-test-reference-grant", "gateway-parentref"))},
    # TLS tests (conf_upstream_tls.py) and the remaining Gateway-level ones
    **{name: f"127.0.0.{70 + i}" for i, name in enumerate((
        "invalid-default-client-validation-config", "client-validation-default", "client-validation-insecure-fallback",
        "gateway-with-invalid-client-cert-validation", "gateway-tls-backend-client-certificate",
        "gateway-client-certificate-nonexistent-secret", "gateway-client-certificate-unsupported-group",
        "gateway-client-certificate-unsupported-kind", "gateway-client-certificate-malformed-secret",
        "gateway-client-certificate-missing-reference-grant", "gateway-with-infrastructure-metadata",
        "address-holder", "http-listener-isolation", "http-listener-isolation-with-hostname-intersection"))},
    # HTTPRoute and GRPCRoute tests (conf_upstream_httproute.py, conf_upstream_grpcroute.py)
    **{name: f"127.0.1.{10 + i}" for i, name in enumerate((
        "all-namespaces", "backend-namespaces", "tlsroutes-only",
        "gateway-with-one-not-matching-port-and-section-name-route", "httproute-listener-hostname-matching",
        "grpcroute-listener-hostname-matching"))},
}
VALIDITY_CERT = "tls-validity-checks-certificate"  # the base fixtures' Secret, made by the harness
# as upstream (suite.go: "*", "*.org", "*.wildcard.org"), named hosts kept for clients that check them first
VALIDITY_HOSTS = ["example.org", "second-example.org", "*.org", "*.wildcard.org"]

_SAME = "allowedRoutes: {namespaces: {from: Same}}"
_TLS = f"tls: {{certificateRefs: [{{group: \"\", kind: Secret, name: {VALIDITY_CERT}, namespace: {INFRA}}}]}}"


def gateway(name: str, listeners: list[tuple], extra: str = "", generation: int = 1) -> str:
    """listeners: (name, port, protocol, hostname or None, YAML flow lines); `extra`: more spec lines."""
    address = UPSTREAM_ADDRESSES.get(name)
    out = f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: {name}, namespace: {INFRA}, generation: {generation}}}
spec:
  gatewayClassName: kgw-conformance
"""
    if address:
        out += f"  addresses: [{{type: IPAddress, value: {address}}}]\n"
    return out + extra + "  listeners:\n" + listeners_yaml(listeners) + "---\n"


def listeners_yaml(listeners: list[tuple]) -> str:
    """The items of a `listeners` list (a Gateway's or a ListenerSet's), each (name, port, protocol, hostname
    or None, YAML flow lines)."""
    out = ""
    for ls_name, port, protocol, hostname, *lines in listeners:
        out += f"  - name: {ls_name}\n    port: {port}\n    protocol: {protocol}\n"
        if hostname:
            out += f'    hostname: "{hostname}"\n'
        out += "".join(f"    {line}\n" for line in lines)
    return out


def _parent(gw: str, **kw) -> str:
    extra = "".join(f", {k}: {v}" for k, v in kw.items())
    return f"parentRefs: [{{name: {gw}, namespace: {INFRA}{extra}}}]"


def _prefix_rules(rules: list[tuple[str, str]]) -> str:
    """(path prefix, YAML flow of the rule's filters or backendRefs line) per rule."""
    return "  rules:\n" + "".join(
        f"  - matches: [{{path: {{type: PathPrefix, value: {path}}}}}]\n    {rest}\n" for path, rest in rules)


def _redirect(**fields) -> str:
    inner = ", ".join(f"{k}: {v}" for k, v in fields.items())
    return f"filters: [{{type: RequestRedirect, requestRedirect: {{{inner}}}}}]"


def _backend(name: str) -> str:
    return f"backendRefs: [{{name: {name}, port: 8080}}]"


BASE_GATEWAYS = (
    gateway("same-namespace", [("http", 80, "HTTP", None, _SAME)])
    + gateway("same-namespace-with-https-listener", [
        ("https", 443, "HTTPS", None, _SAME, _TLS),
        ("https-with-hostname", 443, "HTTPS", "second-example.org", _SAME, _TLS),
        ("https-with-wildcard-hostname", 443, "HTTPS", "*.wildcard.org", _SAME, _TLS),
        ("https-with-hostname-matching-wildcard", 443, "HTTPS", "fourth-example.wildcard.org", _SAME, _TLS),
    ])
    + gateway("all-namespaces", [("http", 80, "HTTP", None, "allowedRoutes: {namespaces: {from: All}}")])
    + gateway("backend-namespaces", [("http", 80, "HTTP", None, "allowedRoutes: {namespaces: {from: Selector, "
                                      "selector: {matchLabels: {gateway-conformance: backend}}}}")])
)

HOSTNAME_INTERSECTION = (
    gateway("httproute-hostname-intersection", [
        ("listener-1", 80, "HTTP", "very.specific.com", _SAME),
        ("listener-2", 80, "HTTP", "*.wildcard.io", _SAME),
        ("listener-3", 80, "HTTP", "*.anotherwildcard.io", _SAME),
    ])
    + gateway("httproute-hostname-intersection-all", [("listener-1", 80, "HTTP", None, _SAME)])
    + "".join(
        route(name, f"  hostnames: {hosts}\n" + _prefix_rules([(path, _backend(backend))]),
              parent=_parent("httproute-hostname-intersection"))
        for name, hosts, path, backend in (
            ("specific-host-matches-listener-specific-host",
             '[non.matching.com, "*.nonmatchingwildcard.io", very.specific.com]', "/s1", "infra-backend-v1"),
            ("specific-host-matches-listener-wildcard-host",
             "[non.matching.com, wildcard.io, foo.wildcard.io, bar.wildcard.io, foo.bar.wildcard.io]", "/s2",
             "infra-backend-v2"),
            ("wildcard-host-matches-listener-specific-host", '[non.matching.com, "*.specific.com"]', "/s3",
             "infra-backend-v3"),
            ("wildcard-host-matches-listener-wildcard-host", '["*.anotherwildcard.io"]', "/s4", "infra-backend-v1"),
            ("no-intersecting-hosts", "[specific.but.wrong.com, wildcard.io]", "/s5", "infra-backend-v2"),
        ))
    + route("httproute-hostname-intersection-all", """\
  hostnames: [first.com, sub.first.com, second.com, sub.second.com]
  rules:
  - backendRefs: [{name: infra-backend-v2, port: 8080}]
""", parent=_parent("httproute-hostname-intersection-all"))
)

LISTENER_PORT_MATCHING = (
    gateway("httproute-listener-port-matching", [
        ("listener-1", 80, "HTTP", "foo.com", _SAME),
        ("listener-2", 8080, "HTTP", "foo.com", _SAME),
        ("listener-3", 8080, "HTTP", "bar.com", _SAME),
        ("listener-4", 8090, "HTTP", "foo.com", _SAME),
        ("listener-5", 8090, "HTTP", "bar.com", _SAME),
    ])
    + route("backend-v1", "  rules:\n  - " + _backend("infra-backend-v1") + "\n",
            parent=_parent("httproute-listener-port-matching", port=80))
    + route("backend-v2", "  rules:\n  - " + _backend("infra-backend-v2") + "\n",
            parent=_parent("httproute-listener-port-matching", port=8080))
    + route("backend-v3", "  rules:\n  - " + _backend("infra-backend-v3") + "\n",
            parent=_parent("httproute-listener-port-matching", port=8090, sectionName="listener-4"))
)

_CORS_1 = """\
    - type: CORS
      cors:
        allowOrigins: ["https://www.foo.com", "https://*.bar.com"]
        allowMethods: [GET, OPTIONS]
        allowHeaders: [x-header-1, x-header-2]
        exposeHeaders: [x-header-3, x-header-4]
        allowCredentials: true
        maxAge: 3600
"""


def _cors_rule(path: str, cors: str) -> str:
    return (f"  - matches: [{{path: {{type: PathPrefix, value: {path}}}}}]\n    filters:\n{cors}"
            f"    {_backend('infra-backend-v1')}\n")


def _cors(origins: str, methods: str, extra: str = "") -> str:
    return f"    - type: CORS\n      cors: {{allowOrigins: {origins}, allowMethods: {methods}{extra}}}\n"


CORS = (
    route("cors-multiple-origins-methods-headers", "  rules:\n" + _cors_rule("/cors-1", _CORS_1),
          parent=_parent("same-namespace"))
    + route("cors-wildcard-methods", "  rules:\n" + _cors_rule("/cors-2", _cors('["https://www.foo.com"]', '["*"]')),
            parent=_parent("same-namespace"))
    + route("cors-wildcard-origin", "  rules:\n" + _cors_rule(
        "/cors-wildcard-origin", _cors('["*"]', "[PUT]", ", allowCredentials: false")),
        parent=_parent("same-namespace"))
    + route("cors-wildcard-methods-headers", "  rules:\n"
            + _cors_rule("/cors-wildcard-methods-headers",
                         _cors('["*"]', '["*"]', ', allowHeaders: ["*"], allowCredentials: true'))
            + _cors_rule("/cors-wildcard-methods-headers-unauth",
                         _cors('["*"]', '["*"]', ', allowHeaders: ["*"], allowCredentials: false')),
            parent=_parent("same-namespace"))
)

REDIRECT_8080_GATEWAY = gateway("same-namespace-with-http-listener-on-8080", [("http", 8080, "HTTP", None, _SAME)])
REDIRECT_PORT_AND_SCHEME = (
    route("http-route-for-listener-on-port-80", _prefix_rules([
        ("/scheme-nil-and-port-nil", _redirect(hostname="example.org")),
        ("/scheme-nil-and-port-80", _redirect(port=80, hostname="example.org")),
        ("/scheme-nil-and-port-8080", _redirect(port=8080, hostname="example.org")),
        ("/scheme-https-and-port-nil", _redirect(scheme="https", hostname="example.org")),
        ("/scheme-https-and-port-443", _redirect(scheme="https", port=443, hostname="example.org")),
        ("/scheme-https-and-port-8443", _redirect(scheme="https", port=8443, hostname="example.org")),
    ]), parent=_parent("same-namespace"))
    + route("http-route-for-listener-on-port-8080", _prefix_rules([
        ("/scheme-nil-and-port-nil", _redirect(hostname="example.org")),
        ("/scheme-nil-and-port-80", _redirect(port=80, hostname="example.org")),
        ("/scheme-https-and-port-nil", _redirect(scheme="https", hostname="example.org")),
    ]), parent=_parent("same-namespace-with-http-listener-on-8080"))
    + route("http-route-for-listener-on-port-443", _prefix_rules([
        ("/scheme-nil-and-port-nil", _redirect(hostname="example.org")),
        ("/scheme-nil-and-port-443", _redirect(port=443, hostname="example.org")),
        ("/scheme-nil-and-port-8443", _redirect(port=8443, hostname="example.org")),
        ("/scheme-http-and-port-nil", _redirect(scheme="http", hostname="example.org")),
        ("/scheme-http-and-port-80", _redirect(scheme="http", port=80, hostname="example.org")),
        ("/scheme-http-and-port-8080", _redirect(scheme="http", port=8080, hostname="example.org")),
    ]), parent=_parent("same-namespace-with-https-listener"))
)

RETRY = route("retries", """\
  rules:
  - matches: [{path: {type: PathPrefix, value: /retry/code-500-attempts-3}}]
    retry: {codes: [500], attempts: 3}
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /retry/code-all-attempts-2}}]
    retry: {codes: [500, 502, 503, 504], attempts: 2}
    backendRefs: [{name: infra-backend-v3, port: 8080}]
""", parent=_parent("same-namespace"))

INVALID_PARAMETERS_REF = gateway(
    "gateway-invalid-parameters-ref", [("http", 80, "HTTP", None)],
    extra="  infrastructure:\n    parametersRef: {group: invalid.io, kind: InvalidParameters, name: invalid}\n")

UPSTREAM_MANIFESTS = {
    "upstream-base-gateways.yaml": BASE_GATEWAYS + REDIRECT_8080_GATEWAY,
    "upstream-httproute-hostname-intersection.yaml": HOSTNAME_INTERSECTION,
    "upstream-httproute-listener-port-matching.yaml": LISTENER_PORT_MATCHING,
    "upstream-gateway-invalid-parameters-ref.yaml": INVALID_PARAMETERS_REF,
}
# The routes of CORS, RedirectPortAndScheme and Retry are on the base Gateways, so, as upstream, they exist
# only while their test module runs (a module-scoped `Harness.applied`): other tests count the routes
# attached to `same-namespace`. RETRY has fields of the experimental channel: the cluster tier's API server
# serves the standard-channel CRDs, which refuse them, so it is applied in `kgw up` only.
