"""`kgw controller` against a real kube-apiserver 1.20: statuses, proxy objects shaped by GatewayParameters,
a local Envoy running the deployed bootstrap over mTLS xDS, an API server restart, and cleanup when a
Gateway leaves our class or is deleted. One cluster setup is shared by the tests of this module, in order."""
from __future__ import annotations

import json

import pytest

import kgw_controller.echo as echo
from kgw_controller.kube import kinds
from tests.support.apiserver import free_port
from tests.support.chart import install as install_chart
from tests.support.kubehelp import apply, apply_yaml, condition, get, kind_of, wait_for
from tests.support.procs import Controller, LocalEnvoy, wait_http

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
NS = "demo"


def manifests(listener_port: int, backend_port: int) -> str:
    return f"""
apiVersion: v1
kind: Namespace
metadata: {{name: kgw-system}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {{name: class-defaults, namespace: kgw-system}}
spec:
  kube:
    podTemplate: {{extraLabels: {{team: edge}}}}
    deployment: {{replicas: 1}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {{name: web-params, namespace: {NS}}}
spec:
  kube:
    deployment: {{replicas: 3}}
    envoyContainer:
      image: {{registry: registry.example, repository: envoy, tag: v1.40.0-test}}
      bootstrap: {{logLevel: debug}}
    service: {{type: ClusterIP}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: kgw}}
spec:
  controllerName: kgateway.dev/kgateway
  parametersRef: {{group: gateway.kgateway.dev, kind: GatewayParameters, name: class-defaults, namespace: kgw-system}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: web, namespace: {NS}}}
spec:
  gatewayClassName: kgw
  infrastructure:
    parametersRef: {{group: gateway.kgateway.dev, kind: GatewayParameters, name: web-params}}
  listeners:
  - {{name: http, protocol: HTTP, port: {listener_port}}}
---
apiVersion: v1
kind: Service
metadata: {{name: echo, namespace: {NS}}}
spec:
  ports: [{{name: http, port: 8080, targetPort: {backend_port}, protocol: TCP}}]
---
apiVersion: discovery.k8s.io/v1beta1
kind: EndpointSlice
metadata:
  name: echo-local
  namespace: {NS}
  labels: {{kubernetes.io/service-name: echo}}
addressType: IPv4
ports: [{{name: http, port: {backend_port}, protocol: TCP}}]
endpoints:
- addresses: [127.0.0.1]
  conditions: {{ready: true}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: echo, namespace: {NS}}}
spec:
  parentRefs: [{{name: web}}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: /}}}}]
    backendRefs: [{{name: echo, port: 8080}}]
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: RoutePolicy
metadata: {{name: tag, namespace: {NS}}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: echo}}]
  transformation:
    response:
      set: [{{name: x-kgw-policy, value: applied}}]
"""


class Cluster:
    pass


@pytest.fixture(scope="module")
def cluster(apiserver, tmp_path_factory):
    from tests.support.kubehelp import api_for
    c = Cluster()
    c.server, c.dir = apiserver, tmp_path_factory.mktemp("cluster")
    c.api = api_for(apiserver.kubeconfig)
    c.listener_port, backend_port = free_port(), free_port()
    c.echo = echo.start_in_thread("127.0.0.1", backend_port)
    apply_yaml(c.api, manifests(c.listener_port, backend_port))
    install_chart(c.api, "kgw-system")
    # As the chart's ServiceAccount: everything below also proves the chart's RBAC is sufficient.
    c.controller = Controller(c.dir, apiserver.controller_kubeconfig, "replica-a")
    c.envoy = None
    try:
        wait_for(c.controller.ready, 60, "controller ready")
        yield c
    finally:
        if c.envoy:
            c.envoy.stop()
        c.controller.stop()
        c.echo.shutdown()
        c.echo.server_close()
        c.api.close()


def _gateway(c):
    return get(c.api, kinds.GATEWAY, NS, "web")


