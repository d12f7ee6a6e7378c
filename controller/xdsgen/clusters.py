"""EDS clusters (one per Service port) and their ClusterLoadAssignments."""
from __future__ import annotations

from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.core.v3 import address_pb2
from envoy.config.endpoint.v3 import endpoint_components_pb2 as ec
from envoy.config.endpoint.v3 import endpoint_pb2
from envoy.extensions.upstreams.http.v3 import http_protocol_options_pb2 as hpo
from google.protobuf import duration_pb2

from ..ir import ClusterIR
from .common import ads_source

CONNECT_TIMEOUT_S = 5


HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"


def cluster(ir: ClusterIR) -> cluster_pb2.Cluster:
    out = cluster_pb2.Cluster(
        name=ir.name,
        type=cluster_pb2.Cluster.EDS,
        eds_cluster_config=cluster_pb2.Cluster.EdsClusterConfig(eds_config=ads_source(), service_name=ir.name),
        connect_timeout=duration_pb2.Duration(seconds=CONNECT_TIMEOUT_S),
    )
    if ir.http2:  # h2c / gRPC backends: HTTP/2 with prior knowledge (no TLS, no upgrade dance)
        opts = hpo.HttpProtocolOptions()
        opts.explicit_http_config.http2_protocol_options.SetInParent()
        out.typed_extension_protocol_options[HTTP_PROTOCOL_OPTIONS].Pack(opts)
    return out


def load_assignment(ir: ClusterIR) -> endpoint_pb2.ClusterLoadAssignment:
    lb = [
        ec.LbEndpoint(endpoint=ec.Endpoint(address=address_pb2.Address(
            socket_address=address_pb2.SocketAddress(address=e.address, port_value=e.port))))
        for e in ir.endpoints
    ]
    return endpoint_pb2.ClusterLoadAssignment(
        cluster_name=ir.name, endpoints=[ec.LocalityLbEndpoints(lb_endpoints=lb)] if lb else [])
