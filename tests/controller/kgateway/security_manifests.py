"""Manifests for the security end-to-end tests (the Gateway `gw` and the echo backend come from kgw_harness):
one HTTPRoute with a rule per feature and the policies on those rules; keys are made by the test."""
from __future__ import annotations

import base64
import hashlib
import json

from tests.support.manifests import prefix_rules_route, rules_transformation, traffic_policy_yaml

ISSUER, AUDIENCE = "https://issuer.test", "api"


def sha_line(user: str, password: str) -> str:
    return f"{user}:{{SHA}}{base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()}"


def route_yaml() -> str:
    return prefix_rules_route("sec", ("jwt", "jwtopt", "basic", "keys", "acl", "open"))


def policy_yaml(name: str, section: str, body: str) -> str:
    """The TrafficPolicy `name` on rule `section` of the route `sec`; `body`: its spec after targetRefs."""
    return traffic_policy_yaml(name, "sec", section, body)


def _policy(name: str, section: str, body: str) -> str:
    return "---\n" + policy_yaml(name, section, body)


def jwt_yaml(jwks: dict, rules: str) -> str:
    """Two GatewayExtensions over the same keys (one Strict, one AllowMissing, the latter reading them from a
    ConfigMap); both routes also run `rules` (a program that must never see a refused request)."""
    inline = json.dumps(json.dumps(jwks))
    transformation = rules_transformation(rules)
    return f"""\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayExtension
metadata: {{name: strict, namespace: default}}
spec:
  type: JWT
  jwt:
    providers:
    - name: test
      issuer: {ISSUER}
      audiences: [{AUDIENCE}]
      claimsToHeaders: [{{name: sub, header: x-sub}}]
      jwks: {{local: {{inline: {inline}}}}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayExtension
metadata: {{name: optional, namespace: default}}
spec:
  jwt:
    validationMode: AllowMissing
    providers:
    - name: test
      issuer: {ISSUER}
      jwks: {{local: {{configMapRef: {{name: jwks}}}}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: jwks, namespace: default}}
data:
  jwks: {inline}
""" + _policy("jwt", "jwt", "  jwtAuth: {extensionRef: {name: strict}}\n" + transformation) \
        + _policy("jwtopt", "jwtopt", "  jwtAuth: {extensionRef: {name: optional}}\n" + transformation)


def basic_yaml(lines: list[str]) -> str:
    text = "\n".join(lines)
    return f"""\
apiVersion: v1
kind: Secret
metadata: {{name: htpasswd, namespace: default}}
stringData:
  .htpasswd: {json.dumps(text)}
""" + _policy("basic", "basic", "  basicAuth: {secretRef: {name: htpasswd}}\n")


def keys_secret_yaml(name: str, keys: dict[str, str]) -> str:
    return f"""\
apiVersion: v1
kind: Secret
metadata: {{name: {name}, namespace: default, labels: {{kgw-test/api-keys: "yes"}}}}
stringData: {json.dumps(keys)}
"""


KEYS_POLICY = policy_yaml("keys", "keys", """\
  apiKeyAuth:
    secretSelector: {matchLabels: {kgw-test/api-keys: "yes"}}
    keySources: [{header: x-api-key}]
    clientIdHeader: x-client-id
""")


def acl_yaml(default: str, rules: list[tuple[str, str]]) -> str:
    items = "".join(f"    - {{cidrs: [{c}], action: {a}}}\n" for c, a in rules)
    return policy_yaml("acl", "acl", f"  acl:\n    defaultAction: {default}\n    rules:\n{items}")