def test_statuses_are_written(cluster):
    c = cluster
    gc = wait_for(lambda: (o := get(c.api, kinds.GATEWAY_CLASS, None, "kgw"))
                  and (condition(o, "Accepted") or {}).get("status") == "True" and o, 30, "GatewayClass Accepted")
    assert condition(gc, "Accepted")["observedGeneration"] == gc["metadata"]["generation"]
    gw = wait_for(lambda: (o := _gateway(c)) and (condition(o, "Programmed") or {}).get("status") == "True"
                  and o.get("status", {}).get("addresses") and o, 30, "Gateway Programmed with an address")
    assert condition(gw, "Accepted")["status"] == "True"
    svc = get(c.api, kinds.SERVICE, NS, "web")
    # The address reported is the proxy Service's, not the 127.0.0.1 Envoy binds here.
    assert gw["status"]["addresses"] == [{"type": "IPAddress", "value": svc["spec"]["clusterIP"]}]
    assert gw["status"]["listeners"][0]["attachedRoutes"] == 1
    route = get(c.api, kinds.HTTP_ROUTE, NS, "echo")
    parent = route["status"]["parents"][0]
    assert parent["controllerName"] == "kgateway.dev/kgateway"
    assert {x["type"]: x["status"] for x in parent["conditions"]} == {"Accepted": "True", "ResolvedRefs": "True"}
    # kgateway kinds get their status too (policy ancestors), through the same writer.
    policy = wait_for(lambda: (o := get(c.api, kinds.BY_KIND["RoutePolicy"], NS, "tag"))
                      and o.get("status", {}).get("ancestors") and o, 30, "RoutePolicy status")
    assert condition(policy["status"]["ancestors"][0], "Accepted", path=("conditions",))["status"] == "True"
    # Only on change: with nothing changing, a second look shows the same resourceVersion.
    rv = _gateway(c)["metadata"]["resourceVersion"]
    writes = c.controller.status()["status_writes"]
    import time
    time.sleep(1.5)
    assert _gateway(c)["metadata"]["resourceVersion"] == rv
    assert c.controller.status()["status_writes"] == writes


