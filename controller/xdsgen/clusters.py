"""EDS clusters (one per Service port) and their ClusterLoadAssignments.

A cluster whose settings change (TLS, HTTP/2, ...) is a new cluster to Envoy, which warms it until it gets its
ClusterLoadAssignment — but Envoy does not ask again for an assignment it already watches, so a change would
wait out the 15 s initial fetch timeout (envoyproxy/envoy#26749). So the assignment's name (the cluster's EDS
service name) is the cluster name while the cluster has the default settings, and the cluster name plus a
digest of its settings otherwise: a changed cluster asks for a new name, which is answered at once."""
from __future__ import annotations

import hashlib

from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.core.v3 import address_pb2
from envoy.config.endpoint.v3 import endpoint_components_pb2 as ec
from envoy.config.endpoint.v3 import endpoint_pb2
from google.protobuf import duration_pb2

from ..ir import ClusterIR
from .cluster_policy import HTTP_PROTOCOL_OPTIONS, apply_policy, protocol_options
from .common import ads_source
from .upstream_tls import upstream_tls_socket

CONNECT_TIMEOUT_S = 5


def _plain(name: str) -> cluster_pb2.Cluster:
    return cluster_pb2.Cluster(name=name, type=cluster_pb2.Cluster.EDS,
                               connect_timeout=duration_pb2.Duration(seconds=CONNECT_TIMEOUT_S))


def eds_name(out: cluster_pb2.Cluster) -> str:
    """The cluster's name with the default settings; else the name and a digest of the settings."""
    settings = cluster_pb2.Cluster()
    settings.CopyFrom(out)
    settings.ClearField("eds_cluster_config")
    if settings == _plain(out.name):
        return out.name
    return f"{out.name}~{hashlib.sha256(settings.SerializeToString(deterministic=True)).hexdigest()[:12]}"


def cluster(ir: ClusterIR) -> cluster_pb2.Cluster:
    out = _plain(ir.name)
    if ir.upstream_tls is not None:
        out.transport_socket.CopyFrom(upstream_tls_socket(ir.upstream_tls, ir.http2))
    # h2c / gRPC backends: HTTP/2 with prior knowledge (no upgrade dance); BackendConfigPolicy HTTP options
    opts = protocol_options(ir.http2, ir.policy)
    if opts is not None:
        out.typed_extension_protocol_options[HTTP_PROTOCOL_OPTIONS].Pack(opts)
    apply_policy(out, ir.policy, dns=False)
    out.eds_cluster_config.CopyFrom(cluster_pb2.Cluster.EdsClusterConfig(eds_config=ads_source(),
                                                                         service_name=eds_name(out)))
    return out


def load_assignment(ir: ClusterIR, name: str, named: bool = False) -> endpoint_pb2.ClusterLoadAssignment:
    """`name`: the cluster's EDS service name. `named`: each endpoint carries the Service's DNS name, which a
    route's auto_host_rewrite puts in Host (a TrafficPolicy `autoHostRewrite`; Envoy rewrites nothing for an
    endpoint without a host name)."""
    hostname = f"{ir.service_name}.{ir.service_namespace}.svc.cluster.local" if named else ""
    lb = [
        ec.LbEndpoint(endpoint=ec.Endpoint(hostname=hostname, address=address_pb2.Address(
            socket_address=address_pb2.SocketAddress(address=e.address, port_value=e.port))))
        for e in ir.endpoints
    ]
    return endpoint_pb2.ClusterLoadAssignment(
        cluster_name=name, endpoints=[ec.LocalityLbEndpoints(lb_endpoints=lb)] if lb else [])
