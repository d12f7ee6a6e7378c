"""Manifests for the traffic and resilience end-to-end tests (the Gateway `gw` and the echo backend come from
kgw_harness): one HTTPRoute with a rule per feature, the TrafficPolicies on those rules, and a Service with two
endpoints (127.0.0.1 and 127.0.0.2 on one port) for load balancing, sessions and ejections."""
from __future__ import annotations

from tests.support.manifests import http_route_yaml, prefix_rules_route, service_yaml, traffic_policy_yaml

# (rule, the TrafficPolicy's spec after targetRefs): one policy a rule, named as its rule; `noretry` has none
POLICIES = {
    "retry": """\
  retry: {retryOn: [5xx], attempts: 3, backoffBaseInterval: 10ms}
  headerModifiers:
    request: {set: [{name: x-policy, value: retry}]}
    response: {set: [{name: x-served-by, value: kgw}]}
""",
    "limited": """\
  rateLimit:
    local: {tokenBucket: {maxTokens: 3, tokensPerFill: 1, fillInterval: 1h}}
""",
    "gzip": """\
  compression:
    responseCompression: {libraries: [Gzip]}
    requestDecompression: {libraries: [Gzip]}
""",
    "delay": "  faultInjection: {delay: {fixedDelay: 400ms}}\n",
    "abort": "  faultInjection: {abort: {httpStatus: 418}}\n",
    "tenants": """\
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
""",
}
# /noretry is /retry without the policy: the same backend path, so only the retry differs
NORETRY = "filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /retry}}}]"

TRAFFIC = "---\n".join([
    prefix_rules_route("traffic", ("retry", "noretry", "limited", "gzip", "delay", "abort", "tenants"),
                       extra={"noretry": NORETRY}),
    *(traffic_policy_yaml(rule, "traffic", rule, body) for rule, body in POLICIES.items())])


def pair_yaml(port: int) -> str:
    """The Service `pair`: endpoints 127.0.0.1 and 127.0.0.2, both on `port`."""
    return service_yaml("pair", port, ("127.0.0.1", "127.0.0.2"))


def resilience_yaml(policy: str, rule_extra: str = "") -> str:
    """A route to `pair` and a BackendConfigPolicy on it (`policy`: its spec fields, indented 2)."""
    rule = "  - matches: [{path: {type: PathPrefix, value: /pair}}]\n    backendRefs: [{name: pair, port: 80}]\n"
    return http_route_yaml("pair", rule + rule_extra) + f"""\
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: BackendConfigPolicy
metadata: {{name: pair, namespace: default}}
spec:
  targetRefs: [{{group: "", kind: Service, name: pair}}]
{policy}"""
