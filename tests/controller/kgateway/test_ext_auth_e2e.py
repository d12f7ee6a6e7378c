"""TrafficPolicy extAuth through a real Envoy, in both modes: an HTTP and a gRPC authorization service on
loopback allow, deny, and go away (the HTTP one fails closed with its statusOnError, the gRPC one fails
open); headers to the service, to the backend and to a refused client; context extensions; and a rules
program after it sees only what the service allowed."""
import json
import time

import pytest
from authz_servers import GrpcAuthz, HttpAuthz
from security_manifests import route_yaml

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def _manifests(http_port: int, grpc_port: int) -> str:
    return route_yaml() + f"""\
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata: {{name: http-authz, namespace: default}}
spec: {{type: Static, static: {{hosts: [{{host: 127.0.0.1, port: {http_port}}}]}}}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata: {{name: grpc-authz, namespace: default}}
spec: {{type: Static, static: {{hosts: [{{host: 127.0.0.1, port: {grpc_port}}}]}}}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayExtension
metadata: {{name: http-authz, namespace: default}}
spec:
  type: ExtAuth
  extAuth:
    statusOnError: 503
    headersToForward: [x-allow]
    httpService:
      backendRef: {{group: gateway.kgateway.dev, kind: Backend, name: http-authz}}
      pathPrefix: /check
      requestTimeout: 1s
      authorizationRequest: {{headersToAdd: {{x-from: kgw}}}}
      authorizationResponse: {{headersToBackend: [x-user], headersToClient: [www-authenticate]}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayExtension
metadata: {{name: grpc-authz, namespace: default}}
spec:
  extAuth:
    failOpen: true
    grpcService:
      backendRef: {{group: gateway.kgateway.dev, kind: Backend, name: grpc-authz}}
      requestTimeout: 1s
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {{name: http-authz, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: sec, sectionName: basic}}]
  extAuth: {{extensionRef: {{name: http-authz}}}}
  transformation:
    rules: |
      on request {{
        set header x-rules-user = default(request_header("x-user"), "none")
      }}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {{name: grpc-authz, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: sec, sectionName: keys}}]
  extAuth: {{extensionRef: {{name: grpc-authz}}, contextExtensions: {{tier: gold}}}}
"""


@pytest.fixture
def authz():
    http_authz, grpc_authz = HttpAuthz(), GrpcAuthz()
    yield http_authz, grpc_authz
    http_authz.stop()
    grpc_authz.stop()


def _upstream(body: str) -> dict:
    return {k.lower(): v for k, v in json.loads(body)["headers"].items()}


def test_ext_auth_http_and_grpc(deployed, authz):
    d, (http_authz, grpc_authz) = deployed, authz
    d.write("authz.yaml", _manifests(http_authz.port, grpc_authz.port))
    d.start()
    d.wait_status("/open", 200)

    # HTTP service: allowed (its x-user reaches the backend and the rules), denied (403, www-authenticate)
    status, body, _ = d.get("/basic/x", headers={"x-allow": "yes", "x-secret": "not-forwarded"})
    assert status == 200, body
    seen = _upstream(body)
    assert seen["x-user"] == ["alice"] and seen["x-rules-user"] == ["alice"]
    check = http_authz.checks[-1]
    assert check["path"] == "/check/basic/x" and check["x-from"] == "kgw" and "x-secret" not in check
    before = len(d.echo.seen)
    status, body, headers = d.get("/basic/x", headers={"x-user": "mallory"})
    assert status == 403 and body == "denied by the http authz"
    assert {k.lower(): v for k, v in headers.items()}["www-authenticate"] == 'Basic realm="kgw"'
    assert len(d.echo.seen) == before

    # gRPC service: allowed with its header, denied, the context extensions sent along
    status, body, _ = d.get("/keys/x", headers={"x-allow": "yes"})
    assert status == 200 and _upstream(body)["x-user"] == ["bob"]
    assert grpc_authz.checks[-1]["context"] == {"tier": "gold"}
    status, body, _ = d.get("/keys/x")
    assert status == 403 and body == "denied by the grpc authz"

    # the services go away: the HTTP one fails closed (statusOnError 503), the gRPC one open
    http_authz.stop()
    grpc_authz.stop()
    deadline = time.monotonic() + 10
    while d.get("/basic/x", headers={"x-allow": "yes"})[0] != 503:
        assert time.monotonic() < deadline, "the HTTP authorization service's failure never closed the route"
        time.sleep(0.05)
    status, body, _ = d.get("/keys/x")
    assert status == 200, body  # failOpen: allowed without a decision
    assert d.get("/open")[0] == 200

    ext = d.status_of("GatewayExtension", "default", "grpc-authz")["conditions"][0]
    assert (ext["type"], ext["status"]) == ("Accepted", "True")
