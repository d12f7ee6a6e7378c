"""Routes the cases exercise, one file per feature (so a case can be read next to its route)."""
from __future__ import annotations

from conf_infra import APP, INFRA, WEB

_HEAD = """\
apiVersion: gateway.networking.k8s.io/v1
kind: {kind}
metadata: {{name: {name}, namespace: {ns}}}
spec:
"""


def route(name: str, body: str, ns: str = INFRA, kind: str = "HTTPRoute",
          parent: str = "parentRefs: [{name: conformance, namespace: " + INFRA + ", sectionName: http}]") -> str:
    return _HEAD.format(kind=kind, name=name, ns=ns) + "  " + parent + "\n" + body + "---\n"


V1 = "{name: infra-backend-v1, port: 8080}"
V2 = "{name: infra-backend-v2, port: 8080}"
V3 = "{name: infra-backend-v3, port: 8080}"

ROUTES = {
    "matching.yaml": route("core-matching", f"""\
  hostnames: [match.example.com]
  rules:
  - name: exact
    matches: [{{path: {{type: Exact, value: /exact}}}}]
    backendRefs: [{V1}]
  - name: prefix
    matches: [{{path: {{type: PathPrefix, value: /prefix}}}}]
    backendRefs: [{V2}]
  - matches: [{{path: {{value: /headers}}, headers: [{{name: Version, value: two}}]}}]
    backendRefs: [{V3}]
  - matches: [{{path: {{value: /query}}, queryParams: [{{name: animal, value: whale}}]}}]
    backendRefs: [{V3}]
  - matches: [{{path: {{value: /method}}, method: POST}}]
    backendRefs: [{V2}]
  - matches: [{{path: {{type: RegularExpression, value: "/regex/[0-9]+"}}}}]
    backendRefs: [{V3}]
  - matches: [{{path: {{value: /weights}}}}]
    backendRefs: [{{name: infra-backend-v1, port: 8080, weight: 1}}, {{name: infra-backend-v2, port: 8080, weight: 0}}]
  - matches: [{{path: {{value: /no-backend}}}}]
  - matches: [{{path: {{value: /missing-backend}}}}]
    backendRefs: [{{name: does-not-exist, port: 8080}}]
"""),
    "headers.yaml": route("headers", f"""\
  hostnames: [headers.example.com]
  rules:
  - matches: [{{path: {{value: /request}}}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{{name: X-Header-Set, value: set-overwrites-values}}]
        add: [{{name: X-Header-Add, value: add-appends-values}}]
        remove: [X-Header-Remove]
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /response}}}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{{name: X-Header-Set, value: set-overwrites-values}}]
        add: [{{name: X-Header-Add, value: add-appends-values}}]
        remove: [X-Header-Remove]
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /literal}}}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {{set: [{{name: X-Percent, value: "50% of %DOWNSTREAM_REMOTE_ADDRESS%"}}]}}
    - type: ResponseHeaderModifier
      responseHeaderModifier: {{add: [{{name: X-Percent, value: "100%"}}]}}
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /host}}}}]
    filters: [{{type: RequestHeaderModifier, requestHeaderModifier: {{set: [{{name: Host, value: elsewhere}}]}}}}]
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /backend-filters}}}}]
    backendRefs:
    - name: infra-backend-v1
      port: 8080
      filters:
      - {{type: RequestHeaderModifier, requestHeaderModifier: {{add: [{{name: X-Backend, value: v1}}]}}}}
      - {{type: ResponseHeaderModifier, responseHeaderModifier: {{set: [{{name: X-Backend-Response, value: v1}}]}}}}
"""),
    "redirect.yaml": route("redirect", """\
  hostnames: [redirect.example.com]
  rules:
  - matches: [{path: {value: /scheme}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
  - matches: [{path: {value: /hostname}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]
  - matches: [{path: {value: /port}}]
    filters: [{type: RequestRedirect, requestRedirect: {port: 8083}}]
  - matches: [{path: {value: /scheme-port}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, port: 8443}}]
  - matches: [{path: {value: /https-443}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, port: 443}}]
  - matches: [{path: {value: /status-301}}]
    filters: [{type: RequestRedirect, requestRedirect: {statusCode: 301}}]
  - matches: [{path: {value: /status-303}}]
    filters: [{type: RequestRedirect, requestRedirect: {statusCode: 303}}]
  - matches: [{path: {value: /status-307}}]
    filters: [{type: RequestRedirect, requestRedirect: {statusCode: 307}}]
  - matches: [{path: {value: /status-308}}]
    filters: [{type: RequestRedirect, requestRedirect: {statusCode: 308}}]
  - matches: [{path: {value: /full}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /full-path-replaced}}
  - matches: [{path: {value: /prefix/one}}]
    filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}}]
  - matches: [{path: {value: /strip-prefix}}]
    filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
  - matches: [{path: {value: /everything}}]
    filters:
    - type: RequestRedirect
      requestRedirect:
        scheme: https
        hostname: example.org
        port: 8443
        statusCode: 301
        path: {type: ReplaceFullPath, replaceFullPath: /done}
"""),
    "rewrite.yaml": route("rewrite", f"""\
  hostnames: [rewrite.example.com]
  rules:
  - matches: [{{path: {{value: /hostname}}}}]
    filters: [{{type: URLRewrite, urlRewrite: {{hostname: one.example.org}}}}]
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /full}}}}]
    filters: [{{type: URLRewrite, urlRewrite: {{path: {{type: ReplaceFullPath, replaceFullPath: /one}}}}}}]
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /prefix/one}}}}]
    filters: [{{type: URLRewrite, urlRewrite: {{path: {{type: ReplacePrefixMatch, replacePrefixMatch: /xyz}}}}}}]
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /trailing/}}}}]
    filters: [{{type: URLRewrite, urlRewrite: {{path: {{type: ReplacePrefixMatch, replacePrefixMatch: /xyz/}}}}}}]
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /strip-prefix}}}}]
    filters:
    - type: URLRewrite
      urlRewrite: {{hostname: two.example.org, path: {{type: ReplacePrefixMatch, replacePrefixMatch: /}}}}
    backendRefs: [{V1}]
"""),
    "mirror.yaml": route("mirror", f"""\
  hostnames: [mirror.example.com]
  rules:
  - matches: [{{path: {{value: /mirror}}}}]
    filters: [{{type: RequestMirror, requestMirror: {{backendRef: {V2}}}}}]
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /multi-mirror}}}}]
    filters:
    - {{type: RequestMirror, requestMirror: {{backendRef: {V2}}}}}
    - {{type: RequestMirror, requestMirror: {{backendRef: {V3}}}}}
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /never-mirrored}}}}]
    filters: [{{type: RequestMirror, requestMirror: {{backendRef: {V2}, percent: 0}}}}]
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /half-mirrored}}}}]
    filters: [{{type: RequestMirror, requestMirror: {{backendRef: {V2}, percent: 50}}}}]
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /fraction-always}}}}]
    filters: [{{type: RequestMirror, requestMirror: {{backendRef: {V3}, fraction: {{numerator: 3, denominator: 3}}}}}}]
    backendRefs: [{V1}]
"""),
    "timeouts.yaml": route("timeouts", f"""\
  hostnames: [timeout.example.com]
  rules:
  - matches: [{{path: {{value: /request}}}}]
    timeouts: {{request: 500ms}}
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /backend}}}}]
    timeouts: {{request: 10s, backendRequest: 500ms}}
    backendRefs: [{V1}]
"""),
    "cors.yaml": route("cors", f"""\
  hostnames: [cors.example.com]
  rules:
  - matches: [{{path: {{value: /}}}}]
    filters:
    - type: CORS
      cors:
        allowOrigins: ["https://www.foo.com", "https://*.bar.com"]
        allowMethods: [GET, OPTIONS]
        allowHeaders: [x-header-1, x-header-2]
        exposeHeaders: [x-header-3]
        allowCredentials: true
        maxAge: 3600
    backendRefs: [{V1}]
"""),
    "extension-ref.yaml": route("extension-ref", f"""\
  hostnames: [ext.example.com]
  rules:
  - matches: [{{path: {{value: /ext}}}}]
    filters: [{{type: ExtensionRef, extensionRef: {{group: example.com, kind: Unknown, name: x}}}}]
    backendRefs: [{V1}]
  - matches: [{{path: {{value: /ok}}}}]
    backendRefs: [{V1}]
"""),
    "app-protocol.yaml": route("app-protocol", """\
  hostnames: [protocols.example.com]
  rules:
  - matches: [{path: {value: /ws}}]
    backendRefs: [{name: infra-backend-v1, port: 8082}]
  - matches: [{path: {value: /}}]
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
"""),
    "cross-namespace.yaml": route("cross-namespace", f"""\
  hostnames: [cross.example.com]
  rules:
  - backendRefs: [{{name: web-backend, namespace: {WEB}, port: 8080}}]
"""),
    "grpc.yaml": route("grpc", """\
  hostnames: [grpc.example.com, a.example.org]
  rules:
  - matches: [{method: {service: echo.Echo, method: Say}}]
    backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
  - matches: [{method: {service: echo.Other}}]
    filters:
    - {type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: x-grpc-filter, value: applied}]}}
    - {type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: x-added, value: added}]}}
    backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]
  - matches: [{method: {service: echo.Echo, method: Say}, headers: [{name: version, value: two}]}]
    backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]
  - matches: [{method: {type: RegularExpression, service: "weighted\\\\..*"}}]
    backendRefs:
    - {name: grpc-infra-backend-v1, port: 8080, weight: 1}
    - {name: grpc-infra-backend-v2, port: 8080, weight: 0}
""", kind="GRPCRoute", parent=f"parentRefs: [{{name: conformance, namespace: {INFRA}, sectionName: http}}, "
                              f"{{name: conformance, namespace: {INFRA}, sectionName: https-a}}]"),
    "isolation.yaml": "".join(
        route(f"isolation-{ls}", f"""\
  rules:
  - matches: [{{path: {{value: /{ls}}}}}]
    backendRefs: [{V1}]
""", parent=f"parentRefs: [{{name: conformance, namespace: {INFRA}, sectionName: {ls}}}]")
        for ls in ("empty-hostname", "wildcard-example-com", "wildcard-foo-example-com", "abc-foo-example-com")),
    "attachment.yaml": (
        route("port-match", f"""\
  rules:
  - matches: [{{path: {{value: /port-84}}}}]
    backendRefs: [{V1}]
""", parent=f"parentRefs: [{{name: conformance, namespace: {INFRA}, port: 84}}]")
        + route("same-namespace-only", """\
  rules:
  - backendRefs: [{name: web-backend, port: 8080}]
""", ns=WEB, parent=f"parentRefs: [{{name: conformance, namespace: {INFRA}, sectionName: same-namespace}}]")
        + route("selected", """\
  rules:
  - backendRefs: [{name: web-backend, port: 8080}]
""", ns=WEB, parent=f"parentRefs: [{{name: conformance, namespace: {INFRA}, sectionName: selector}}]")
        + route("not-selected", """\
  rules:
  - backendRefs: [{name: app-backend, port: 8080}]
""", ns=APP, parent=f"parentRefs: [{{name: conformance, namespace: {INFRA}, sectionName: selector}}]")
        + route("same-ns-ok", f"""\
  rules:
  - backendRefs: [{V2}]
""", parent=f"parentRefs: [{{name: conformance, namespace: {INFRA}, sectionName: same-namespace}}]")
        + route("http-on-grpc-only", f"""\
  rules:
  - backendRefs: [{V1}]
""", parent=f"parentRefs: [{{name: conformance, namespace: {INFRA}, sectionName: grpc-only}}]")
        + route("https", f"""\
  hostnames: [a.example.org, b.example.org, c.example.org]
  rules:
  - backendRefs: [{V3}]
""", parent="parentRefs: [" + ", ".join(f"{{name: conformance, namespace: {INFRA}, sectionName: {s}}}"
                                       for s in ("https-a", "https-b", "https-c")) + "]")
    ),
}

# Written and deleted live by the ReferenceGrant cases.
BACKEND_GRANT = f"""\
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {{name: infra-routes-to-web-backend, namespace: {WEB}}}
spec:
  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: {INFRA}}}]
  to: [{{group: "", kind: Service, name: web-backend}}]
"""
CERT_GRANT = f"""\
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {{name: gateways-use-tls-c, namespace: {APP}}}
spec:
  from: [{{group: gateway.networking.k8s.io, kind: Gateway, namespace: {INFRA}}}]
  to: [{{group: "", kind: Secret}}]
"""
