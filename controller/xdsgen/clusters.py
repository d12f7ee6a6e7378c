"""EDS clusters (one per Service port) and their ClusterLoadAssignments."""
from __future__ import annotations

from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.core.v3 import address_pb2
from envoy.config.endpoint.v3 import endpoint_components_pb2 as ec
from envoy.config.endpoint.v3 import endpoint_pb2
from google.protobuf import duration_pb2

from ..ir import ClusterIR
from .cluster_policy import HTTP_PROTOCOL_OPTIONS, apply_policy, protocol_options
from .common import ads_source

CONNECT_TIMEOUT_S = 5


def cluster(ir: ClusterIR) -> cluster_pb2.Cluster:
    out = cluster_pb2.Cluster(
        name=ir.name,
        type=cluster_pb2.Cluster.EDS,
        eds_cluster_config=cluster_pb2.Cluster.EdsClusterConfig(eds_config=ads_source(), service_name=ir.name),
        connect_timeout=duration_pb2.Duration(seconds=CONNECT_TIMEOUT_S),
    )
    # h2c / gRPC backends: HTTP/2 with prior knowledge (no TLS, no upgrade dance)
    opts = protocol_options(ir.http2, ir.policy)
    if opts is not None:
        out.typed_extension_protocol_options[HTTP_PROTOCOL_OPTIONS].Pack(opts)
    apply_policy(out, ir.policy, dns=False)
    return out


def load_assignment(ir: ClusterIR, named: bool = False) -> endpoint_pb2.ClusterLoadAssignment:
    """`named`: each endpoint carries the Service's DNS name, which a route's auto_host_rewrite puts in Host
    (a TrafficPolicy `autoHostRewrite`; Envoy rewrites nothing for an endpoint without a host name)."""
    hostname = f"{ir.service_name}.{ir.service_namespace}.svc.cluster.local" if named else ""
    lb = [
        ec.LbEndpoint(endpoint=ec.Endpoint(hostname=hostname, address=address_pb2.Address(
            socket_address=address_pb2.SocketAddress(address=e.address, port_value=e.port))))
        for e in ir.endpoints
    ]
    return endpoint_pb2.ClusterLoadAssignment(
        cluster_name=ir.name, endpoints=[ec.LocalityLbEndpoints(lb_endpoints=lb)] if lb else [])
