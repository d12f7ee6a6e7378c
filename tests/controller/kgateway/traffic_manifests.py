"""Manifests for the traffic and resilience end-to-end tests (the Gateway `gw` and the echo backend come from
kgw_harness): one HTTPRoute with a rule per feature, the TrafficPolicies on those rules, and a Service with two
endpoints (127.0.0.1 and 127.0.0.2 on one port) for load balancing, sessions and ejections."""
from __future__ import annotations

TRAFFIC = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: traffic, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - {name: retry, matches: [{path: {type: PathPrefix, value: /retry}}], backendRefs: [{name: echo, port: 80}]}
  - {name: noretry, matches: [{path: {type: PathPrefix, value: /noretry}}],
     filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /retry}}}],
     backendRefs: [{name: echo, port: 80}]}
  - {name: limited, matches: [{path: {type: PathPrefix, value: /limited}}], backendRefs: [{name: echo, port: 80}]}
  - {name: gzip, matches: [{path: {type: PathPrefix, value: /gzip}}], backendRefs: [{name: echo, port: 80}]}
  - {name: delay, matches: [{path: {type: PathPrefix, value: /delay}}], backendRefs: [{name: echo, port: 80}]}
  - {name: abort, matches: [{path: {type: PathPrefix, value: /abort}}], backendRefs: [{name: echo, port: 80}]}
  - {name: tenants, matches: [{path: {type: PathPrefix, value: /tenants}}], backendRefs: [{name: echo, port: 80}]}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: retry, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: traffic, sectionName: retry}]
  retry: {retryOn: [5xx], attempts: 3, backoffBaseInterval: 10ms}
  headerModifiers:
    request: {set: [{name: x-policy, value: retry}]}
    response: {set: [{name: x-served-by, value: kgw}]}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: limited, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: traffic, sectionName: limited}]
  rateLimit:
    local: {tokenBucket: {maxTokens: 3, tokensPerFill: 1, fillInterval: 1h}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: gzip, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: traffic, sectionName: gzip}]
  compression:
    responseCompression: {libraries: [Gzip]}
    requestDecompression: {libraries: [Gzip]}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: delay, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: traffic, sectionName: delay}]
  faultInjection: {delay: {fixedDelay: 400ms}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: abort, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: traffic, sectionName: abort}]
  faultInjection: {abort: {httpStatus: 418}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: tenants, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: traffic, sectionName: tenants}]
  transformation:
    rules: |
      on request {
        let tenant = split_part(path, "/", 2)
        if tenant != "" {
          set descriptor "tenant" = tenant
        }
      }
  rateLimit:
    local:
      tokenBucket: {maxTokens: 100, tokensPerFill: 1, fillInterval: 1h}
      descriptors:
      - entries: [{key: tenant, value: acme}]
        tokenBucket: {maxTokens: 1, tokensPerFill: 1, fillInterval: 1h}
      - entries: [{key: tenant}]
        tokenBucket: {maxTokens: 2, tokensPerFill: 1, fillInterval: 1h}
"""


def pair_yaml(port: int) -> str:
    """The Service `pair`: endpoints 127.0.0.1 and 127.0.0.2, both on `port`."""
    return f"""\
apiVersion: v1
kind: Service
metadata: {{name: pair, namespace: default}}
spec:
  ports: [{{name: http, port: 80, targetPort: {port}}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: pair-1, namespace: default, labels: {{kubernetes.io/service-name: pair}}}}
addressType: IPv4
ports: [{{name: http, port: {port}}}]
endpoints:
- addresses: [127.0.0.1]
- addresses: [127.0.0.2]
"""


def resilience_yaml(policy: str, rule_extra: str = "") -> str:
    """A route to `pair` and a BackendConfigPolicy on it (`policy`: its spec fields, indented 2)."""
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: pair, namespace: default}}
spec:
  parentRefs: [{{name: gw}}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: /pair}}}}]
    backendRefs: [{{name: pair, port: 80}}]
{rule_extra}---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: BackendConfigPolicy
metadata: {{name: pair, namespace: default}}
spec:
  targetRefs: [{{group: "", kind: Service, name: pair}}]
{policy}"""
