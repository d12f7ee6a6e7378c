import json
import subprocess

from kgw_controller.envoy import BootstrapOptions, bootstrap, find_envoy, node_id


def test_bootstrap_is_accepted_by_envoy(tmp_path):
    boot = bootstrap("team-a", "edge", BootstrapOptions(xds_port=18555, delta=False, max_heap_bytes=1 << 28))
    path = tmp_path / "b.json"
    path.write_text(json.dumps(boot))
    result = subprocess.run([find_envoy(), "--mode", "validate", "-c", str(path)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr[-2000:]
    assert boot["node"] == {"id": "kgw~team-a~edge", "cluster": "kgw~team-a~edge",
                            "metadata": {"gateway": "team-a/edge"}}
    assert boot["dynamic_resources"]["ads_config"]["api_type"] == "GRPC"
    assert boot["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"


def test_overload_manager_protects_heap_and_connections():
    om = bootstrap("ns", "gw", BootstrapOptions(max_downstream_connections=7))["overload_manager"]
    monitors = {m["name"]: m["typed_config"] for m in om["resource_monitors"]}
    assert monitors["envoy.resource_monitors.global_downstream_max_connections"][
        "max_active_downstream_connections"] == "7"
    actions = {a["name"]: a["triggers"][0]["threshold"]["value"] for a in om["actions"]}
    assert actions["envoy.overload_actions.shrink_heap"] < actions["envoy.overload_actions.stop_accepting_requests"]
    assert node_id("a", "b") == "kgw~a~b"
