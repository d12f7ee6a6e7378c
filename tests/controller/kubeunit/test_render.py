"""Proxy objects rendered from a Gateway and GatewayParameters, and the small conversions of the kube source."""
import json

from kgw_controller.deployer.render import DeployOptions, merge_params, render
from kgw_controller.kube.kinds import to_v1_endpoint_slice
from kgw_controller.leader import _parse

GW = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
      "metadata": {"name": "web", "namespace": "demo", "uid": "u-1"},
      "spec": {"gatewayClassName": "kgw", "listeners": [{"name": "a", "port": 80, "protocol": "HTTP"},
                                                        {"name": "b", "port": 80, "protocol": "HTTP", "hostname": "x"},
                                                        {"name": "c", "port": 8443, "protocol": "HTTP"}]}}
OPTS = DeployOptions(xds_host="kgw.kgateway-system.svc", xds_port=9977, pdb_api_version="policy/v1beta1")


def _by_kind(objs):
    return {o["kind"]: o for o in objs}


def test_defaults_are_restrictive_and_complete():
    objs = _by_kind(render(GW, {}, {"ca.crt": "", "tls.crt": "", "tls.key": ""}, OPTS))
    assert set(objs) == {"ServiceAccount", "Secret", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget"}
    svc = objs["Service"]["spec"]
    assert svc["type"] == "LoadBalancer"
    # one Service port per distinct listener port, protocol explicit (server-side apply on 1.20 needs it)
    assert [(p["port"], p["protocol"]) for p in svc["ports"]] == [(80, "TCP"), (8443, "TCP")]
    # a non-root proxy cannot bind below 1024: port 80 is served on 10080 in the pod (controller/proxyports.py)
    assert [p["targetPort"] for p in svc["ports"]] == [10080, 8443]
    pod = objs["Deployment"]["spec"]["template"]["spec"]
    assert [p["containerPort"] for p in pod["containers"][0]["ports"]][:2] == [10080, 8443]
    sc = pod["containers"][0]["securityContext"]
    assert sc["capabilities"] == {"drop": ["ALL"]}  # no capability: port 80 is served on 10080 in the pod
    assert not sc["allowPrivilegeEscalation"] and pod["automountServiceAccountToken"] is False
    assert "replicas" not in objs["Deployment"]["spec"]  # unset: left to HPA / kubectl scale
    assert objs["PodDisruptionBudget"]["apiVersion"] == "policy/v1beta1"
    boot = json.loads(objs["ConfigMap"]["data"]["envoy.json"])
    xds = boot["static_resources"]["clusters"][0]
    assert xds["type"] == "STRICT_DNS" and xds["transport_socket"]["typed_config"]["sni"] == "kgw.kgateway-system.svc"
    assert all(o["metadata"]["ownerReferences"][0]["uid"] == "u-1" for o in objs.values())


def test_config_change_rolls_the_pods():
    a = _by_kind(render(GW, {}, {"tls.crt": "a"}, OPTS))["Deployment"]
    b = _by_kind(render(GW, {}, {"tls.crt": "b"}, OPTS))["Deployment"]
    key = "kgw.dev/config-checksum"
    annotations_a = a["spec"]["template"]["metadata"]["annotations"]
    annotations_b = b["spec"]["template"]["metadata"]["annotations"]
    assert annotations_a[key] != annotations_b[key]


def test_gateway_parameters_override_class_parameters():
    merged = merge_params({"kube": {"deployment": {"replicas": 1}, "podTemplate": {"extraLabels": {"a": "1"}}}},
                          {"kube": {"deployment": {"replicas": 4}}})
    assert merged == {"kube": {"deployment": {"replicas": 4}, "podTemplate": {"extraLabels": {"a": "1"}}}}
    dep = _by_kind(render(GW, merged, {}, OPTS))["Deployment"]
    assert dep["spec"]["replicas"] == 4 and dep["spec"]["template"]["metadata"]["labels"]["a"] == "1"


def test_native_data_plane_copies_the_module_into_the_proxy_pod():
    opts = DeployOptions(xds_host="x", xds_port=1, kgw_image="registry.example/kgw:1.2")
    wasm = _by_kind(render(GW, {}, {}, opts))["Deployment"]["spec"]["template"]["spec"]
    assert "initContainers" not in wasm  # the default (wasm) needs nothing on the proxy's filesystem
    merged = merge_params({"dataPlane": "Native"}, {"kube": {"deployment": {"replicas": 2}}})
    pod = _by_kind(render(GW, merged, {}, opts))["Deployment"]["spec"]["template"]["spec"]
    (init,) = pod["initContainers"]
    assert init["image"] == "registry.example/kgw:1.2" and init["command"][0] == "python"
    copy = init["command"][-1]
    assert "kgw_rules.native_module_path()" in copy and "/kgw-native/libkgw_rules.so" in copy
    assert init["securityContext"]["runAsNonRoot"] and init["securityContext"]["readOnlyRootFilesystem"]
    envoy = pod["containers"][0]
    assert {"name": "ENVOY_DYNAMIC_MODULES_SEARCH_PATH", "value": "/kgw-native"} in envoy["env"]
    mount = next(m for m in envoy["volumeMounts"] if m["name"] == "kgw-native")
    assert mount == {"name": "kgw-native", "mountPath": "/kgw-native", "readOnly": True}
    assert {"name": "kgw-native", "emptyDir": {"sizeLimit": "16Mi"}} in pod["volumes"]


def test_the_init_container_command_copies_this_machines_module(tmp_path):
    import subprocess
    import sys

    import kgw_rules
    merged = {"dataPlane": "Native"}
    pod = _by_kind(render(GW, merged, {}, OPTS))["Deployment"]["spec"]["template"]["spec"]
    command = pod["initContainers"][0]["command"]
    assert command[:2] == ["python", "-c"]
    # run the same Python (the kgw image's interpreter has kgw_rules installed, as this one does)
    subprocess.run([sys.executable, "-c", command[2].replace("/kgw-native", str(tmp_path))], check=True)
    assert (tmp_path / "libkgw_rules.so").read_bytes() == kgw_rules.native_module_path().read_bytes()


def test_v1beta1_endpoint_slice_becomes_v1():
    out = to_v1_endpoint_slice({"apiVersion": "discovery.k8s.io/v1beta1", "kind": "EndpointSlice",
                                "endpoints": [{"addresses": ["10.0.0.1"], "topology": {
                                    "kubernetes.io/hostname": "n1", "topology.kubernetes.io/zone": "z"}}]})
    assert out["apiVersion"] == "discovery.k8s.io/v1"
    assert out["endpoints"] == [{"addresses": ["10.0.0.1"], "nodeName": "n1", "zone": "z"}]


def test_lease_times_parse_with_and_without_micros():
    assert _parse("2024-01-01T00:00:01.500000Z").microsecond == 500000
    assert _parse("2024-01-01T00:00:01Z").second == 1 and _parse(None) is None


def test_a_listener_port_whose_proxy_port_is_taken_is_left_out():
    gw = {**GW, "spec": {**GW["spec"], "listeners": [
        {"name": "a", "port": 82, "protocol": "HTTP"}, {"name": "b", "port": 10082, "protocol": "HTTP"},
        {"name": "c", "port": 9000, "protocol": "HTTP"}]}}
    objs = _by_kind(render(gw, {}, {"tls.crt": "a"}, OPTS))
    assert [(p["port"], p["targetPort"]) for p in objs["Service"]["spec"]["ports"]] == [(82, 10082), (9000, 9000)]
    ports = objs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert [p["containerPort"] for p in ports if p["name"] not in ("ready", "metrics")] == [10082, 9000]


def test_infrastructure_labels_and_annotations_reach_every_object_and_the_pods():
    gw = {**GW, "spec": {**GW["spec"], "infrastructure": {
        "labels": {"key2": "value2", "gateway.networking.k8s.io/gateway-name": "spoofed"},
        "annotations": {"key1": "value1"}}}}
    objs = render(gw, {}, {}, OPTS)
    for o in objs:
        assert o["metadata"]["labels"]["key2"] == "value2", o["kind"]
        assert o["metadata"]["labels"]["gateway.networking.k8s.io/gateway-name"] == "web"  # ours win a clash
        assert o["metadata"]["annotations"]["key1"] == "value1", o["kind"]
    template = _by_kind(objs)["Deployment"]["spec"]["template"]["metadata"]
    assert template["labels"]["key2"] == "value2" and template["annotations"]["key1"] == "value1"
    # the selector stays kgw's own: a label change never orphans the running pods
    assert "key2" not in _by_kind(objs)["Deployment"]["spec"]["selector"]["matchLabels"]


def test_listener_set_ports_get_service_ports():
    svc = _by_kind(render(GW, {}, {}, OPTS, listener_set_ports=[(80, "HTTP"), (9000, "HTTP")]))["Service"]["spec"]
    assert [(p["port"], p["targetPort"]) for p in svc["ports"]] == [(80, 10080), (8443, 8443), (9000, 9000)]


def test_udp_listeners_get_udp_ports_beside_tcp_ones_of_the_same_number():
    gw = {**GW, "spec": {**GW["spec"], "listeners": [
        {"name": "dns-tcp", "port": 53, "protocol": "TCP"}, {"name": "dns", "port": 53, "protocol": "UDP"},
        {"name": "game", "port": 7777, "protocol": "UDP"}, {"name": "tls", "port": 443, "protocol": "TLS"}]}}
    objs = _by_kind(render(gw, {}, {"tls.crt": "a"}, OPTS))
    assert [(p["name"], p["port"], p["targetPort"], p["protocol"]) for p in objs["Service"]["spec"]["ports"]] == [
        ("p53", 53, 10053, "TCP"), ("p53-udp", 53, 10053, "UDP"), ("p7777-udp", 7777, 7777, "UDP"),
        ("p443", 443, 10443, "TCP")]
    ports = objs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert [(p["containerPort"], p["protocol"]) for p in ports if p["name"] not in ("ready", "metrics")] == [
        (10053, "TCP"), (10053, "UDP"), (7777, "UDP"), (10443, "TCP")]
