"""The objects of the upstream v1.6.1 HTTPRoute tests (test_upstream_httproute_*.py), upstream names and paths,
written in this harness's style. Each test applies its manifest only while it runs (`Harness.applied`), as the
upstream suite does: most of them put a route without hostnames on Gateway `same-namespace`.
"""
from __future__ import annotations

from conf_infra import APP, INFRA, WEB
from conf_routes import route
from conf_upstream import gateway
from conf_upstream_gateway import grant

SAME = "same-namespace"
_SAME_NS = "allowedRoutes: {namespaces: {from: Same}}"


def parent(*gateways: str, **kw) -> str:
    extra = "".join(f", {k}: {v}" for k, v in kw.items())
    return "parentRefs: [" + ", ".join(f"{{name: {g}, namespace: {INFRA}{extra}}}" for g in gateways) + "]"


def ref(name: str, port: int = 8080, **kw) -> str:
    extra = "".join(f", {k}: {v}" for k, v in kw.items())
    return f"{{name: {name}, port: {port}{extra}}}"


def rule(*matches: str, backends: str | None = None, filters: str = "", extra: str = "", name: str = "") -> str:
    """One rule: each match a YAML flow mapping; `backends` the backendRefs list (None: no backendRefs field).
    `extra`: more fields, one `key: value` per line."""
    fields = [f"name: {name}"] if name else []
    if matches:
        fields.append("matches: [" + ", ".join(matches) + "]")
    if filters:
        fields.append(f"filters: {filters}")
    if backends is not None:
        fields.append(f"backendRefs: {backends}")
    fields += extra.splitlines()
    return "  - " + "\n    ".join(fields) + "\n"


def prefix(path: str, **kw) -> str:
    return _match(f"path: {{type: PathPrefix, value: {path}}}", **kw)


def exact(path: str, **kw) -> str:
    return _match(f"path: {{type: Exact, value: {path}}}", **kw)


def _match(first: str = "", headers: dict | None = None, method: str | None = None, query: dict | None = None) -> str:
    parts = [first] if first else []
    if headers:
        parts.append("headers: [" + ", ".join(f"{{name: {k}, value: {v}}}" for k, v in headers.items()) + "]")
    if query:
        parts.append("queryParams: [" + ", ".join(f"{{name: {k}, value: {v}}}" for k, v in query.items()) + "]")
    if method:
        parts.append(f"method: {method}")
    return "{" + ", ".join(parts) + "}"


def match(**kw) -> str:
    return _match(**kw)


def http_route(name: str, rules: str, parents: str = parent(SAME), ns: str = INFRA, hostnames: str = "") -> str:
    body = (f"  hostnames: {hostnames}\n" if hostnames else "") + "  rules:\n" + rules
    return route(name, body, ns=ns, parent=parents)


def header_modifier(kind: str = "RequestHeaderModifier", set_=(), add=(), remove=()) -> str:
    key = kind[0].lower() + kind[1:]
    parts = []
    if set_:
        parts.append("set: [" + ", ".join(f"{{name: {k}, value: {v}}}" for k, v in set_) + "]")
    if add:
        parts.append("add: [" + ", ".join(f"{{name: {k}, value: {v}}}" for k, v in add) + "]")
    if remove:
        parts.append("remove: [" + ", ".join(remove) + "]")
    return f"{{type: {kind}, {key}: {{{', '.join(parts)}}}}}"


def redirect(**fields) -> str:
    inner = ", ".join(f"{k}: {v}" for k, v in fields.items())
    return f"[{{type: RequestRedirect, requestRedirect: {{{inner}}}}}]"


def mirror(backend: str, **kw) -> str:
    extra = "".join(f", {k}: {v}" for k, v in kw.items())
    return f"{{type: RequestMirror, requestMirror: {{backendRef: {ref(backend, namespace=INFRA)}{extra}}}}}"


V1, V2, V3 = (f"[{ref(f'infra-backend-v{n}')}]" for n in (1, 2, 3))
V1_NS = f"[{ref('infra-backend-v1', namespace=INFRA)}]"
# the modifier the *-and-modify-headers rules of the mirror, rewrite tests share
MODIFY = header_modifier(set_=[("X-Header-Set", "set-overwrites-values")],
                         add=[("X-Header-Add", "header-val-1"), ("X-Header-Add-Append", "header-val-2")],
                         remove=["X-Header-Remove"])

SIMPLE_SAME_NAMESPACE = http_route("gateway-conformance-infra-test", rule(backends=V1))
CROSS_NAMESPACE = http_route("cross-namespace", rule(backends=f"[{ref('web-backend')}]"),
                             parents=parent("backend-namespaces"), ns=WEB)
