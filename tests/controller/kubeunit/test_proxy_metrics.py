"""A cluster proxy serves /stats/prometheus on its own pod port (named `metrics`, annotated for scrapers)
while the admin interface stays on loopback: checked on the rendered objects and on a real Envoy running
the rendered bootstrap."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from kgw_controller.deployer.bootstrap import proxy_bootstrap
from kgw_controller.deployer.render import DeployOptions, render
from kgw_controller.envoy import find_envoy
from kgw_controller.proxyports import ADMIN_PORT, METRICS_PATH, METRICS_PORT, READY_PORT, RESERVED
from kgw_controller.xds_auth import CertAuthority
from tests.support.apiserver import free_port, spawn
from tests.support.procs import wait_http

GW = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
      "metadata": {"name": "web", "namespace": "demo", "uid": "u-1"},
      "spec": {"gatewayClassName": "kgw", "listeners": [{"name": "a", "port": 80, "protocol": "HTTP"}]}}
OPTS = DeployOptions(xds_host="127.0.0.1", xds_port=9)


def _objects(params: dict | None = None, tls: dict | None = None) -> dict:
    return {o["kind"]: o for o in render(GW, params or {}, tls or {"tls.crt": ""}, OPTS)}


def test_metrics_port_is_reserved_named_and_annotated():
    assert METRICS_PORT in RESERVED and len({ADMIN_PORT, READY_PORT, METRICS_PORT}) == 3
    pod = _objects()["Deployment"]["spec"]["template"]
    ports = {p["name"]: p["containerPort"] for p in pod["spec"]["containers"][0]["ports"]}
    assert ports["metrics"] == METRICS_PORT and ports["ready"] == READY_PORT
    assert ADMIN_PORT not in ports.values()
    ann = pod["metadata"]["annotations"]
    assert (ann["prometheus.io/scrape"], ann["prometheus.io/port"], ann["prometheus.io/path"]) == (
        "true", str(METRICS_PORT), METRICS_PATH)
    # GatewayParameters can turn scraping off (or point it elsewhere) per Gateway
    off = _objects({"kube": {"podTemplate": {"extraAnnotations": {"prometheus.io/scrape": "false"}}}})
    assert off["Deployment"]["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "false"


def test_bootstrap_exposes_only_the_metrics_and_ready_paths():
    boot = json.loads(_objects()["ConfigMap"]["data"]["envoy.json"])
    assert boot["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"
    routes = {}
    for lis in boot["static_resources"]["listeners"]:
        hcm = lis["filter_chains"][0]["filters"][0]["typed_config"]
        routes[lis["address"]["socket_address"]["port_value"]] = [
            r["match"] for vh in hcm["route_config"]["virtual_hosts"] for r in vh["routes"]]
    assert routes == {READY_PORT: [{"path": "/ready"}], METRICS_PORT: [{"path": METRICS_PATH}]}


@pytest.mark.e2e
def test_real_envoy_serves_prometheus_text_on_the_metrics_port_and_nothing_else(tmp_path):
    """The pod's bootstrap with loopback ports of its own (the fixed ones may be taken on this machine)."""
    ca = CertAuthority.generate()
    cert, key = ca.issue("kgw~demo~web")
    for name, data in (("ca.crt", ca.cert_pem), ("tls.crt", cert), ("tls.key", key)):
        (tmp_path / name).write_bytes(data)
    admin, ready, metrics = free_port(), free_port(), free_port()
    boot = proxy_bootstrap("demo", "web", "127.0.0.1", 9, cert_dir=str(tmp_path), admin_port=admin,
                           ready_port=ready, metrics_port=metrics)
    for source in ("lds_config", "cds_config"):  # no controller here: do not wait 15 s for each type
        boot["dynamic_resources"][source]["initial_fetch_timeout"] = "0.1s"
    for lis in boot["static_resources"]["listeners"]:
        lis["address"]["socket_address"]["address"] = "127.0.0.1"
    (tmp_path / "envoy.json").write_text(json.dumps(boot))
    envoy = spawn([find_envoy(), "-c", str(tmp_path / "envoy.json"), "-l", "warning", "--base-id",
                   str(free_port())], tmp_path / "envoy.log")
    try:
        base = f"http://127.0.0.1:{metrics}"
        status, headers, body = wait_http(base + METRICS_PATH, 30)
        assert status == 200 and "text/plain" in headers["content-type"]
        assert b"# TYPE envoy_server_live gauge" in body
        # the admin's query parameters pass through (Prometheus may ask for a filtered scrape)
        _, _, only = wait_http(base + METRICS_PATH + "?filter=server.live", 5)
        assert b"envoy_server_live" in only and b"envoy_cluster_" not in only
        for path in ("/config_dump", "/quitquitquit", "/stats", "/ready"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(base + path, timeout=5)
            assert err.value.code == 404, path
        assert wait_http(f"http://127.0.0.1:{ready}/ready", 5)[0] == 200
    finally:
        envoy.terminate()
        envoy.wait(10)
