"""Property: for random valid Gateways, listeners, hostnames and routes, Envoy accepts every snapshot kgw generates.

Each example is a few independent worlds (xds_strategies.world); each world is parsed, translated and turned into
xDS like `kgw up` does, and every Gateway's resources are checked by a real `envoy --mode validate`. One Envoy run
checks all the snapshots of an example (an Envoy start costs ~0.2 s; a snapshot's check ~1 ms): each snapshot
keeps its own listeners (renamed, moved to an address of its own), clusters (renamed: routes never require their
clusters, validate_clusters is false) and route tables, so one snapshot cannot hide or cause another's refusal.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest
import yaml
from envoy.config.bootstrap.v3 import bootstrap_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from static_bootstrap import static_bootstrap, throwaway_certificate
from xds_strategies import GW_API, VARIED, fixed_objects, world
from xds_strategies_telemetry import KGW_API

from kgw_controller.sources.files import parse_files
from kgw_controller.translate import translate
from kgw_controller.xdsgen import to_xds
from kgw_controller.xdsgen.listeners import HCM_FILTER

ENVOY = shutil.which("envoy") or os.path.join(os.path.dirname(sys.executable), "envoy")
WORLDS_PER_EXAMPLE = 5

# ~20 s alone, ~35 s next to the rest of the suite on 2 cores
pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(ENVOY), reason="envoy binary not installed")]


def snapshots(docs: list[dict]) -> dict:
    """{gateway key: xDS resources} for one world, through the same parse and translate as `kgw up`."""
    resources, errors = parse_files({"world.yaml": yaml.safe_dump_all(docs)})
    assert not errors, f"the strategy made an invalid input: {[str(e) for e in errors]}"
    return {key: to_xds(ir) for key, ir in translate(resources).gateways.items()}


def merged_bootstrap(batch: list[dict]) -> bootstrap_pb2.Bootstrap:
    """One bootstrap holding every snapshot of `batch` ({label: resources}), each in its own namespace."""
    out = bootstrap_pb2.Bootstrap()
    out.node.id = out.node.cluster = "property"
    secrets: set[str] = set()
    shared: set[str] = set()  # telemetry clusters: the same fixed Services in every world, referenced by name
    for i, (label, resources) in enumerate(batch.items()):
        boot = static_bootstrap(resources)
        addresses: dict[str, str] = {}
        for lis in boot.static_resources.listeners:
            sa = lis.address.socket_address
            sa.address = addresses.setdefault(sa.address, f"127.{100 + i}.0.{len(addresses) + 1}")
            lis.name = f"{label}|{lis.name}"
            for chain in lis.filter_chains:  # Envoy names the route table it refuses: say whose it is
                for flt in chain.filters:
                    if flt.name != HCM_FILTER:
                        continue
                    hcm = hcm_pb2.HttpConnectionManager()
                    flt.typed_config.Unpack(hcm)
                    hcm.route_config.name = f"{label}|{hcm.route_config.name}"
                    flt.typed_config.Pack(hcm)
        for cluster in boot.static_resources.clusters:
            if cluster.name.startswith("telemetry/"):  # access logs and tracers name it: one copy serves all
                if cluster.name not in shared:
                    shared.add(cluster.name)
                    out.static_resources.clusters.append(cluster)
                continue
            cluster.name = cluster.load_assignment.cluster_name = f"{label}|{cluster.name}"
            out.static_resources.clusters.append(cluster)
        out.static_resources.listeners.extend(boot.static_resources.listeners)
        # every world's Secrets hold the same test certificate, so one copy per name serves all
        out.static_resources.secrets.extend(s for s in boot.static_resources.secrets if s.name not in secrets)
        secrets.update(s.name for s in boot.static_resources.secrets)
    return out


def envoy_validate(boot: bootstrap_pb2.Bootstrap, path) -> subprocess.CompletedProcess:
    path.write_text(json_format.MessageToJson(boot))
    return subprocess.run([ENVOY, "--mode", "validate", "-c", str(path), "-l", "error"],
                          capture_output=True, text=True, timeout=60)


@settings(max_examples=int(os.environ.get("KGW_PROPERTY_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(worlds=st.lists(world(throwaway_certificate()), min_size=WORLDS_PER_EXAMPLE, max_size=WORLDS_PER_EXAMPLE))
def test_envoy_accepts_every_generated_snapshot(worlds, tmp_path):
    batch = {f"w{w}/{key}": res for w, docs in enumerate(worlds) for key, res in snapshots(docs).items()}
    if not batch:
        return
    proc = envoy_validate(merged_bootstrap(batch), tmp_path / "bootstrap.json")
    failing = [label for label in batch if label in proc.stdout + proc.stderr]
    worlds_text = "\n".join(f"# world w{w}\n" + yaml.safe_dump_all([d for d in docs if d["kind"] in VARIED])
                            for w, docs in enumerate(worlds))
    assert proc.returncode == 0, f"Envoy refused a snapshot ({failing}):\n{proc.stdout}\n{proc.stderr}\n{worlds_text}"


def test_merged_bootstrap_keeps_every_snapshot_apart():
    # The same world twice: both copies' listeners are there, each on an address of its own, clusters renamed.
    gw = {"apiVersion": GW_API, "kind": "Gateway", "metadata": {"name": "g1", "namespace": "default"},
          "spec": {"gatewayClassName": "kgw", "listeners": [{"name": "a", "port": 80, "protocol": "HTTP"},
                                                            {"name": "b", "port": 8080, "protocol": "HTTP"}]}}
    route = {"apiVersion": GW_API, "kind": "HTTPRoute", "metadata": {"name": "r", "namespace": "default"},
             "spec": {"parentRefs": [{"name": "g1"}], "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}}
    docs = [*fixed_objects(), gw, route]
    batch = {f"w{w}/{k}": r for w in (0, 1) for k, r in snapshots(docs).items()}
    boot = merged_bootstrap(batch)
    assert sorted(lis.name for lis in boot.static_resources.listeners) == [
        "w0/default/g1|127.0.0.1:80", "w0/default/g1|127.0.0.1:8080",
        "w1/default/g1|127.0.0.1:80", "w1/default/g1|127.0.0.1:8080"]
    assert sorted({lis.address.socket_address.address for lis in boot.static_resources.listeners}) == [
        "127.100.0.1", "127.101.0.1"]
    assert sorted(c.name for c in boot.static_resources.clusters) == ["w0/default/g1|default/web/80",
                                                                      "w1/default/g1|default/web/80"]
    assert envoy_validate(boot, pathlib.Path(tempfile.mkdtemp()) / "b.json").returncode == 0


def test_merged_bootstrap_shares_telemetry_clusters(tmp_path):
    # Two worlds logging and tracing to the same collector Service: its telemetry/ cluster is kept once, under
    # its own name, so both worlds' access logs and tracers still find it.
    gw = {"apiVersion": GW_API, "kind": "Gateway", "metadata": {"name": "g1", "namespace": "default"},
          "spec": {"gatewayClassName": "kgw", "listeners": [{"name": "a", "port": 80, "protocol": "HTTP"}]}}
    collector = {"backendRef": {"name": "api", "port": 80}}
    policy = {"apiVersion": KGW_API, "kind": "HTTPListenerPolicy", "metadata": {"name": "t", "namespace": "default"},
              "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "g1"}],
                       "accessLog": [{"grpcService": {**collector, "logName": "kgw"}}],
                       "tracing": {"provider": {"openTelemetry": {"grpcService": collector}}}}}
    docs = [*fixed_objects(), gw, policy]
    batch = {f"w{w}/{k}": r for w in (0, 1) for k, r in snapshots(docs).items()}
    boot = merged_bootstrap(batch)
    assert [c.name for c in boot.static_resources.clusters] == ["telemetry/default/api/80"]
    assert len(boot.static_resources.listeners) == 2
    assert envoy_validate(boot, tmp_path / "b.json").returncode == 0
