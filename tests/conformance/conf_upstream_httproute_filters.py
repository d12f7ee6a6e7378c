"""The objects of the upstream v1.6.1 HTTPRoute filter, mirror, timeout, weight, protocol and Service-type tests
(test_upstream_httproute_filters.py, test_upstream_httproute_backends.py), upstream names and paths."""
from __future__ import annotations

from conf_infra import INFRA
from conf_upstream_httproute import (
    MODIFY,
    V1,
    V1_NS,
    V2,
    header_modifier,
    http_route,
    mirror,
    prefix,
    ref,
    rule,
)

_MULTIPLE = dict(set_=[("X-Header-Set-1", "header-set-1"), ("X-Header-Set-2", "header-set-2")],
                 add=[("X-Header-Add-1", "header-add-1"), ("X-Header-Add-2", "header-add-2"),
                      ("X-Header-Add-3", "header-add-3")],
                 remove=["X-Header-Remove-1", "X-Header-Remove-2"])
_CASES = [
    ("/set", dict(set_=[("X-Header-Set", "set-overwrites-values")])),
    ("/add", dict(add=[("X-Header-Add", "add-appends-values")])),
    ("/remove", dict(remove=["X-Header-Remove"])),
    ("/multiple", _MULTIPLE),
]
_CASE_INSENSITIVITY = dict(set_=[("X-Header-Set", "header-set")], add=[("X-Header-Add", "header-add")],
                           remove=["X-Header-Remove"])


def _v1_with(*filters: str) -> str:
    return f"[{{name: infra-backend-v1, port: 8080, filters: [{', '.join(filters)}]}}]"


REQUEST_HEADER_MODIFIER = http_route("request-header-modifier", "".join(
    rule(prefix(path), filters=f"[{header_modifier(**mods)}]", backends=V1)
    for path, mods in [*_CASES, ("/case-insensitivity", _CASE_INSENSITIVITY)]))
# HTTPRouteBackendRequestHeaderModifier: the same route with every filter on the backendRef instead
BACKEND_REQUEST_HEADER_MODIFIER = http_route("request-header-modifier", "".join(
    rule(prefix(path), backends=_v1_with(header_modifier(**mods)))
    for path, mods in [*_CASES, ("/case-insensitivity", _CASE_INSENSITIVITY)]))
REQUEST_HEADER_MODIFIER_BACKEND_WEIGHTS = http_route("request-header-modifier-backend-weights", rule(
    backends="[" + ", ".join(
        f"{{name: infra-backend-v{n}, port: 8080, weight: 10, filters: "
        f"[{header_modifier(set_=[('Backend', f'infra-backend-v{n}')])}]}}" for n in (1, 2)) + "]"))


def _response(**mods) -> str:
    return header_modifier("ResponseHeaderModifier", **mods)


RESPONSE_HEADER_MODIFIER = http_route("response-header-modifier", "".join(
    rule(prefix(path), filters=f"[{_response(**mods)}]", backends=V1) for path, mods in _CASES)
    + rule(prefix("/case-insensitivity"), backends=V1, filters="[" + _response(
        set_=[("X-Header-Set", "header-set")],
        add=[("X-Header-Add", "header-add"), ("x-lowercase-add", "lowercase-add"),
             ("x-Mixedcase-ADD-1", "mixedcase-add-1"), ("X-mixeDcase-add-2", "mixedcase-add-2"),
             ("X-UPPERCASE-ADD", "uppercase-add")],
        remove=["X-Header-Remove"]) + "]")
    + rule(prefix("/response-and-request-header-modifiers"), backends=V1, filters="[" + _response(
        set_=_MULTIPLE["set_"], add=_MULTIPLE["add"][:2], remove=_MULTIPLE["remove"]) + ", " + MODIFY + "]"))
REQUEST_MIRROR = http_route("request-mirror", (
    rule(prefix("/mirror"), filters=f"[{mirror('infra-backend-v2')}]", backends=V1_NS)
    + rule(prefix("/mirror-and-modify-headers"), filters=f"[{MODIFY}, {mirror('infra-backend-v2')}]",
           backends=V1_NS)))
REQUEST_MULTIPLE_MIRRORS = http_route("request-multiple-mirrors", (
    rule(prefix("/multi-mirror"), filters=f"[{mirror('infra-backend-v2')}, {mirror('infra-backend-v3')}]",
         backends=V1_NS)
    + rule(prefix("/multi-mirror-and-modify-request-headers"),
           filters=f"[{MODIFY}, {mirror('infra-backend-v2')}, {mirror('infra-backend-v3')}]", backends=V1_NS)))
REQUEST_PERCENTAGE_MIRROR = http_route("request-percentage-mirror", (
    rule(prefix("/percent-mirror"), filters=f"[{mirror('infra-backend-v2', percent=20)}]", backends=V1_NS)
    + rule(prefix("/percent-mirror-fraction"),
           filters=f"[{mirror('infra-backend-v2', fraction='{numerator: 25, denominator: 50}')}]", backends=V1_NS)
    + rule(prefix("/percent-mirror-and-modify-headers"),
           filters=f"[{MODIFY}, {mirror('infra-backend-v2', percent=35)}]", backends=V1_NS)))


