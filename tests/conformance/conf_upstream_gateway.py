"""The objects of the upstream v1.6.1 Gateway-level tests (test_upstream_gateway_*.py), upstream names.

Upstream applies a test's manifests before it and deletes them after, so tests never see each other's
ReferenceGrants or routes of the same name; here each test applies its manifest the same way
(`Harness.applied`). Every Gateway gets its own loopback address (conf_upstream.UPSTREAM_ADDRESSES).
"""
from __future__ import annotations

from conf_infra import APP, INFRA, WEB
from conf_routes import route
from conf_upstream import VALIDITY_CERT, gateway

CERTIFICATE = "certificate"  # the base fixtures' Secret in gateway-conformance-web-backend, made by the harness
_ALL = "allowedRoutes: {namespaces: {from: All}}"
_INFRA_ONLY = ("allowedRoutes: {kinds: [{kind: HTTPRoute}], namespaces: {from: Selector, selector: "
               "{matchLabels: {kubernetes.io/metadata.name: " + INFRA + "}}}}")
_V1 = "  rules:\n  - backendRefs: [{name: infra-backend-v1, port: 8080}]\n"


def _tls(name: str, group: str = '""', kind: str = "Secret", namespace: str = INFRA) -> str:
    return f"tls: {{certificateRefs: [{{group: {group}, kind: {kind}, name: {name}, namespace: {namespace}}}]}}"


def _parent(gw: str, section: str | None = None) -> str:
    extra = f", sectionName: {section}" if section else ""
    return f"parentRefs: [{{kind: Gateway, name: {gw}, namespace: {INFRA}{extra}}}]"


def grant(name: str, namespace: str, from_: str, to: str) -> str:
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  from: [{from_}]
  to: [{to}]
---
"""


_FROM_INFRA_GATEWAYS = f"{{group: gateway.networking.k8s.io, kind: Gateway, namespace: {INFRA}}}"

LISTENER_UNSUPPORTED_PROTOCOL = (
    gateway("gateway-only-unsupported-protocols", [("invalid", 1111, "INVALID", None)])
    + gateway("gateway-supported-and-unsupported-protocols",
              [("http", 80, "HTTP", None), ("invalid", 1111, "INVALID", None)])
)

INVALID_ROUTE_KIND = (
    gateway("gateway-only-invalid-route-kind",
            [("http", 80, "HTTP", None, "allowedRoutes: {namespaces: {from: All}, kinds: [{kind: InvalidRoute}]}")])
    + gateway("gateway-supported-and-invalid-route-kind", [(
        "http", 80, "HTTP", None,
        "allowedRoutes: {namespaces: {from: All}, kinds: [{kind: InvalidRoute}, {kind: HTTPRoute}]}")])
)

INVALID_TLS_CONFIGURATION = (
    gateway("gateway-certificate-nonexistent-secret",
            [("https", 443, "HTTPS", None, _ALL, _tls("nonexistent-certificate"))])
    + gateway("gateway-certificate-unsupported-group",
              [("https", 443, "HTTPS", None, _ALL, _tls(VALIDITY_CERT, group="wrong.group.company.io"))])
    + gateway("gateway-certificate-unsupported-kind",
              [("https", 443, "HTTPS", None, _ALL, _tls(VALIDITY_CERT, kind="WrongKind"))])
    + gateway("gateway-certificate-malformed-secret",
              [("https", 443, "HTTPS", None, _ALL, _tls("malformed-certificate"))])
    # base64 of "Hello world": no PEM, and the certificate and the key are the same bytes
    + f"""\
