"""kgateway Backends as clusters: STATIC or STRICT_DNS (optional TLS); a Lambda Backend's cluster carries the
metadata the aws_lambda filter requires (httpfilters/aws_lambda.py)."""
from __future__ import annotations

from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.core.v3 import address_pb2
from envoy.config.endpoint.v3 import endpoint_components_pb2 as ec
from envoy.config.endpoint.v3 import endpoint_pb2
from envoy.extensions.transport_sockets.tls.v3 import tls_pb2
from envoy.extensions.upstreams.http.v3 import http_protocol_options_pb2 as hpo
from google.protobuf import duration_pb2, struct_pb2

from ..ir_ext import BackendClusterIR
from .cluster_policy import HTTP_PROTOCOL_OPTIONS, apply_policy, protocol_options
from .httpfilters.aws_lambda import CLUSTER_METADATA as LAMBDA_METADATA


def backend_cluster(b: BackendClusterIR) -> cluster_pb2.Cluster:
    lb = [ec.LbEndpoint(endpoint=ec.Endpoint(address=address_pb2.Address(
        socket_address=address_pb2.SocketAddress(address=h, port_value=p)))) for h, p in b.hosts]
    out = cluster_pb2.Cluster(
        name=b.name, type=cluster_pb2.Cluster.STRICT_DNS if b.dns else cluster_pb2.Cluster.STATIC,
        connect_timeout=duration_pb2.Duration(seconds=5),
        load_assignment=endpoint_pb2.ClusterLoadAssignment(cluster_name=b.name,
                                                           endpoints=[ec.LocalityLbEndpoints(lb_endpoints=lb)]),
    )
    if b.tls:
        tls = tls_pb2.UpstreamTlsContext(sni=b.sni)
        if b.http2:  # gRPC over TLS negotiates h2
            tls.common_tls_context.alpn_protocols.append("h2")
        out.transport_socket.name = "envoy.transport_sockets.tls"
        out.transport_socket.typed_config.Pack(tls)
    if b.http2:
        opts = hpo.HttpProtocolOptions()
        opts.explicit_http_config.http2_protocol_options.SetInParent()
        out.typed_extension_protocol_options[HTTP_PROTOCOL_OPTIONS].Pack(opts)
    if b.lambda_ is not None:
        meta = struct_pb2.Struct()
        meta.update({"egress_gateway": True})
        out.metadata.filter_metadata[LAMBDA_METADATA].CopyFrom(meta)
    opts = protocol_options(b.http2, b.policy)
    if opts is not None:
        out.typed_extension_protocol_options[HTTP_PROTOCOL_OPTIONS].Pack(opts)
    apply_policy(out, b.policy, dns=b.dns)
    return out