def _rewrite(**fields) -> str:
    inner = ", ".join(f"{k}: {v}" for k, v in fields.items())
    return f"{{type: URLRewrite, urlRewrite: {{{inner}}}}}"


REWRITE_HOST = http_route("rewrite-host", (
    rule(prefix("/one"), filters=f"[{_rewrite(hostname='one.example.org')}]", backends=V1)
    + rule(filters=f"[{_rewrite(hostname='example.org')}]", backends=V2)
    + rule(prefix("/rewrite-host-and-modify-headers"),
           filters=f"[{_rewrite(hostname='test.example.org')}, {MODIFY}]", backends=V2)),
    hostnames='["rewrite.example"]')
_REPLACE_PREFIX = "{{type: ReplacePrefixMatch, replacePrefixMatch: {}}}"
_REPLACE_FULL = "{{type: ReplaceFullPath, replaceFullPath: {}}}"
REWRITE_PATH = http_route("rewrite-path", (
    rule(prefix("/prefix/one"), filters=f"[{_rewrite(path=_REPLACE_PREFIX.format('/one'))}]", backends=V1)
    + rule(prefix("/strip-prefix"), filters=f"[{_rewrite(path=_REPLACE_PREFIX.format('/'))}]", backends=V1)
    + rule(prefix("/full/one"), filters=f"[{_rewrite(path=_REPLACE_FULL.format('/one'))}]", backends=V1)
    + rule(prefix("/full/rewrite-path-and-modify-headers"),
           filters=f"[{_rewrite(path=_REPLACE_FULL.format('/test'))}, {MODIFY}]", backends=V1)
    + rule(prefix("/prefix/rewrite-path-and-modify-headers"),
           filters=f"[{_rewrite(path=_REPLACE_PREFIX.format('/prefix'))}, {MODIFY}]", backends=V1)))
TIMEOUT_BACKEND_REQUEST = http_route("backend-request-timeout", (
    rule(prefix("/backend-timeout"), backends=V1, extra="timeouts: {backendRequest: 500ms}")
    + rule(prefix("/disable-backend-timeout"), backends=V1, extra='timeouts: {backendRequest: "0s"}')))
TIMEOUT_REQUEST = http_route("request-timeout", (
    rule(prefix("/request-timeout"), backends=V1, extra="timeouts: {request: 500ms}")
    + rule(prefix("/disable-request-timeout"), backends=V1, extra='timeouts: {request: "0s"}')))
WEIGHT = http_route("weighted-backends", rule(backends="[" + ", ".join(
    ref(f"infra-backend-v{n}", weight=w) for n, w in ((1, 70), (2, 30), (3, 0))) + "]"))
BACKEND_PROTOCOL_H2C = http_route("backend-protocol-h2c", rule(backends=f"[{ref('infra-backend-v1', 8081)}]"))
BACKEND_PROTOCOL_WEBSOCKET = http_route("backend-protocol-ws", rule(backends=f"[{ref('infra-backend-v1', 8082)}]"))


def _slice(name: str, family: str, address: str | None, port: int) -> str:
    endpoints = f"endpoints: [{{addresses: [{address}], conditions: {{ready: true, serving: true}}}}]\n" \
        if address else "endpoints: []\n"
    return f"""\
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: {name}, namespace: {INFRA}, labels: {{kubernetes.io/service-name: {name.rsplit('-', 1)[0]}}}}}
addressType: {family}
ports: [{{name: first-port, port: {port}, protocol: TCP}}]
{endpoints}---
"""


def service_types(backend_address: str, port: int) -> str:
    """HTTPRouteServiceTypes. Upstream fills the manual EndpointSlices with infra-backend-v1's pod addresses
    (setupEndpointSlices) and the cluster's EndpointSlice controller makes the headless Service's (selector
    app: infra-backend-v1); there is no pod nor controller here, so the harness writes both itself, with
    infra-backend-v1's address. The IPv6 slices stay empty, as upstream leaves them on an IPv4 cluster."""
    routes = http_route("service-types", "".join(
        rule(f"{{path: {{type: Exact, value: /{name}}}}}", backends=f"[{ref(name)}]")
        for name in ("manual-endpointslices", "headless", "headless-manual-endpointslices")))
    out = routes
    for name, headless, selector in (("manual-endpointslices", False, False), ("headless", True, True),
                                     ("headless-manual-endpointslices", True, False)):
        spec = ("clusterIP: None, " if headless else "") + ("selector: {app: infra-backend-v1}, " if selector else "")
        out += f"""\
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {INFRA}}}
spec: {{{spec}ports: [{{name: first-port, protocol: TCP, port: 8080, targetPort: {port}}}]}}
---
"""
        if selector:  # what the EndpointSlice controller would make
            out += _slice(f"{name}-ip4", "IPv4", backend_address, port)
        else:
            out += _slice(f"{name}-ip4", "IPv4", backend_address, port) + _slice(f"{name}-ip6", "IPv6", None, port)
    return out
