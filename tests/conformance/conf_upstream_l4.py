"""The objects of the upstream v1.6.1 tcproute-*, tlsroute-* and udproute-* tests, upstream names (Gateways,
listeners, routes, Services, ReferenceGrants), written in this harness's style. Each test applies its manifest
only while it runs (`Harness.applied`), as the upstream suite does; every Gateway gets a loopback address of
its own (L4_ADDRESSES). Backend Deployments are the echo servers of conf_l4.py.
"""
from __future__ import annotations

from conf_infra import APP, INFRA, WEB
from conf_l4 import TERMINATE_CERT
from conf_routes import route
from conf_upstream import VALIDITY_CERT, gateway

_GATEWAYS = [
    # TCPRoute
    "tcp-gateway-invalid-backend", "tcp-invalid-cross-namespace-backend-ref-gateway", "tcp-mixed-protocol-gateway",
    "tcp-multi-route-attach-gateway", "tcp-attach-all-gateway", "tcp-multi-listener-gateway",
    "tcp-reference-grant-gateway", "tcp-weighted-gateway",
    # TLSRoute
    "gw-tlsroute-exact-hostname-x-1", "gw-tlsroute-more-specific-wc-hostname-x-2",
    "gw-tlsroute-less-specific-wc-hostname-x-3", "gw-tlsroute-empty-hostname-x-4",
    "gateway-tlsroute-invalid-backend-ref-nonexistent", "gateway-tlsroute-invalid-backend-ref-unknown-kind",
    "gateway-tls-exact-hostname", "gateway-tls-wildcard-hostname", "gateway-tlsroute-tls-passthrough-only",
    "gateway-tlsroute-http-only", "gateway-tlsroute-https-only", "gateway-tlsroute-referencegrant",
    "gateway-tlsroute-mixed-termination-not-supported", "gateway-tlsroute-passthrough-supported-kind",
    "gateway-tlsroute-terminate-unsupported", "gateway-tlsroute-terminate-supported",
    "gateway-tlsroute-mixed-termination", "gateway-tlsroute", "gateway-tlsroute-terminate",
    # UDPRoute
    "udp-gateway-invalid-backend", "udp-gateway-invalid-cross-namespace-backend-ref",
    "udp-multi-route-attach-gateway", "udproute-tls-only-gateway", "udp-attach-all-listeners-gateway",
    "udp-multi-listener-gateway", "udp-gateway-reference-grant", "udp-gateway", "udp-weighted-gateway",
]
L4_ADDRESSES = {name: f"127.0.3.{i + 1}" for i, name in enumerate(_GATEWAYS)}

_TCP_ONLY = "allowedRoutes: {kinds: [{kind: TCPRoute}]}"
_UDP_ONLY = "allowedRoutes: {kinds: [{kind: UDPRoute}]}"
_TLS_SAME = "allowedRoutes: {kinds: [{kind: TLSRoute}], namespaces: {from: Same}}"
_SAME = "allowedRoutes: {namespaces: {from: Same}}"
_PASSTHROUGH = "tls: {mode: Passthrough}"
_TERMINATE = f"tls: {{mode: Terminate, certificateRefs: [{{name: {TERMINATE_CERT}}}]}}"


def gw(name: str, listeners: list[tuple]) -> str:
    return gateway(name, listeners, extra=f"  addresses: [{{type: IPAddress, value: {L4_ADDRESSES[name]}}}]\n")


def _parent(gateway_name: str, **kw) -> str:
    extra = "".join(f", {k}: {v}" for k, v in kw.items())
    return f"parentRefs: [{{name: {gateway_name}{extra}}}]"


def _rule(*backends: str, hostnames: str = "") -> str:
    head = f"  hostnames: {hostnames}\n" if hostnames else ""
    return head + "  rules:\n  - backendRefs: [" + ", ".join(backends) + "]\n"


def tcp(name: str, body: str, parent: str, created: str | None = None) -> str:
    return _with_created(route(name, body, kind="TCPRoute", parent=parent), created)


def tls(name: str, body: str, parent: str) -> str:
    return route(name, body, kind="TLSRoute", parent=parent)


def udp(name: str, body: str, parent: str, created: str | None = None) -> str:
    return _with_created(route(name, body, kind="UDPRoute", parent=parent), created)


