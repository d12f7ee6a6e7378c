"""Turn to_xds output into a static Envoy bootstrap that `envoy --mode validate` can check.

Listeners keep their HCM but get the RouteConfiguration inline (RDS cannot be resolved offline);
clusters become STATIC with their ClusterLoadAssignment inline. Everything else is exactly what ADS sends.
"""
from __future__ import annotations

import functools
import pathlib
import subprocess
import tempfile

from envoy.config.bootstrap.v3 import bootstrap_pb2
from envoy.config.cluster.v3 import cluster_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.extensions.transport_sockets.tls.v3 import tls_pb2

from kgw_controller.xdsgen import CLUSTER, ENDPOINT, LISTENER, ROUTE, SECRET


def static_bootstrap(resources: dict) -> bootstrap_pb2.Bootstrap:
    boot = bootstrap_pb2.Bootstrap()
    boot.node.id, boot.node.cluster = "validate", "validate"
    for lis in resources[LISTENER].values():
        copy = boot.static_resources.listeners.add()
        copy.CopyFrom(lis)
        for chain in copy.filter_chains:
            for flt in chain.filters:
                hcm = hcm_pb2.HttpConnectionManager()
                flt.typed_config.Unpack(hcm)
                rds_name = hcm.rds.route_config_name  # HTTPS: one per filter chain
                hcm.ClearField("rds")
                hcm.route_config.CopyFrom(resources[ROUTE][rds_name])
                flt.typed_config.Pack(hcm)
    if resources.get(SECRET):
        _static_secrets(boot, resources[SECRET])
    for name, cluster in resources[CLUSTER].items():
        copy = boot.static_resources.clusters.add()
        copy.CopyFrom(cluster)
        if cluster.type != cluster_pb2.Cluster.EDS:
            continue  # a kgateway Backend: its endpoints are inline already
        copy.ClearField("eds_cluster_config")
        copy.type = cluster_pb2.Cluster.STATIC
        copy.load_assignment.CopyFrom(resources[ENDPOINT][name])
    return boot


def _static_secrets(boot, secrets: dict) -> None:
    """SDS over ADS cannot be resolved offline: the secrets become static ones of the same names, exactly as
    SDS would send them (so Envoy checks their PEM too), and the TLS contexts name them."""
    boot.static_resources.secrets.extend(secrets.values())
    for lis in boot.static_resources.listeners:
        for chain in lis.filter_chains:
            if not chain.HasField("transport_socket"):
                continue
            ctx = tls_pb2.DownstreamTlsContext()
            chain.transport_socket.typed_config.Unpack(ctx)
            for sds in ctx.common_tls_context.tls_certificate_sds_secret_configs:
                assert sds.name in secrets, f"filter chain {chain.name} names unknown secret {sds.name}"
                sds.ClearField("sds_config")  # a bare name means a static secret
            chain.transport_socket.typed_config.Pack(ctx)


@functools.lru_cache(maxsize=1)
def throwaway_certificate() -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", f"{tmp}/k", "-out", f"{tmp}/c", "-days", "1", "-subj", "/CN=validate"],
                       check=True, capture_output=True)
        return pathlib.Path(f"{tmp}/c").read_text(), pathlib.Path(f"{tmp}/k").read_text()