apiVersion: v1
kind: Secret
metadata: {{name: malformed-certificate, namespace: {INFRA}}}
type: kubernetes.io/tls
data: {{tls.crt: SGVsbG8gd29ybGQK, tls.key: SGVsbG8gd29ybGQK}}
---
"""
)


def _secret_gateway(name: str) -> str:
    return gateway(name, [("https", 443, "HTTPS", None, _ALL, _tls(CERTIFICATE, namespace=WEB))])


SECRET_MISSING_REFERENCE_GRANT = _secret_gateway("gateway-secret-missing-reference-grant")
SECRET_INVALID_REFERENCE_GRANT = _secret_gateway("gateway-secret-invalid-reference-grant") + "".join(
    grant(name, ns, from_, to) for name, ns, from_, to in (
        ("reference-grant-wrong-namespace", APP, _FROM_INFRA_GATEWAYS, '{group: "", kind: Secret, name: certificate}'),
        ("reference-grant-wrong-from-group", WEB,
         f"{{group: not-the-group-youre-looking-for, kind: Gateway, namespace: {INFRA}}}",
         '{group: "", kind: Secret, name: certificate}'),
        ("reference-grant-wrong-from-kind", WEB,
         f"{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: {INFRA}}}",
         '{group: "", kind: Secret, name: certificate}'),
        ("reference-grant-wrong-from-namespace", WEB,
         "{group: gateway.networking.k8s.io, kind: Gateway, namespace: not-the-namespace-youre-looking-for}",
         '{group: "", kind: Secret, name: certificate}'),
        ("reference-grant-wrong-to-group", WEB, _FROM_INFRA_GATEWAYS,
         "{group: not-the-group-youre-looking-for, kind: Secret, name: not-the-certificate-youre-looking-for}"),
        ("reference-grant-wrong-to-kind", WEB, _FROM_INFRA_GATEWAYS, '{group: "", kind: Service, name: certificate}'),
        ("reference-grant-wrong-to-name", WEB, _FROM_INFRA_GATEWAYS,
         '{group: "", kind: Secret, name: not-the-certificate-youre-looking-for}'),
    ))
SECRET_REFERENCE_GRANT_ALL_IN_NAMESPACE = (
    _secret_gateway("gateway-secret-reference-grant-all-in-namespace")
    + grant("reference-grant-all-in-namespace", WEB, _FROM_INFRA_GATEWAYS, '{group: "", kind: Secret}'))
SECRET_REFERENCE_GRANT_SPECIFIC = (
    _secret_gateway("gateway-secret-reference-grant-specific")
    + grant("reference-grant-specific", WEB, _FROM_INFRA_GATEWAYS, '{group: "", kind: Secret, name: certificate}'))

WITH_ATTACHED_ROUTES = (
    gateway("gateway-with-one-attached-route", [("http", 80, "HTTP", None, _INFRA_ONLY)])
    + route("http-route-1", _V1, parent=_parent("gateway-with-one-attached-route"))
    + gateway("gateway-with-two-attached-routes", [("http", 80, "HTTP", "foo.example.com", _INFRA_ONLY)])
    + route("http-route-2", _V1, parent=_parent("gateway-with-two-attached-routes"))
    + route("http-route-3", _V1, parent=_parent("gateway-with-two-attached-routes"))
    + route("http-route-not-accepted", "  hostnames: [not-accepted.test.com]\n" + _V1,
            parent=_parent("gateway-with-two-attached-routes"))
    + gateway("unresolved-gateway-with-one-attached-unresolved-route", [
        ("tls", 443, "HTTPS", None, _INFRA_ONLY,
         'tls: {certificateRefs: [{group: "", kind: Secret, name: does-not-exist}], mode: Terminate}')])
    + route("http-route-4", "  rules:\n  - backendRefs: [{name: does-not-exist, port: 8080}]\n",
            parent=_parent("unresolved-gateway-with-one-attached-unresolved-route", "tls"))
)
WITH_ATTACHED_ROUTES_WITH_PORT_8080 = (
    gateway("gateway-with-two-listeners-and-one-attached-route", [
        ("http-unattached", 8080, "HTTP", None, "allowedRoutes: {kinds: [{kind: HTTPRoute}], namespaces: {from: All}}"),
        ("http", 80, "HTTP", None, "allowedRoutes: {kinds: [{kind: HTTPRoute}], namespaces: {from: All}}")])
    + route("http-route-4-port-8080", _V1, parent=_parent("gateway-with-two-listeners-and-one-attached-route", "http"))
)

_SECURE = ("https", 443, "HTTPS", "secure.test.com", _ALL, _tls(VALIDITY_CERT))
_DATA = ("http", 80, "HTTP", "data.test.com", _ALL)
ADD_LISTENER = (gateway("gateway-add-listener", [_SECURE])
                + route("http-route-1", _V1, parent=_parent("gateway-add-listener")))
ADD_LISTENER_ADDED = (gateway("gateway-add-listener", [_SECURE, _DATA], generation=2)
                      + route("http-route-1", _V1, parent=_parent("gateway-add-listener")))
REMOVE_LISTENER = (gateway("gateway-remove-listener", [_SECURE, ("http", 80, "HTTP", None, _ALL)])
                   + route("http-route-2", _V1, parent=_parent("gateway-remove-listener")))
REMOVE_LISTENER_REMOVED = (gateway("gateway-remove-listener", [("http", 80, "HTTP", None, _ALL)], generation=2)
                           + route("http-route-2", _V1, parent=_parent("gateway-remove-listener")))

_BAR = ("http", 80, "HTTP", "bar.com", _ALL)
OBSERVED_GENERATION_BUMP = gateway("gateway-observed-generation-bump", [_BAR])
OBSERVED_GENERATION_BUMPED = gateway("gateway-observed-generation-bump",
                                     [_BAR, ("alternate", 80, "HTTP", "foo.com", _ALL)], generation=2)


def gateway_class(description: str, generation: int) -> str:
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: gatewayclass-observed-generation-bump, generation: {generation}}}
spec: {{controllerName: kgateway.dev/kgateway, description: {description}}}
---
"""


# Every manifest the Gateway-level tests may apply: the harness picks a port offset free for all of them.
ALL_MANIFESTS = [
    LISTENER_UNSUPPORTED_PROTOCOL, INVALID_ROUTE_KIND, INVALID_TLS_CONFIGURATION, SECRET_MISSING_REFERENCE_GRANT,
    SECRET_INVALID_REFERENCE_GRANT, SECRET_REFERENCE_GRANT_ALL_IN_NAMESPACE, SECRET_REFERENCE_GRANT_SPECIFIC,
    WITH_ATTACHED_ROUTES, WITH_ATTACHED_ROUTES_WITH_PORT_8080, ADD_LISTENER_ADDED, REMOVE_LISTENER,
    OBSERVED_GENERATION_BUMPED,
]