def _with_created(text: str, created: str | None) -> str:
    """`kgw up` reads creationTimestamp from the file (the API server sets its own, which the test spaces by 1 s)."""
    if created is None:
        return text
    return text.replace(f"namespace: {INFRA}}}", f"namespace: {INFRA}, creationTimestamp: '{created}'}}", 1)


def grant(name: str, namespace: str, from_kind: str, from_ns: str, to: str) -> str:
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  from: [{{group: gateway.networking.k8s.io, kind: {from_kind}, namespace: {from_ns}}}]
  to: [{to}]
---
"""


OLDER, NEWER = "2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z"

# --- TCPRoute ------------------------------------------------------------------------------------------------------
TCP_INVALID_BACKEND = (
    gw("tcp-gateway-invalid-backend", [("tcp", 9300, "TCP", None, _TCP_ONLY)])
    + tcp("tcp-route-invalid-backend-ref-nonexistent", _rule("{name: nonexistent-service, port: 8080}"),
          _parent("tcp-gateway-invalid-backend", sectionName="tcp")))
TCP_INVALID_CROSS_NAMESPACE = (
    gw("tcp-invalid-cross-namespace-backend-ref-gateway", [("tcp", 9321, "TCP", None, _TCP_ONLY)])
    + tcp("tcp-invalid-cross-namespace-backend-ref",
          _rule(f"{{name: tcp-invalid-xns-backend, namespace: {WEB}, port: 3000}}"),
          _parent("tcp-invalid-cross-namespace-backend-ref-gateway", sectionName="tcp")))
TCP_NON_TCP_LISTENER = (
    gw("tcp-mixed-protocol-gateway", [("only-allow-http-routes", 5300, "HTTP", None,
                                       "allowedRoutes: {kinds: [{kind: HTTPRoute}]}")])
    + tcp("tcp-route", _rule("{name: tcp-echo-backend, port: 8080}"),
          _parent("tcp-mixed-protocol-gateway", sectionName="only-allow-http-routes")))
TCP_MULTIPLE_ROUTES = (
    gw("tcp-multi-route-attach-gateway", [(
        "tcp", 9310, "TCP", None,
        "allowedRoutes: {kinds: [{kind: TCPRoute, group: gateway.networking.k8s.io}], namespaces: {from: Same}}")])
    + tcp("tcproute-attach-older", _rule("{name: tcp-attach-backend-1, port: 3000}"),
          _parent("tcp-multi-route-attach-gateway", sectionName="tcp"), OLDER))
TCP_MULTIPLE_ROUTES_NEWER = tcp("tcproute-attach-newer", _rule("{name: tcp-attach-backend-2, port: 3000}"),
                                _parent("tcp-multi-route-attach-gateway", sectionName="tcp"), NEWER)
TCP_ATTACH_ALL = (
    gw("tcp-attach-all-gateway", [(n, 9310 + i, "TCP", None, _TCP_ONLY)
                                  for i, n in enumerate(("one", "two", "three", "four"))])
    + tcp("tcp-route-attach-all", _rule("{name: tcp-echo-attach-all, port: 3000}"), _parent("tcp-attach-all-gateway")))
TCP_PORT_AND_SECTION = (
    gw("tcp-multi-listener-gateway", [(n, 9300 + i, "TCP", None, _TCP_ONLY)
                                      for i, n in enumerate(("one", "two", "three"))])
    + tcp("tcp-route-by-port", _rule("{name: tcp-echo-one, port: 3000}"),
          _parent("tcp-multi-listener-gateway", port=9300))
    + tcp("tcp-route-by-section", _rule("{name: tcp-echo-two, port: 3000}"),
          _parent("tcp-multi-listener-gateway", sectionName="two"))
    + tcp("tcp-route-by-section-and-port", _rule("{name: tcp-echo-three, port: 3000}"),
          _parent("tcp-multi-listener-gateway", sectionName="three", port=9302)))
TCP_REFERENCE_GRANT_ONLY = grant("tcp-reference-grant", WEB, "TCPRoute", INFRA,
                                 '{group: "", kind: Service, name: tcp-reference-grant-backend}')
TCP_REFERENCE_GRANT = (
    gw("tcp-reference-grant-gateway", [("tcp", 9320, "TCP", None, _TCP_ONLY)])
    + tcp("tcp-reference-grant", _rule(f"{{name: tcp-reference-grant-backend, namespace: {WEB}, port: 3000}}"),
          _parent("tcp-reference-grant-gateway", sectionName="tcp")))
TCP_WEIGHTED = (
    gw("tcp-weighted-gateway", [("tcp", 9300, "TCP", None, _TCP_ONLY)])
    + tcp("tcp-weighted-route", _rule("{name: tcp-backend-v1, port: 3000, weight: 70}",
                                      "{name: tcp-backend-v2, port: 3000, weight: 30}",
                                      "{name: tcp-backend-v3, port: 3000, weight: 0}"),
          _parent("tcp-weighted-gateway", sectionName="tcp")))

# --- TLSRoute ------------------------------------------------------------------------------------------------------
_NS = f"namespace: {INFRA}"


def _tls_gw(name: str, hostname: str | None) -> str:
    listener = {"gw-tlsroute-exact-hostname-x-1": "listener-exact-hostname",
                "gw-tlsroute-more-specific-wc-hostname-x-2": "listener-more-specific-wc-hostname",
                "gw-tlsroute-less-specific-wc-hostname-x-3": "listener-less-specific-wc-hostname",
                "gw-tlsroute-empty-hostname-x-4": "listener-empty-hostname"}[name]
    return gw(name, [(listener, 443, "TLS", hostname, _TLS_SAME, _PASSTHROUGH)])


def _tls_route(name: str, hostnames: str, backend: str, gateway_name: str) -> str:
    return tls(name, _rule(f"{{name: {backend}, port: 443}}", hostnames=hostnames),
               _parent(gateway_name, namespace=INFRA))


TLS_HOSTNAME_INTERSECTION = (
    _tls_gw("gw-tlsroute-exact-hostname-x-1", "abc.example.com")
    + _tls_gw("gw-tlsroute-more-specific-wc-hostname-x-2", "*.example.com")
    + _tls_gw("gw-tlsroute-less-specific-wc-hostname-x-3", "*.com")
    + _tls_gw("gw-tlsroute-empty-hostname-x-4", None)
    + _tls_route("tlsroute-more-specific-wc-hostname-x-1", '["*.example.com"]', "tls-backend",
                 "gw-tlsroute-exact-hostname-x-1")
    + _tls_route("tlsroute-exact-hostname-x-2", "[abc.example.com]", "tls-backend",
                 "gw-tlsroute-more-specific-wc-hostname-x-2")
    + _tls_route("tlsroute-less-specific-wc-hostname-x-2", '["*.com"]', "tls-backend-2",
                 "gw-tlsroute-more-specific-wc-hostname-x-2")
    + _tls_route("tlsroute-exact-hostname-x-3", "[abc.example.com]", "tls-backend",
                 "gw-tlsroute-less-specific-wc-hostname-x-3")
    + _tls_route("tlsroute-more-specific-wc-hostname-x-3", '["*.example.com"]', "tls-backend-2",
                 "gw-tlsroute-less-specific-wc-hostname-x-3")
    + _tls_route("tlsroute-exact-hostname-x-4", "[abc.example.com]", "tls-backend", "gw-tlsroute-empty-hostname-x-4")
    + _tls_route("tlsroute-less-specific-wc-hostname-x-4", '["*.com"]', "tls-backend-2",
                 "gw-tlsroute-empty-hostname-x-4"))
TLS_INVALID_BACKEND = (
    gw("gateway-tlsroute-invalid-backend-ref-nonexistent", [("tls", 443, "TLS", None, _SAME, _PASSTHROUGH)])
    + tls("invalid-backend-ref-nonexistent",
          _rule(f"{{name: nonexistent, {_NS}, port: 443}}", hostnames="[example.com]"),
          _parent("gateway-tlsroute-invalid-backend-ref-nonexistent", namespace=INFRA)))
TLS_UNKNOWN_KIND = (
    gw("gateway-tlsroute-invalid-backend-ref-unknown-kind", [("tls", 443, "TLS", None, _SAME, _PASSTHROUGH)])
    + tls("invalid-backend-ref-unknown-kind",
          _rule("{group: unknownkind.example.com, kind: NonExistent, name: tls-backend, port: 443}",
                hostnames="[example.com]"),
          _parent("gateway-tlsroute-invalid-backend-ref-unknown-kind", namespace=INFRA)))
_TLS_ONLY_SAME = "allowedRoutes: {kinds: [{kind: TLSRoute}], namespaces: {from: Same}}"
TLS_NO_MATCHING_HOSTNAME = (
    gw("gateway-tls-exact-hostname", [("tls", 443, "TLS", "www.example.com", _TLS_ONLY_SAME, _PASSTHROUGH)])
    + gw("gateway-tls-wildcard-hostname", [("tls", 443, "TLS", "*.example.com", _TLS_ONLY_SAME, _PASSTHROUGH)])
    + tls("tlsroute-hostname-mismatch-1",
          _rule("{name: tls-backend, port: 443}", hostnames='[www.nomatch.com, "*.nomatch.com"]'),
          _parent("gateway-tls-exact-hostname"))
    + tls("tlsroute-hostname-mismatch-2",
          _rule("{name: tls-backend, port: 443}", hostnames='[www.different.com, "*.different.com"]'),
          _parent("gateway-tls-wildcard-hostname")))
TLS_NO_MATCHING_LISTENER = (
    gw("gateway-tlsroute-tls-passthrough-only", [("tls-passthrough", 443, "TLS", None, _SAME, _PASSTHROUGH)])
    + gw("gateway-tlsroute-http-only", [("http", 80, "HTTP", None, _SAME)])
    + gw("gateway-tlsroute-https-only", [(
        "https", 443, "HTTPS", None, _SAME,
        f"tls: {{mode: Terminate, certificateRefs: [{{name: {VALIDITY_CERT}, {_NS}}}]}}")])
    + tls("tlsroute-not-allowed-protocol-http", _rule("{name: tls-backend, port: 443}", hostnames="[tls.example.com]"),
          _parent("gateway-tlsroute-http-only"))
    + tls("tlsroute-not-allowed-protocol-https", _rule("{name: tls-backend, port: 443}", hostnames="[tls.example.com]"),
          _parent("gateway-tlsroute-https-only"))
    + tls("tlsroute-no-matching-section-name", _rule("{name: tls-backend, port: 443}", hostnames="[tls.example.com]"),
          _parent("gateway-tlsroute-tls-passthrough-only", sectionName="nonexistent-listener")))
_TO_TLS_BACKEND = '{group: "", kind: Service, name: tls-backend}'
TLS_INVALID_REFERENCE_GRANT = (
    grant("reference-grant-wrong-namespace", INFRA, "TLSRoute", INFRA, _TO_TLS_BACKEND)
    + grant("reference-grant-wrong-from-group", APP, "TLSRoute", INFRA, _TO_TLS_BACKEND).replace(
        "group: gateway.networking.k8s.io, kind: TLSRoute", "group: not-the-group-youre-looking-for, kind: TLSRoute")
    + grant("reference-grant-wrong-from-kind", APP, "Gateway", INFRA, _TO_TLS_BACKEND)
    + grant("reference-grant-wrong-from-namespace", APP, "TLSRoute", "not-the-namespace-youre-looking-for",
            _TO_TLS_BACKEND)
    + grant("reference-grant-wrong-to-group", APP, "TLSRoute", INFRA,
            "{group: not-the-group-youre-looking-for, kind: Service, name: tls-backend}")
    + grant("reference-grant-wrong-to-kind", APP, "TLSRoute", INFRA, '{group: "", kind: Secret, name: tls-backend}')
    + grant("reference-grant-wrong-to-name", APP, "TLSRoute", INFRA,
            '{group: "", kind: Service, name: not-the-service-youre-looking-for}')
    + tls("gateway-conformance-infra-test",
          _rule(f"{{name: tls-backend, namespace: {APP}, port: 443}}", hostnames="[abc.example.com]"),
          _parent("gateway-tlsroute-referencegrant"))
    + gw("gateway-tlsroute-referencegrant", [("https", 443, "TLS", "*.example.com", _TLS_ONLY_SAME, _PASSTHROUGH)]))
TLS_MIXED_NOT_SUPPORTED = gw("gateway-tlsroute-mixed-termination-not-supported", [
    ("tls-terminate", 8443, "TLS", "terminate.example.com", _TLS_ONLY_SAME, _TERMINATE),
    ("tls-passthrough", 8443, "TLS", "passthrough.example.com", _TLS_ONLY_SAME, _PASSTHROUGH)])
TLS_PASSTHROUGH_KINDS = gw("gateway-tlsroute-passthrough-supported-kind", [
    ("tls-passthrough", 443, "TLS", None,
     "allowedRoutes: {kinds: [{kind: TCPRoute}, {kind: TLSRoute}], namespaces: {from: Same}}", _PASSTHROUGH)])
TLS_TERMINATE_UNSUPPORTED = gw("gateway-tlsroute-terminate-unsupported", [
    ("tls-terminate", 8443, "TLS", "terminate.example.com", _TLS_ONLY_SAME, _TERMINATE)])
TLS_TERMINATE_KINDS = gw("gateway-tlsroute-terminate-supported", [
    ("tls-terminate", 8443, "TLS", "terminate.example.com", _TLS_ONLY_SAME, _TERMINATE)])
TLS_MIXED = (
    gw("gateway-tlsroute-mixed-termination", [
        ("tls-terminate", 8883, "TLS", "tls.example.com", _TLS_ONLY_SAME, _TERMINATE),
        ("tls-passthrough", 8883, "TLS", "abc.example.com", _TLS_ONLY_SAME, _PASSTHROUGH)])
    + tls("gateway-conformance-mixed-passthroughroute",
          _rule("{name: tcp-backend, port: 8443}", hostnames="[abc.example.com]"),
          _parent("gateway-tlsroute-mixed-termination", namespace=INFRA))
    + tls("gateway-conformance-mixed-terminateroute",
          _rule("{name: tcp-backend, port: 3000}", hostnames="[tls.example.com]"),
          _parent("gateway-tlsroute-mixed-termination", namespace=INFRA)))
TLS_SIMPLE = (
    tls("gateway-conformance-infra-test", _rule("{name: tcp-backend, port: 8443}", hostnames="[abc.example.com]"),
        _parent("gateway-tlsroute", namespace=INFRA))
    + gw("gateway-tlsroute", [("https", 443, "TLS", "*.example.com", _TLS_ONLY_SAME, _PASSTHROUGH)]))
TLS_TERMINATE_SIMPLE = (
    tls("tlsroute-terminated-test", _rule("{name: tcp-backend, port: 3000}", hostnames="[tls.example.com]"),
        _parent("gateway-tlsroute-terminate", namespace=INFRA))
    + gw("gateway-tlsroute-terminate", [("tlsterminate", 8443, "TLS", "tls.example.com", _TLS_ONLY_SAME, _TERMINATE)]))

# --- UDPRoute ------------------------------------------------------------------------------------------------------
UDP_INVALID_BACKEND = (
    gw("udp-gateway-invalid-backend", [("udp", 5300, "UDP", None, _UDP_ONLY)])
    + udp("udp-route-invalid-backend-ref-nonexistent", _rule("{name: nonexistent-service, port: 8080}"),
          _parent("udp-gateway-invalid-backend", sectionName="udp")))
UDP_INVALID_CROSS_NAMESPACE = (
    gw("udp-gateway-invalid-cross-namespace-backend-ref", [("udp", 5300, "UDP", None, _UDP_ONLY)])
    + udp("udp-route-invalid-cross-namespace-backend-ref",
          _rule(f"{{name: udp-echo-no-reference-grant, namespace: {APP}, port: 8080}}"),
          _parent("udp-gateway-invalid-cross-namespace-backend-ref", sectionName="udp")))
UDP_MULTIPLE_ROUTES = (
    gw("udp-multi-route-attach-gateway", [("udp", 5301, "UDP", None, _UDP_ONLY)])
    + udp("udproute-attach-older", _rule("{name: udp-attach-backend-1, port: 8080}"),
          _parent("udp-multi-route-attach-gateway", sectionName="udp"), OLDER))
UDP_MULTIPLE_ROUTES_NEWER = udp("udproute-attach-newer", _rule("{name: udp-attach-backend-2, port: 8080}"),
                                _parent("udp-multi-route-attach-gateway", sectionName="udp"), NEWER)
UDP_NOT_ALLOWED = (
    gw("udproute-tls-only-gateway", [("tls", 443, "TLS", None, _SAME, _PASSTHROUGH)])
    + udp("udproute-not-allowed-by-listeners", _rule("{name: coredns, port: 53}"),
          _parent("udproute-tls-only-gateway", sectionName="tls")))
UDP_ATTACH_ALL = (
    gw("udp-attach-all-listeners-gateway", [(f"udp-{i}", 5309 + i, "UDP", None, _UDP_ONLY) for i in (1, 2, 3)])
    + udp("udp-route-attach-all", _rule("{name: udp-echo-attach-all, port: 8080}"),
          _parent("udp-attach-all-listeners-gateway")))
UDP_PORT_AND_SECTION = (
    gw("udp-multi-listener-gateway", [(n, 5300 + i, "UDP", None, _UDP_ONLY)
                                      for i, n in enumerate(("by-port", "by-section", "by-section-and-port"))])
    + udp("udp-route-by-port", _rule("{name: udp-echo-by-port, port: 8080}"),
          _parent("udp-multi-listener-gateway", port=5300))
    + udp("udp-route-by-section", _rule("{name: udp-echo-by-section, port: 8080}"),
          _parent("udp-multi-listener-gateway", sectionName="by-section"))
    + udp("udp-route-by-section-and-port", _rule("{name: udp-echo-by-section-and-port, port: 8080}"),
          _parent("udp-multi-listener-gateway", port=5302, sectionName="by-section-and-port")))
UDP_REFERENCE_GRANT_ONLY = grant("udp-reference-grant", APP, "UDPRoute", INFRA,
                                 '{group: "", kind: Service, name: udp-echo-reference-grant}')
UDP_REFERENCE_GRANT = (
    gw("udp-gateway-reference-grant", [("udp", 5300, "UDP", None, _UDP_ONLY)])
    + udp("udp-route-reference-grant", _rule(f"{{name: udp-echo-reference-grant, namespace: {APP}, port: 8080}}"),
          _parent("udp-gateway-reference-grant", sectionName="udp")))
UDP_SIMPLE = (
    gw("udp-gateway", [("coredns", 5300, "UDP", None, _UDP_ONLY)])
    + udp("udp-coredns", _rule("{name: coredns, port: 53}"), _parent("udp-gateway", sectionName="coredns")))
UDP_WEIGHTED = (
    gw("udp-weighted-gateway", [("udp", 5300, "UDP", None, _UDP_ONLY)])
    + udp("udp-weighted-route", _rule("{name: udp-backend-v1, port: 8080, weight: 70}",
                                      "{name: udp-backend-v2, port: 8080, weight: 30}",
                                      "{name: udp-backend-v3, port: 8080, weight: 0}"),
          _parent("udp-weighted-gateway", sectionName="udp")))

# Every manifest the L4 tests may apply: the harness picks a port offset free for all of them.
ALL_L4_MANIFESTS = [
    TCP_INVALID_BACKEND, TCP_INVALID_CROSS_NAMESPACE, TCP_NON_TCP_LISTENER, TCP_MULTIPLE_ROUTES, TCP_ATTACH_ALL,
    TCP_PORT_AND_SECTION, TCP_REFERENCE_GRANT, TCP_WEIGHTED, TLS_HOSTNAME_INTERSECTION, TLS_INVALID_BACKEND,
    TLS_UNKNOWN_KIND, TLS_NO_MATCHING_HOSTNAME, TLS_NO_MATCHING_LISTENER, TLS_INVALID_REFERENCE_GRANT,
    TLS_MIXED_NOT_SUPPORTED, TLS_PASSTHROUGH_KINDS, TLS_TERMINATE_UNSUPPORTED, TLS_TERMINATE_KINDS, TLS_MIXED,
    TLS_SIMPLE, TLS_TERMINATE_SIMPLE, UDP_INVALID_BACKEND, UDP_INVALID_CROSS_NAMESPACE, UDP_MULTIPLE_ROUTES,
    UDP_NOT_ALLOWED, UDP_ATTACH_ALL, UDP_PORT_AND_SECTION, UDP_REFERENCE_GRANT, UDP_SIMPLE, UDP_WEIGHTED,
]
