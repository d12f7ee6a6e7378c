"""EDS clusters (one per Service port) and their ClusterLoadAssignments."""
from __future__ import annotations

from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.core.v3 import address_pb2
from envoy.config.endpoint.v3 import endpoint_components_pb2 as ec
from envoy.config.endpoint.v3 import endpoint_pb2
from google.protobuf import duration_pb2

from ..ir import ClusterIR
from .listeners import ads_source

CONNECT_TIMEOUT_S = 5


def cluster(ir: ClusterIR) -> cluster_pb2.Cluster:
    return cluster_pb2.Cluster(
        name=ir.name,
        type=cluster_pb2.Cluster.EDS,
        eds_cluster_config=cluster_pb2.Cluster.EdsClusterConfig(eds_config=ads_source(), service_name=ir.name),
        connect_timeout=duration_pb2.Duration(seconds=CONNECT_TIMEOUT_S),
    )


def load_assignment(ir: ClusterIR) -> endpoint_pb2.ClusterLoadAssignment:
    lb = [
        ec.LbEndpoint(endpoint=ec.Endpoint(address=address_pb2.Address(
            socket_address=address_pb2.SocketAddress(address=e.address, port_value=e.port))))
        for e in ir.endpoints
    ]
    return endpoint_pb2.ClusterLoadAssignment(
        cluster_name=ir.name, endpoints=[ec.LocalityLbEndpoints(lb_endpoints=lb)] if lb else [])
