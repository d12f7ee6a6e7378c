"""The objects of the upstream v1.6.1 `ListenerSet*` tests (test_upstream_listenerset.py), upstream names.

Each test applies its manifest only while it runs (`Harness.applied`), as the upstream suite does; every
Gateway gets its own loopback address (conf_upstream.UPSTREAM_ADDRESSES).
"""
from __future__ import annotations

from conf_infra import INFRA, WEB
from conf_upstream import gateway, listeners_yaml

GW_GROUP = "gateway.networking.k8s.io"
_ALL, _SAME = "allowedRoutes: {namespaces: {from: All}}", "allowedRoutes: {namespaces: {from: Same}}"
_CERT = f'tls: {{certificateRefs: [{{group: "", kind: Secret, name: certificate, namespace: {WEB}}}]}}'


def allowed_listeners(rule: str) -> str:
    return f"  allowedListeners: {{namespaces: {rule}}}\n"


def listener_set(name: str, parent: str, listeners: list[tuple], ns: str = INFRA) -> str:
    """listeners: (name, port, protocol, hostname or None, YAML flow lines), as conf_upstream.gateway."""
    out = f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {{name: {name}, namespace: {ns}}}
spec:
  parentRef: {{kind: Gateway, group: {GW_GROUP}, name: {parent}, namespace: {INFRA}}}
  listeners:
"""
    return out + listeners_yaml(listeners) + "---\n"


def namespace(name: str, labels: str = "") -> str:
    meta = f"{{name: {name}, labels: {{{labels}}}}}" if labels else f"{{name: {name}}}"
    return f"apiVersion: v1\nkind: Namespace\nmetadata: {meta}\n---\n"


def ls_ref(name: str, ns: str = INFRA, section: str | None = None) -> str:
    extra = f", sectionName: {section}" if section else ""
    return f"{{kind: ListenerSet, group: {GW_GROUP}, name: {name}, namespace: {ns}{extra}}}"


def gw_ref(name: str, section: str | None = None) -> str:
    extra = f", sectionName: {section}" if section else ""
    return f"{{name: {name}, namespace: {INFRA}{extra}}}"


def http_route(name: str, parents: list[str], path: str, backend: str, ns: str = INFRA,
               backend_ns: str | None = None) -> str:
    target = f"{{name: {backend}, port: 8080" + (f", namespace: {backend_ns}}}" if backend_ns else "}")
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: {ns}}}
spec:
  parentRefs: [{", ".join(parents)}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: {path}}}}}]
    backendRefs: [{target}]
---
"""


def _gw(name: str, listeners: list[tuple], rule: str | None) -> str:
    return gateway(name, listeners, extra=allowed_listeners(rule) if rule else "")


_GW_LISTENER = ("gateway-listener", 80, "HTTP", "gateway-listener.com", _ALL)

ALLOWED_NAMESPACE_NONE = (
    _gw("gateway-does-not-allow-listenerset", [_GW_LISTENER], "{from: None}")
    + listener_set("listenerset-not-allowed", "gateway-does-not-allow-listenerset",
                   [("listener-set-listener", 80, "HTTP", "listener-set-listener.com", _ALL)])
)
DEFAULT_NOT_ALLOWED = (
    _gw("gateway-default-does-not-allow-listenerset", [_GW_LISTENER], None)
    + listener_set("listenerset-default-not-allowed", "gateway-default-does-not-allow-listenerset",
                   [("listenerset-default-not-allowed-listener", 80, "HTTP",
                     "listenerset-default-not-allowed-listener.com", _ALL)])
)
NOT_ALLOWED_NS = "gateway-api-listenerset-not-allowed-ns"
ALLOWED_NAMESPACE_SAME = (
    _gw("gateway-allows-listenerset-in-same-namespace", [_GW_LISTENER], "{from: Same}")
    + listener_set("listenerset-in-same-namespace", "gateway-allows-listenerset-in-same-namespace",
                   [("listenerset-in-same-namespace-listener", 80, "HTTP",
                     "listenerset-in-same-namespace-listener.com", _ALL)])
    + namespace(NOT_ALLOWED_NS)
    + listener_set("listenerset-in-different-namespace", "gateway-allows-listenerset-in-same-namespace",
                   [("listenerset-in-different-namespace-listener", 80, "HTTP",
                     "listenerset-in-different-namespace-listener", _ALL)], ns=NOT_ALLOWED_NS)
)
SELECTOR_ALLOWED_NS, SELECTOR_NOT_ALLOWED_NS = ("gateway-api-listenerset-selector-allowed-ns",
                                                "gateway-api-listenerset-selector-not-allowed-ns")