DISALLOWED_KIND = (
    gateway("tlsroutes-only", [("tls", 443, "TLS", None, "tls: {mode: Passthrough}",
                                "allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}")])
    + http_route("disallowed-kind", rule(backends=V1), parents=parent("tlsroutes-only"))
)
EXACT_PATH_MATCHING = http_route("exact-matching", rule(exact("/one"), backends=V1) + rule(exact("/two"), backends=V2))
HEADER_MATCHING = http_route("header-matching", (
    rule(match(headers={"version": "one"}), backends=V1)
    + rule(match(headers={"version": "two"}), backends=V2)
    + rule(match(headers={"version": "two", "color": "orange"}), backends=V1)
    + rule(match(headers={"color": "blue"}), match(headers={"color": "green"}), backends=V1)
    + rule(match(headers={"color": "red"}), match(headers={"color": "yellow"}), backends=V2)))
HTTPS_LISTENER = (
    http_route("httproute-https-test", rule(backends=V1), parents=parent("same-namespace-with-https-listener"),
               hostnames="[example.org]")
    + http_route("httproute-https-test-no-hostname", rule(backends=V2),
                 parents=parent("same-namespace-with-https-listener", sectionName="https-with-hostname"))
)
DETECT_MISDIRECTED = "".join(
    http_route(f"https-listener-detect-misdirected-requests-test-{n}",
               rule(prefix("/detect-misdirected-requests"), backends=backends),
               parents=parent("same-namespace-with-https-listener", sectionName=section),
               hostnames="[example.org]" if n == 1 else "")
    for n, section, backends in ((1, "https", V1), (2, "https-with-hostname", V2),
                                 (3, "https-with-wildcard-hostname", V3),
                                 (4, "https-with-hostname-matching-wildcard", V1)))
INVALID_BACKENDREF_UNKNOWN_KIND = http_route("invalid-backend-ref-unknown-kind", rule(
    backends="[{group: unknownkind.example.com, kind: NonExistent, name: infra-backend-v1, port: 8080}]"))
INVALID_CROSS_NAMESPACE_BACKEND_REF = http_route("invalid-cross-namespace-backend-ref", rule(
    backends=f"[{ref('web-backend', namespace=WEB)}]"))
INVALID_CROSS_NAMESPACE_PARENT_REF = http_route("invalid-cross-namespace-parent-ref", rule(
    backends=f"[{ref('web-backend')}]"), ns=WEB)
INVALID_NONEXISTENT_BACKENDREF = http_route("invalid-nonexistent-backend-ref", rule(
    backends=f"[{ref('nonexistent', namespace=INFRA)}]"))
_V1_SERVICE = f"[{ref('infra-backend-v1', kind='Service')}]"
INVALID_PARENTREF_NOT_MATCHING_LISTENER_PORT = http_route(
    "httproute-listener-not-matching-route-port", rule(backends=_V1_SERVICE), parents=parent(SAME, port=81))
INVALID_PARENTREF_NOT_MATCHING_SECTION_NAME = http_route(
    "httproute-listener-not-matching-section-name", rule(backends=_V1_SERVICE),
    parents=parent(SAME, port=80, sectionName="http1"))
