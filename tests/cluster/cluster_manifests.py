"""Manifests the cluster tests apply: echo backends (kgw's own echo server, from the kgw image), Gateways of
the `kgw` class with an HTTPRoute to them, GatewayParameters."""
from __future__ import annotations

RELEASE, RELEASE_NS = "kgw", "kgw-system"
GATEWAY_CLASS = "kgw"
CONTROLLER_NAME = "kgateway.dev/kgateway"  # the chart's controllerName default


def gateway_class() -> str:
    return f"""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: {GATEWAY_CLASS}}}
spec: {{controllerName: {CONTROLLER_NAME}}}
"""


def namespace(name: str) -> str:
    return f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {name}}}
"""


def echo_backend(ns: str, image: str, name: str = "echo", replicas: int = 2) -> str:
    """A Deployment of echo pods answering with JSON naming the pod, and its Service on port 80."""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      # These pods are not what is tested: die fast (1.20's kubelet is slow to delete pods, see docs).
      terminationGracePeriodSeconds: 2
      automountServiceAccountToken: false
      securityContext: {{runAsNonRoot: true, runAsUser: 10001, seccompProfile: {{type: RuntimeDefault}}}}
      containers:
      - name: echo
        image: {image}
        imagePullPolicy: Never
        command: [python, -m, kgw_controller.echo, --listen, "0.0.0.0:3000", --namespace, {ns},
                  --service, {name}, --pod, $(POD_NAME)]
        env:
        - name: POD_NAME
          valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}
        ports: [{{name: http, containerPort: 3000}}]
        readinessProbe: {{httpGet: {{path: /ready, port: 3000}}, periodSeconds: 2}}
        securityContext:
          {{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {{drop: [ALL]}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{app: {name}}}
  ports: [{{name: http, port: 80, targetPort: http, protocol: TCP}}]
"""


def gateway(ns: str, name: str, port: int = 8080, backend: str = "echo", replicas: int | None = None) -> str:
    """A Gateway with one HTTP listener and an HTTPRoute sending everything to `backend`; `replicas` adds
    GatewayParameters for the proxy Deployment."""
    infra, params = "", ""
    if replicas is not None:
        infra = f"""
  infrastructure:
    parametersRef: {{group: gateway.kgateway.dev, kind: GatewayParameters, name: {name}-params}}"""
        params = f"""
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {{name: {name}-params, namespace: {ns}}}
spec:
  kube:
    deployment: {{replicas: {replicas}}}
"""
    return f"""{params}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: {name}, namespace: {ns}}}
spec:
  gatewayClassName: {GATEWAY_CLASS}{infra}
  listeners:
  - {{name: http, protocol: HTTP, port: {port}}}
{http_route(ns, f"{name}-route", name, "/", backend)}"""


def http_route(ns: str, name: str, gateway_name: str, prefix: str, backend: str = "echo") -> str:
    return f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: {ns}}}
spec:
  parentRefs: [{{name: {gateway_name}}}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: {prefix}}}}}]
    backendRefs: [{{name: {backend}, port: 80}}]
"""
