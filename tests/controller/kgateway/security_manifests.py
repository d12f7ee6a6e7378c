"""Manifests for the security end-to-end tests (the Gateway `gw` and the echo backend come from kgw_harness):
one HTTPRoute with a rule per feature and the policies on those rules; keys are made by the test."""
from __future__ import annotations

import base64
import hashlib
import json

ISSUER, AUDIENCE = "https://issuer.test", "api"


def sha_line(user: str, password: str) -> str:
    return f"{user}:{{SHA}}{base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()}"


def route_yaml() -> str:
    rules = "".join(f"  - {{name: {n}, matches: [{{path: {{type: PathPrefix, value: /{n}}}}}], "
                    f"backendRefs: [{{name: echo, port: 80}}]}}\n"
                    for n in ("jwt", "jwtopt", "basic", "keys", "acl", "open"))
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: sec, namespace: default}}
spec:
  parentRefs: [{{name: gw}}]
  rules:
{rules}"""


def _policy(name: str, section: str, body: str) -> str:
    return f"""\
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {{name: {name}, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: sec, sectionName: {section}}}]
{body}"""


def jwt_yaml(jwks: dict, rules: str) -> str:
    """Two GatewayExtensions over the same keys (one Strict, one AllowMissing, the latter reading them from a
    ConfigMap); both routes also run `rules` (a program that must never see a refused request)."""
    inline = json.dumps(json.dumps(jwks))
    indented = "".join(f"      {line}\n" for line in rules.splitlines())
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
""" + _policy("jwt", "jwt", f"""\
  jwtAuth: {{extensionRef: {{name: strict}}}}
  transformation:
    rules: |
{indented}""") + _policy("jwtopt", "jwtopt", f"""\
  jwtAuth: {{extensionRef: {{name: optional}}}}
  transformation:
    rules: |
{indented}""")


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


KEYS_POLICY = _policy("keys", "keys", """\
  apiKeyAuth:
    secretSelector: {matchLabels: {kgw-test/api-keys: "yes"}}
    keySources: [{header: x-api-key}]
    clientIdHeader: x-client-id
""")[4:]


def acl_yaml(default: str, rules: list[tuple[str, str]]) -> str:
    items = "".join(f"    - {{cidrs: [{c}], action: {a}}}\n" for c, a in rules)
    return _policy("acl", "acl", f"  acl:\n    defaultAction: {default}\n    rules:\n{items}")[4:]
