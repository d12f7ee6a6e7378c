"""Manifests for the kgateway-kind end-to-end tests (the Gateway and echo backend come from kgw_harness)."""
from __future__ import annotations

INJA_POLICY = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: inja, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: kg, sectionName: inja}]
  transformation:
    request:
      set:
      - name: x-greeting
        value: 'hello {% if header("x-user") != "" %}{{ header("x-user") }}{% else %}stranger{% endif %}'
      - {name: x-b64, value: '{{ base64_encode(header("x-user")) }}'}
      remove: [x-secret]
    response:
      set:
      - {name: x-served, value: 'kgw-{{ header("content-type") }}'}
"""

# The same behaviour written as a kgw rules program.
RULES = """\
on request {
  if default(header("x-user"), "") != "" {
    set header x-greeting = "hello {header("x-user")}"
  } else {
    set header x-greeting = "hello stranger"
  }
  set header x-b64 = base64_encode(default(header("x-user"), ""))
  remove header x-secret
}
on response {
  set header x-served = "kgw-{default(header("content-type"), "")}"
}
"""


def rules_policy(rules: str) -> str:
    body = "\n".join("      " + line for line in rules.splitlines())
    return f"""\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: RoutePolicy
metadata: {{name: rules, namespace: default}}
spec:
  targetRef: {{group: gateway.networking.k8s.io, kind: HTTPRoute, name: kg, sectionName: rules}}
  transformation:
    rules: |
{body}
"""


def kinds_yaml(echo_port: int, lambda_port: int, log_path: str) -> str:
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: kg, namespace: default}}
spec:
  parentRefs: [{{name: gw}}]
  rules:
  - name: inja
    matches: [{{path: {{type: PathPrefix, value: /inja}}}}]
    backendRefs: [{{name: echo, port: 80}}]
  - name: rules
    matches: [{{path: {{type: PathPrefix, value: /rules}}}}]
    backendRefs: [{{name: echo, port: 80}}]
  - matches: [{{path: {{type: PathPrefix, value: /dr}}}}]
    filters: [{{type: ExtensionRef, extensionRef: {{group: gateway.kgateway.dev, kind: DirectResponse, name: teapot}}}}]
  - matches: [{{path: {{type: PathPrefix, value: /static}}}}]
    backendRefs: [{{group: gateway.kgateway.dev, kind: Backend, name: static-echo}}]
  - matches: [{{path: {{type: PathPrefix, value: /lambda}}}}]
    backendRefs: [{{group: gateway.kgateway.dev, kind: Backend, name: fn}}]
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: DirectResponse
metadata: {{name: teapot, namespace: default}}
spec: {{status: 418, body: short and stout}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata: {{name: static-echo, namespace: default}}
spec:
  type: Static
  static: {{hosts: [{{host: 127.0.0.1, port: {echo_port}}}]}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata: {{name: fn, namespace: default}}
spec:
  type: aws
  aws:
    accountId: "000000000000"
    region: us-west-2
    auth: {{type: secret, secret: {{name: aws-creds}}}}
    lambda: {{functionName: hello, qualifier: live, endpointURL: "http://127.0.0.1:{lambda_port}"}}
---
apiVersion: v1
kind: Secret
metadata: {{name: aws-creds, namespace: default}}
stringData: {{accessKey: AKIDEXAMPLE, secretKey: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: HTTPListenerPolicy
metadata: {{name: logs, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: Gateway, name: gw}}]
  accessLog:
  - fileSink:
      path: {log_path}
      jsonFormat: {{path: "%REQ(:PATH)%", status: "%RESPONSE_CODE%"}}
  - fileSink: {{path: {log_path}.txt}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: ListenerPolicy
metadata: {{name: buffers, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: Gateway, name: gw}}]
  perConnectionBufferLimitBytes: 65536
"""