_NOT_MATCHING_GW = "gateway-with-one-not-matching-port-and-section-name-route"
INVALID_PARENTREF_SECTION_NAME_NOT_MATCHING_PORT = (
    gateway(_NOT_MATCHING_GW, [("http", 80, "HTTP", None,
                                "allowedRoutes: {kinds: [{kind: HTTPRoute}], namespaces: {from: All}}")])
    + http_route("httproute-listener-section-name-not-matching-port", rule(backends=_V1_SERVICE),
                 parents=parent(_NOT_MATCHING_GW, sectionName="http", port=81))
)
_ROUTE_FROM_INFRA = f"{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: {INFRA}}}"
_TO_WEB_BACKEND = '{group: "", kind: Service, name: web-backend}'
_WEB_BACKEND_ROUTE = http_route("reference-grant", rule(backends=f"[{ref('web-backend', namespace=WEB)}]"))
INVALID_REFERENCE_GRANT = (
    grant("reference-grant-wrong-namespace", INFRA, _ROUTE_FROM_INFRA, _TO_WEB_BACKEND)
    + grant("reference-grant-wrong-from-group", WEB,
            f"{{group: not-the-group-youre-looking-for, kind: HTTPRoute, namespace: {INFRA}}}", _TO_WEB_BACKEND)
    + grant("reference-grant-wrong-from-kind", WEB,
            f"{{group: gateway.networking.k8s.io, kind: Gateway, namespace: {INFRA}}}", _TO_WEB_BACKEND)
    + grant("reference-grant-wrong-from-namespace", WEB,
            "{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: not-the-namespace-youre-looking-for}",
            _TO_WEB_BACKEND)
    + grant("reference-grant-wrong-to-group", WEB, _ROUTE_FROM_INFRA,
            "{group: not-the-group-youre-looking-for, kind: Service, name: web-backend}")
    + grant("reference-grant-wrong-to-kind", WEB, _ROUTE_FROM_INFRA, '{group: "", kind: Secret, name: web-backend}')
    + grant("reference-grant-wrong-to-name", WEB, _ROUTE_FROM_INFRA,
            '{group: "", kind: Secret, name: not-the-service-youre-looking-for}')
    + _WEB_BACKEND_ROUTE
)
REFERENCE_GRANT_ITSELF = grant("reference-grant", WEB, _ROUTE_FROM_INFRA, _TO_WEB_BACKEND)
REFERENCE_GRANT_ROUTE = _WEB_BACKEND_ROUTE
_LHM = "httproute-listener-hostname-matching"
LISTENER_HOSTNAME_MATCHING = (
    gateway(_LHM, [(f"listener-{n}", 80, "HTTP", host, _SAME_NS)
                   for n, host in enumerate(("bar.com", "foo.bar.com", "*.bar.com", "*.foo.com"), 1)])
    + http_route("backend-v1", rule(backends=V1), parents=parent(_LHM, sectionName="listener-1"))
    + http_route("backend-v2", rule(backends=V2), parents=parent(_LHM, sectionName="listener-2"))
    + route("backend-v3", "  rules:\n" + rule(backends=V3),
            parent="parentRefs: [" + ", ".join(f"{{name: {_LHM}, namespace: {INFRA}, sectionName: listener-{n}}}"
                                               for n in (3, 4)) + "]")
)
MATCHING_ACROSS_ROUTES = (
    http_route("matching-part1", rule(prefix("/"), match(headers={"version": "one"}), backends=V1),
               hostnames="[example.com, example.net]")
    + http_route("matching-part2", rule(prefix("/v2"), match(headers={"version": "two"}), backends=V2),
                 hostnames="[example.com]")
)
MATCHING = http_route("matching", rule(prefix("/"), match(headers={"version": "one"}), backends=V1)
                      + rule(prefix("/v2"), match(headers={"version": "two"}), backends=V2))
METHOD_MATCHING = http_route("method-matching", (
    rule(match(method="POST"), backends=V1)
    + rule(match(method="GET"), backends=V2)
    + rule(prefix("/path1", method="GET"), backends=V1)
    + rule(match(headers={"version": "one"}, method="PUT"), backends=V2)
    + rule(prefix("/path2", headers={"version": "two"}, method="POST"), backends=V3)
    + rule(prefix("/path3", method="PATCH"), prefix("/path4", headers={"version": "three"}, method="DELETE"),
           backends=V1)
    + rule(prefix("/path5"), backends=V1)
    + rule(match(method="PATCH"), backends=V2)
    + rule(match(headers={"version": "four"}), backends=V3)))
MULTIPLE_GATEWAYS = (
    http_route("multiple-gateways-shared-route", rule(prefix("/shared"), backends=V1),
               parents="parentRefs: [{name: same-namespace}, {name: all-namespaces}]")
    + http_route("same-namespace-dedicated-route", rule(prefix("/"), backends=V2),
                 parents="parentRefs: [{name: same-namespace}]")
    + http_route("all-namespaces-dedicated-route", rule(prefix("/"), backends=V3),
                 parents="parentRefs: [{name: all-namespaces}]")
)
NAMED_RULE = http_route("http-named-rules", rule(prefix("/named"), backends=V1, name="named-rule")
                        + rule(prefix("/unnamed"), backends=V2))


def observed_generation_bump(backend: str, generation: int) -> str:
    text = http_route("observed-generation-bump", rule(backends=f"[{ref(backend)}]"))
    return text.replace("namespace: gateway-conformance-infra}", f"namespace: {INFRA}, generation: {generation}}}", 1)


OMITTED_BACKENDREFS = http_route("omitted-backendrefs", rule(exact("/omitted-no-forward"))
                                 + rule(exact("/empty-no-forward"), backends="[]")
                                 + rule(prefix("/"), backends=V1))
