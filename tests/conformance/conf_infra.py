"""The harness's base objects: GatewayClass, namespaces, backend Services + EndpointSlices, the Gateway.

Like the upstream conformance suite: backends live in gateway-conformance-infra / -web-backend /
-app-backend, each on its own loopback address; one Gateway with many listeners (one Envoy) serves them.
"""
from __future__ import annotations

INFRA, WEB, APP = "gateway-conformance-infra", "gateway-conformance-web-backend", "gateway-conformance-app-backend"
GATEWAY_ADDRESS = "127.0.0.10"

# name -> (namespace, loopback address, kind); every backend listens on the same (free) port
BACKENDS = {
    "infra-backend-v1": (INFRA, "127.0.0.2", "http"),
    "infra-backend-v2": (INFRA, "127.0.0.3", "http"),
    "infra-backend-v3": (INFRA, "127.0.0.4", "http"),
    "web-backend": (WEB, "127.0.0.5", "http"),
    "app-backend": (APP, "127.0.0.6", "http"),
    "grpc-infra-backend-v1": (INFRA, "127.0.0.7", "grpc"),
    "grpc-infra-backend-v2": (INFRA, "127.0.0.8", "grpc"),
    # the upstream base fixtures' other backends (the upstream HTTPRoute and GRPCRoute tests name them)
    "app-backend-v1": (APP, "127.0.1.2", "http"),
    "app-backend-v2": (APP, "127.0.1.3", "http"),
    "grpc-infra-backend-v3": (INFRA, "127.0.1.4", "grpc"),
}

# Gateway listeners: (name, port, protocol, hostname, extra YAML lines)
LISTENERS = [
    ("http", 80, "HTTP", None, "allowedRoutes: {namespaces: {from: All}}"),
    ("same-namespace", 81, "HTTP", None, ""),
    ("selector", 82, "HTTP", None,
     "allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {conformance-selector: allowed}}}}"),
    ("empty-hostname", 83, "HTTP", None, "allowedRoutes: {namespaces: {from: All}}"),
    ("wildcard-example-com", 83, "HTTP", "*.example.com", "allowedRoutes: {namespaces: {from: All}}"),
    ("wildcard-foo-example-com", 83, "HTTP", "*.foo.example.com", "allowedRoutes: {namespaces: {from: All}}"),
    ("abc-foo-example-com", 83, "HTTP", "abc.foo.example.com", "allowedRoutes: {namespaces: {from: All}}"),
    ("port-84", 84, "HTTP", None, "allowedRoutes: {namespaces: {from: All}}"),
    ("grpc-only", 85, "HTTP", None, "allowedRoutes: {kinds: [{kind: GRPCRoute}]}"),
    ("https-a", 443, "HTTPS", "a.example.org",
     "tls: {certificateRefs: [{name: tls-a}]}\n"
     "    allowedRoutes: {namespaces: {from: All}}"),
    ("https-b", 443, "HTTPS", "b.example.org",
     f"tls: {{certificateRefs: [{{name: tls-b, namespace: {WEB}}}]}}\n"
     "    allowedRoutes: {namespaces: {from: All}}"),
    ("https-c", 444, "HTTPS", "c.example.org",
     f"tls: {{certificateRefs: [{{name: tls-c, namespace: {APP}}}]}}\n"
     "    allowedRoutes: {namespaces: {from: All}}"),
]


def _service(name: str, ns: str, addr: str, port: int, kind: str) -> str:
    # gRPC backends declare appProtocol kubernetes.io/h2c, so even an HTTPRoute reaches them over HTTP/2;
    # the http backends have the upstream base Services' three ports: plain, h2c (prior knowledge) and WebSocket,
    # all served by the one echo server, as the upstream echo serves them.
    ports = "[{name: grpc, port: 8080, appProtocol: kubernetes.io/h2c}]" if kind == "grpc" else \
        "[{name: http, port: 8080}, {name: h2c, port: 8081, appProtocol: kubernetes.io/h2c}, " \
        "{name: ws, port: 8082, appProtocol: kubernetes.io/ws}]"
    slice_ports = f"[{{name: grpc, port: {port}}}]" if kind == "grpc" else \
        f"[{{name: http, port: {port}}}, {{name: h2c, port: {port}}}, {{name: ws, port: {port}}}]"
    return f"""\
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec:
  ports: {ports}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: {name}-1, namespace: {ns}, labels: {{kubernetes.io/service-name: {name}}}}}
addressType: IPv4
ports: {slice_ports}
endpoints:
- addresses: [{addr}]
  conditions: {{ready: true}}
---
"""


def secret_yaml(name: str, ns: str, cert: str, key: str) -> str:
    indent = lambda text: "\n".join("    " + line for line in text.strip().splitlines())  # noqa: E731
    return f"""\
apiVersion: v1
kind: Secret
metadata: {{name: {name}, namespace: {ns}}}
type: kubernetes.io/tls
stringData:
  tls.crt: |
{indent(cert)}
  tls.key: |
{indent(key)}
---
"""


def infra_yaml(backend_port: int, certs: dict[str, tuple[str, str]]) -> str:
    out = f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: kgw-conformance, generation: 1}}
spec: {{controllerName: kgateway.dev/kgateway}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: {INFRA}}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: {WEB}, labels: {{gateway-conformance: backend, conformance-selector: allowed}}}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: {APP}, labels: {{gateway-conformance: backend}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: conformance, namespace: {INFRA}, generation: 3}}
spec:
  gatewayClassName: kgw-conformance
  addresses: [{{type: IPAddress, value: {GATEWAY_ADDRESS}}}]
  listeners:
"""
    for name, port, protocol, hostname, extra in LISTENERS:
        out += f"  - name: {name}\n    port: {port}\n    protocol: {protocol}\n"
        if hostname:
            out += f'    hostname: "{hostname}"\n'
        if extra:
            out += f"    {extra}\n"
    out += "---\n"
    for name, (ns, addr, kind) in BACKENDS.items():
        out += _service(name, ns, addr, backend_port, kind)
    out += secret_yaml("tls-a", INFRA, *certs["a"])
    out += secret_yaml("tls-b", WEB, *certs["b"])
    out += secret_yaml("tls-c", APP, *certs["c"])
    # Gateways in the infra namespace may use Secrets of the web-backend namespace (listener https-b).
    out += f"""\
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {{name: gateways-use-tls-b, namespace: {WEB}}}
spec:
  from: [{{group: gateway.networking.k8s.io, kind: Gateway, namespace: {INFRA}}}]
  to: [{{group: "", kind: Secret, name: tls-b}}]
"""
    return out