def test_proxy_objects_follow_gateway_parameters(cluster):
    c = cluster
    dep_kind = kind_of({"apiVersion": "apps/v1", "kind": "Deployment"})
    dep = wait_for(lambda: get(c.api, dep_kind, NS, "web"), 30, "proxy Deployment")
    gw_uid = _gateway(c)["metadata"]["uid"]
    assert dep["metadata"]["ownerReferences"][0]["uid"] == gw_uid
    assert dep["spec"]["replicas"] == 3  # the Gateway's parameters override the class's replicas: 1
    pod = dep["spec"]["template"]
    assert pod["metadata"]["labels"]["team"] == "edge"  # from the GatewayClass parameters
    ctr = pod["spec"]["containers"][0]
    assert ctr["image"] == "registry.example/envoy:v1.40.0-test"
    assert ctr["args"][ctr["args"].index("--log-level") + 1] == "debug"
    assert ctr["securityContext"]["runAsNonRoot"] and ctr["securityContext"]["readOnlyRootFilesystem"]
    assert ctr["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert ctr["readinessProbe"]["httpGet"]["path"] == "/ready" and "preStop" in ctr["lifecycle"]
    svc = get(c.api, kinds.SERVICE, NS, "web")
    assert svc["spec"]["type"] == "ClusterIP"
    assert [(p["port"], p["protocol"]) for p in svc["spec"]["ports"]] == [(c.listener_port, "TCP")]
    for kind, name in (("ServiceAccount", "web"), ("ConfigMap", "web-bootstrap"), ("Secret", "web-xds-tls")):
        obj = get(c.api, kind_of({"apiVersion": "v1", "kind": kind}), NS, name)
        assert obj and obj["metadata"]["ownerReferences"][0]["uid"] == gw_uid, kind
    pdb = get(c.api, kind_of({"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget"}), NS, "web")
    assert pdb["spec"]["maxUnavailable"] == 1


def test_local_envoy_with_deployed_bootstrap_serves(cluster):
    c = cluster
    cm = get(c.api, kind_of({"apiVersion": "v1", "kind": "ConfigMap"}), NS, "web-bootstrap")
    boot = json.loads(cm["data"]["envoy.json"])
    xds = boot["static_resources"]["clusters"][0]
    addr = xds["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
    assert (addr["address"], addr["port_value"]) == ("127.0.0.1", c.controller.xds_port)
    assert xds["transport_socket"]["name"] == "envoy.transport_sockets.tls"
    secret = get(c.api, kinds.SECRET, NS, "web-xds-tls")
    c.envoy = LocalEnvoy(c.dir, cm["data"]["envoy.json"], secret["data"])
    status, headers, body = wait_http(f"http://127.0.0.1:{c.listener_port}/hello", 30)
    assert status == 200 and json.loads(body)["path"] == "/hello"
    assert headers.get("x-kgw-policy") == "applied"  # the RoutePolicy's program ran in the rules filter


def test_xds_refuses_clients_without_a_certificate(cluster):
    import grpc
    from envoy.service.discovery.v3 import ads_pb2_grpc
    from envoy.service.discovery.v3 import discovery_pb2 as pb
    with grpc.insecure_channel(f"127.0.0.1:{cluster.controller.xds_port}") as ch:
        call = ads_pb2_grpc.AggregatedDiscoveryServiceStub(ch).DeltaAggregatedResources(
            iter([pb.DeltaDiscoveryRequest(node={"id": "kgw~demo~web"}, type_url=kinds_secret())]), timeout=5)
        with pytest.raises(grpc.RpcError) as err:
            next(call)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE  # the TLS handshake never completes


def kinds_secret() -> str:
    return "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"


def test_api_server_restart_is_survived(cluster):
    c = cluster
    pid = c.controller.proc.pid
    c.server.kill_apiserver()
    import time
    time.sleep(2)
    c.server.start_apiserver()
    # A change made after the restart reaches Envoy: the watches resumed on their own.
    apply(c.api, {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                  "metadata": {"name": "echo", "namespace": NS},
                  "spec": {"parentRefs": [{"name": "web"}], "rules": [
                      {"matches": [{"path": {"type": "PathPrefix", "value": "/v2"}}],
                       "backendRefs": [{"name": "echo", "port": 8080}]}]}})
    wait_for(lambda: _status_code(f"http://127.0.0.1:{c.listener_port}/hello") == 404, 60, "old path gone")
    assert _status_code(f"http://127.0.0.1:{c.listener_port}/v2/x") == 200
    assert c.controller.proc.poll() is None and c.controller.proc.pid == pid
    watch = c.controller.status()["watch"]
    assert sum(w["errors"] for w in watch.values()) > 0  # the outage was seen, and recovered from


def _status_code(url: str) -> int:
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def test_leaving_the_class_deletes_the_proxy(cluster):
    c = cluster
    dep_kind = kind_of({"apiVersion": "apps/v1", "kind": "Deployment"})
    apply(c.api, {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                  "metadata": {"name": "someone-else"}, "spec": {"controllerName": "example.com/other"}})
    gw = _gateway(c)
    gw["spec"]["gatewayClassName"] = "someone-else"
    c.api.request("PUT", kinds.GATEWAY.path(NS, "web"), body=gw)
    wait_for(lambda: get(c.api, dep_kind, NS, "web") is None, 30, "Deployment deleted after class change")
    for kind, name in (("Service", "web"), ("ConfigMap", "web-bootstrap"), ("Secret", "web-xds-tls")):
        assert get(c.api, kind_of({"apiVersion": "v1", "kind": kind}), NS, name) is None, kind
    # Back in our class, then deleted: without a garbage collector, the controller itself cleans up.
    gw = _gateway(c)
    gw["spec"]["gatewayClassName"] = "kgw"
    c.api.request("PUT", kinds.GATEWAY.path(NS, "web"), body=gw)
    wait_for(lambda: get(c.api, dep_kind, NS, "web"), 30, "Deployment back")
    c.api.request("DELETE", kinds.GATEWAY.path(NS, "web"))
    wait_for(lambda: get(c.api, dep_kind, NS, "web") is None, 30, "Deployment deleted with its Gateway")
    assert get(c.api, kinds.SERVICE, NS, "web") is None