PARTIALLY_INVALID_VIA_INVALID_REFERENCE_GRANT = (
    grant("invalid-reference-grant", APP, _ROUTE_FROM_INFRA, '{group: "", kind: Service, name: app-backend-v1}')
    + http_route("invalid-reference-grant", rule(prefix("/v2"), backends=f"[{ref('app-backend-v2', namespace=APP)}]")
                 + rule(backends=f"[{ref('app-backend-v1', namespace=APP)}]"))
)
PATH_MATCH_ORDER = http_route("path-matching-order", (
    rule(exact("/match"), backends=V1) + rule(exact("/match/exact"), backends=V2)
    + rule(exact("/match/exact/one"), backends=V3) + rule(prefix("/match/"), backends=V3)
    + rule(prefix("/match/prefix/"), backends=V1) + rule(prefix("/match/prefix/one"), backends=V2)))
QUERY_PARAM_MATCHING = http_route("query-param-matching", (
    rule(match(query={"animal": "whale"}), backends=V1)
    + rule(match(query={"animal": "dolphin"}), backends=V2)
    + rule(match(query={"animal": "dolphin", "color": "blue"}), match(query={"ANIMAL": "Whale"}), backends=V3)
    + rule(prefix("/path1", query={"animal": "whale"}), backends=V1)
    + rule(match(headers={"version": "one"}, query={"animal": "whale"}), backends=V2)
    + rule(prefix("/path2", headers={"version": "two"}, query={"animal": "whale"}), backends=V3)
    + rule(prefix("/path3", query={"animal": "shark"}),
           prefix("/path4", headers={"version": "three"}, query={"animal": "kraken"}), backends=V1)
    + rule(prefix("/path5"), backends=V1)
    + rule(match(query={"animal": "hydra"}), backends=V2)
    + rule(match(headers={"version": "four"}), backends=V3)))
REDIRECT_303 = http_route("303-redirect", rule(prefix("/see-other"), filters=redirect(statusCode=303)))
REDIRECT_307 = http_route("307-redirect", rule(prefix("/temporary"), filters=redirect(statusCode=307)))
REDIRECT_308 = http_route("308-redirect", rule(prefix("/permanent"), filters=redirect(statusCode=308)))
REDIRECT_HOST_AND_STATUS = http_route("redirect-host-and-status", (
    rule(prefix("/hostname-redirect"), filters=redirect(hostname="example.org"))
    + rule(prefix("/host-and-status"), filters=redirect(statusCode=301, hostname="example.org"))))
_PREFIX = "{type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}"
_FULL = "{type: ReplaceFullPath, replaceFullPath: /replacement-full}"
REDIRECT_PATH = http_route("redirect-path", (
    rule(prefix("/original-prefix"), filters=redirect(path=_PREFIX))
    + rule(prefix("/full"), filters=redirect(path="{type: ReplaceFullPath, replaceFullPath: /full-path-replacement}"))
    + rule(prefix("/path-and-host"), filters=redirect(hostname="example.org", path=_PREFIX))
    + rule(prefix("/path-and-status"), filters=redirect(path=_PREFIX, statusCode=301))
    + rule(prefix("/full-path-and-host"), filters=redirect(hostname="example.org", path=_FULL))
    + rule(prefix("/full-path-and-status"), filters=redirect(path=_FULL, statusCode=301))))
REDIRECT_PORT = http_route("redirect-port", (
    rule(prefix("/port"), filters=redirect(port=8083))
    + rule(prefix("/port-and-host"), filters=redirect(hostname="example.org", port=8083))
    + rule(prefix("/port-and-status"), filters=redirect(port=8083, statusCode=301))
    + rule(prefix("/port-and-host-and-status"), filters=redirect(port=8083, hostname="example.org", statusCode=302))))
REDIRECT_SCHEME = http_route("redirect-scheme", (
    rule(prefix("/scheme"), filters=redirect(scheme="https"))
    + rule(prefix("/scheme-and-host"), filters=redirect(hostname="example.org", scheme="https"))
    + rule(prefix("/scheme-and-status"), filters=redirect(scheme="https", statusCode=301))
    + rule(prefix("/scheme-and-host-and-status"), filters=redirect(scheme="https", statusCode=302,
                                                                    hostname="example.org"))))

# the Gateways these tests add (conf_harness picks a port offset free on their addresses too)
GATEWAY_MANIFESTS = [DISALLOWED_KIND, INVALID_PARENTREF_SECTION_NAME_NOT_MATCHING_PORT, LISTENER_HOSTNAME_MATCHING]
