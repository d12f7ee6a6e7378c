"""Turn to_xds output into a static Envoy bootstrap that `envoy --mode validate` can check.

Listeners keep their HCM but get the RouteConfiguration inline (RDS cannot be resolved offline; tcp_proxy and
udp_proxy chains are kept as they are);
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
from kgw_controller.xdsgen.listeners import HCM_FILTER


def static_bootstrap(resources: dict) -> bootstrap_pb2.Bootstrap:
    boot = bootstrap_pb2.Bootstrap()
    boot.node.id, boot.node.cluster = "validate", "validate"
    for lis in resources[LISTENER].values():
        copy = boot.static_resources.listeners.add()
        copy.CopyFrom(lis)
        for chain in copy.filter_chains:
            for flt in chain.filters:
                if flt.name != HCM_FILTER:  # tcp_proxy (TLS, TCP listeners): nothing to inline
                    continue
                hcm = hcm_pb2.HttpConnectionManager()
                flt.typed_config.Unpack(hcm)
                rds_name = hcm.rds.route_config_name  # HTTPS: one per filter chain
                hcm.ClearField("rds")
                hcm.route_config.CopyFrom(resources[ROUTE][rds_name])
                flt.typed_config.Pack(hcm)
    for cluster in resources[CLUSTER].values():
        copy = boot.static_resources.clusters.add()
        copy.CopyFrom(cluster)
        if cluster.type != cluster_pb2.Cluster.EDS:  # a kgateway Backend: its endpoints are inline already
            continue
        copy.ClearField("eds_cluster_config")
        copy.type = cluster_pb2.Cluster.STATIC
        copy.load_assignment.CopyFrom(resources[ENDPOINT][cluster.eds_cluster_config.service_name])
    if resources.get(SECRET):
        _static_secrets(boot, resources[SECRET])
    return boot


def _static_secrets(boot, secrets: dict) -> None:
    """SDS over ADS cannot be resolved offline: the secrets become static ones of the same names, exactly as
    SDS would send them (so Envoy checks their PEM too), and the TLS contexts (listeners' and clusters') name
    them."""
    boot.static_resources.secrets.extend(secrets.values())
    for lis in boot.static_resources.listeners:
        for chain in lis.filter_chains:
            if chain.HasField("transport_socket"):
                _name_static(chain.transport_socket, tls_pb2.DownstreamTlsContext(), secrets, chain.name)
    for cluster in boot.static_resources.clusters:
        if cluster.HasField("transport_socket"):
            _inline(cluster.transport_socket, secrets, cluster.name)


def _inline(socket, secrets: dict, where: str) -> None:
    """A static cluster whose TLS context names a static secret crashes Envoy at start (client certificates and
    combined validation contexts; envoyproxy/envoy#15517, #19618): clusters get the secrets' contents inline.
    Over ADS the clusters are dynamic and name SDS secrets, which the conformance tier runs for real."""
    ctx = tls_pb2.UpstreamTlsContext()
    socket.typed_config.Unpack(ctx)
    common = ctx.common_tls_context
    for sds in common.tls_certificate_sds_secret_configs:
        assert sds.name in secrets, f"{where} names unknown secret {sds.name}"
        common.tls_certificates.add().CopyFrom(secrets[sds.name].tls_certificate)
    common.ClearField("tls_certificate_sds_secret_configs")
    if common.HasField("combined_validation_context"):
        combined = common.combined_validation_context
        name = combined.validation_context_sds_secret_config.name
        assert name in secrets, f"{where} names unknown secret {name}"
        merged = type(combined.default_validation_context)()
        merged.CopyFrom(secrets[name].validation_context)
        merged.MergeFrom(combined.default_validation_context)
        common.validation_context.CopyFrom(merged)  # the oneof: replaces the combined one
    socket.typed_config.Pack(ctx)


def _name_static(socket, ctx, secrets: dict, where: str) -> None:
    socket.typed_config.Unpack(ctx)
    common = ctx.common_tls_context
    configs = list(common.tls_certificate_sds_secret_configs)
    if common.HasField("validation_context_sds_secret_config"):
        configs.append(common.validation_context_sds_secret_config)
    if common.HasField("combined_validation_context"):
        configs.append(common.combined_validation_context.validation_context_sds_secret_config)
    for sds in configs:
        assert sds.name in secrets, f"{where} names unknown secret {sds.name}"
        sds.ClearField("sds_config")  # a bare name means a static secret
    socket.typed_config.Pack(ctx)


@functools.lru_cache(maxsize=1)
def throwaway_certificate() -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", f"{tmp}/k", "-out", f"{tmp}/c", "-days", "1", "-subj", "/CN=validate"],
                       check=True, capture_output=True)
        return pathlib.Path(f"{tmp}/c").read_text(), pathlib.Path(f"{tmp}/k").read_text()