ALLOWED_NAMESPACE_SELECTOR = (
    _gw("gateway-allows-listenerset-in-selected-namespace", [_GW_LISTENER],
        "{from: Selector, selector: {matchLabels: {allowed: ns}}}")
    + namespace(SELECTOR_ALLOWED_NS, "allowed: ns")
    + listener_set("listenerset-in-selected-namespace", "gateway-allows-listenerset-in-selected-namespace",
                   [("listenerset-in-selected-namespace-listener", 80, "HTTP",
                     "listenerset-in-selected-namespace-listener.com", _ALL)], ns=SELECTOR_ALLOWED_NS)
    + namespace(SELECTOR_NOT_ALLOWED_NS)
    + listener_set("listenerset-not-in-selected-namespace", "gateway-allows-listenerset-in-selected-namespace",
                   [("listenerset-not-in-selected-namespace-listener", 80, "HTTP",
                     "listenerset-not-in-selected-namespace-listener.com", _ALL)], ns=SELECTOR_NOT_ALLOWED_NS)
)

ROUTES_ALLOWED_NS, ROUTES_NOT_ALLOWED_NS, LS_CROSS_NS = (
    "gateway-api-routes-allowed-ns", "gateway-api-routes-not-allowed-ns", "gateway-api-ls-cross-ns")
_ALLOWED_ROUTES_GW = "gateway-with-listener-sets-test-allowed-routes"
_NS_LS, _CROSS_LS = "listenerset-test-allowed-routes-namespaces", "listenerset-test-allowed-routes-cross-ns"
ALLOWED_ROUTES_NAMESPACES = (
    _gw(_ALLOWED_ROUTES_GW, [_GW_LISTENER], "{from: All}")
    + listener_set(_NS_LS, _ALLOWED_ROUTES_GW, [
        ("listener-set-listener-allowed-routes-all", 80, "HTTP", "listener-set-listener-allowed-routes-all.com", _ALL),
        ("listener-set-listener-allowed-routes-same", 80, "HTTP", "listener-set-listener-allowed-routes-same.com",
         _SAME),
        ("listener-set-listener-allowed-routes-selector", 80, "HTTP",
         "listener-set-listener-allowed-routes-selector.com",
         "allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {allowed: ns}}}}")])
    + http_route("route-in-same-namespace", [ls_ref(_NS_LS)], "/route-in-same-namespace", "infra-backend-v1")
    + namespace(ROUTES_ALLOWED_NS, "allowed: ns")
    + http_route("route-in-selected-namespace", [ls_ref(_NS_LS)], "/route-in-selected-namespace",
                 "infra-backend-v2", ns=ROUTES_ALLOWED_NS, backend_ns=INFRA)
    + namespace(ROUTES_NOT_ALLOWED_NS)
    + http_route("route-not-in-selected-namespace", [ls_ref(_NS_LS)], "/route-not-in-selected-namespace",
                 "infra-backend-v3", ns=ROUTES_NOT_ALLOWED_NS, backend_ns=INFRA)
    + namespace(LS_CROSS_NS)
    + listener_set(_CROSS_LS, _ALLOWED_ROUTES_GW, [
        ("listener-set-listener-allowed-routes-cross-ns-same", 80, "HTTP",
         "listener-set-listener-allowed-routes-cross-ns-same.com", _SAME)], ns=LS_CROSS_NS)
    + http_route("route-in-listenerset-namespace", [ls_ref(_CROSS_LS, LS_CROSS_NS)], "/route-in-listenerset-namespace",
                 "infra-backend-v1", ns=LS_CROSS_NS, backend_ns=INFRA)
    + http_route("route-in-gateway-namespace", [ls_ref(_CROSS_LS, LS_CROSS_NS)], "/route-in-gateway-namespace",
                 "infra-backend-v2")
    + f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {{name: listenerset-test-allowed-routes-namespaces-reference-grant, namespace: {INFRA}}}
spec:
  from: [{", ".join(f"{{group: {GW_GROUP}, kind: HTTPRoute, namespace: {ns}}}"
                    for ns in (ROUTES_ALLOWED_NS, ROUTES_NOT_ALLOWED_NS, LS_CROSS_NS))}]
  to: [{{group: "", kind: Service}}]
---
"""
)

ALLOWED_ROUTES_SUPPORTED_KINDS = (
    _gw("gateway-with-listener-sets-test-supported-route-kinds", [_GW_LISTENER], "{from: All}")
    + listener_set("listenerset-test-allowed-routes-supported-kinds",
                   "gateway-with-listener-sets-test-supported-route-kinds", [
                       ("listener-set-listener-allowed-routes-tls-only", 443, "TLS",
                        "listener-set-listener-allowed-routes-tls-only.com",
                        "allowedRoutes: {namespaces: {from: All}, kinds: [{kind: HTTPRoute}]}",
                        "tls: {mode: Passthrough}")])
)

DUAL_PARENTREF = (
    _gw("gateway-dual-parentref", [("gw-dual-parentref-listener", 80, "HTTP", "gw-dual.com", _SAME)], "{from: Same}")
    + listener_set("ls-dual-parentref", "gateway-dual-parentref",
                   [("ls-dual-parentref-listener", 80, "HTTP", "ls-dual.com", _SAME)])
    + http_route("route-dual-parentref-both", [gw_ref("gateway-dual-parentref"), ls_ref("ls-dual-parentref")],
                 "/dualboth", "infra-backend-v1")
    + http_route("route-dual-parentref-one", [gw_ref("gateway-dual-parentref", "ls-dual-parentref-listener"),
                                              ls_ref("ls-dual-parentref", section="ls-dual-parentref-listener")],
                 "/dualone", "infra-backend-v2")
)

SECTION_NAME_NOT_FOUND = (
    _gw("gateway-section-name", [("gw-listener", 80, "HTTP", "gw-section.com", _SAME)], "{from: Same}")
    + listener_set("listenerset-section-name", "gateway-section-name",
                   [("ls-only-listener", 80, "HTTP", "ls-section-name.com", _SAME)])
    + http_route("route-via-listenerset", [ls_ref("listenerset-section-name", section="ls-only-listener")],
                 "/goodsection", "infra-backend-v1")
    + http_route("route-via-gateway", [gw_ref("gateway-section-name", "ls-only-listener")], "/badsection",
                 "infra-backend-v2")
)


def _conflict_case(kind: str, clash: tuple) -> str:
    """ListenerSetHostnameConflict / ListenerSetProtocolConflict: `clash(name)` is a listener that clashes with
    a listener of that name declared earlier (by the Gateway, or by the first ListenerSet)."""
    gw_name = f"gateway-with-listenerset-{kind}-conflict"
    first, second = f"{kind}-conflict-with-gateway-listener", f"{kind}-conflict-with-listener-set-listener"
    ok = lambda name: (name, 80, "HTTP", f"{name}.com", _ALL)  # noqa: E731
    return (
        _gw(gw_name, [("gateway-listener", 80, "HTTP", "gateway-listener.com", _ALL), ok(first)], "{from: Same}")
        + listener_set(f"listenerset-with-{kind}-conflict-with-gateway-1", gw_name,
                       [ok("listener-set-1-listener"), clash(first), ok(second)])
        + listener_set(f"listenerset-with-{kind}-conflict-with-gateway-2", gw_name, [clash(first)])
        + listener_set(f"listenerset-with-{kind}-conflict-with-listener-set-1", gw_name,
                       [ok("listener-set-2-listener"), clash(second)])
        + listener_set(f"listenerset-with-{kind}-conflict-with-listener-set-2", gw_name, [clash(second)])
    )


HOSTNAME_CONFLICT = _conflict_case("hostname", lambda name: (name, 80, "HTTP", f"{name}.com", _ALL))
PROTOCOL_CONFLICT = _conflict_case("protocol", lambda name: (name, 80, "TCP", None, _ALL))

_ROUTING_GW = "gateway-with-listener-sets-http-routing"


def _routing_set(n: int) -> str:
    return listener_set(f"listener-set-http-routing-{n}", _ROUTING_GW, [
        (f"listener-set-http-routing-{n}-listener-{i}", 80, "HTTP", f"listener-set-http-routing-{n}-listener-{i}.com",
         _ALL) for i in (1, 2)])


HTTP_ROUTING = (
    _gw(_ROUTING_GW, [(f"gateway-listener-{i}", 80, "HTTP", f"gateway-listener-{i}.com", _ALL) for i in (1, 2)],
        "{from: All}")
    + _routing_set(1) + _routing_set(2)
    + http_route("attaches-to-all-listeners", [gw_ref(_ROUTING_GW), ls_ref("listener-set-http-routing-1"),
                                               ls_ref("listener-set-http-routing-2")], "/route", "infra-backend-v1")
    + http_route("gateway-route", [gw_ref(_ROUTING_GW)], "/gateway-route", "infra-backend-v2")
    + http_route("gateway-section-route", [gw_ref(_ROUTING_GW, "gateway-listener-1")], "/gateway-section-route",
                 "infra-backend-v3")
    + http_route("listener-set-http-routing-1-route", [ls_ref("listener-set-http-routing-1")],
                 "/listener-set-http-routing-1-route", "infra-backend-v2")
    + http_route("listener-set-http-routing-1-section-route",
                 [ls_ref("listener-set-http-routing-1", section="listener-set-http-routing-1-listener-1")],
                 "/listener-set-http-routing-1-section-route", "infra-backend-v3")
    + http_route("listener-set-http-routing-2-route", [ls_ref("listener-set-http-routing-2")],
                 "/listener-set-http-routing-2-route", "infra-backend-v2")
)

GRANT_NS = "gateway-api-listener-sets-test-reference-grant-ns"
_GRANT_GW = "gateway-with-listener-sets-test-reference-grant"


def _secret_grant(name: str, from_kind: str) -> str:
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {{name: {name}, namespace: {WEB}}}
spec:
  from: [{{group: {GW_GROUP}, kind: {from_kind}, namespace: {INFRA}}}]
  to: [{{group: "", kind: Secret}}]
---
"""


REFERENCE_GRANT = (
    _gw(_GRANT_GW, [("gateway-listener", 443, "HTTPS", "gateway-listener.com", _ALL, _CERT)], "{from: All}")
    + _secret_grant("reference-grant-for-gateway", "Gateway")
    + listener_set("listenerset-with-reference-grant", _GRANT_GW, [
        ("listenerset-with-reference-grant-listener", 443, "HTTPS", "listenerset-with-reference-grant-listener.com",
         _ALL, _CERT)])
    + _secret_grant("reference-grant-for-listener-set", "ListenerSet")
    + namespace(GRANT_NS)
    + listener_set("listenerset-without-reference-grant", _GRANT_GW, [
        ("listenerset-without-reference-grant-listener", 443, "HTTPS",
         "listenerset-without-reference-grant-listener-1.com", _ALL, _CERT)], ns=GRANT_NS)
)

ROUTE_STATUS_SCOPED = (
    _gw("gateway-parentref", [("gw-parentref-listener", 80, "HTTP", "gw-parentref.com", _SAME)], "{from: Same}")
    + listener_set("listenerset-parentref", "gateway-parentref",
                   [("listenerset-parentref-listener", 80, "HTTP", "listenerset-parentref.com", _SAME)])
    + http_route("route-parentref-gwonly", [gw_ref("gateway-parentref")], "/gwonly", "infra-backend-v1")
    + http_route("route-parentref-lsonly", [ls_ref("listenerset-parentref")], "/lsonly", "infra-backend-v2")
)

ALL_MANIFESTS = [
    ALLOWED_NAMESPACE_NONE, DEFAULT_NOT_ALLOWED, ALLOWED_NAMESPACE_SAME, ALLOWED_NAMESPACE_SELECTOR,
    ALLOWED_ROUTES_NAMESPACES, ALLOWED_ROUTES_SUPPORTED_KINDS, DUAL_PARENTREF, SECTION_NAME_NOT_FOUND,
    HOSTNAME_CONFLICT, PROTOCOL_CONFLICT, HTTP_ROUTING, REFERENCE_GRANT, ROUTE_STATUS_SCOPED,
]
