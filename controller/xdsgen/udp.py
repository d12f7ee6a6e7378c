"""UDP listeners (udp_proxy) and the per-UDPRoute clusters they send to.

udp_proxy forwards to one cluster, so a UDPRoute's weighted backendRefs become the localities of one EDS
cluster, each with its backendRef's weight (locality-weighted load balancing picks a locality, then an
endpoint in it). A session is one client address and port: its datagrams stay with the endpoint its first
one picked until the session is idle (udp_proxy's default, 60 s), which is the route's affinity."""
from __future__ import annotations

from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.core.v3 import address_pb2, base_pb2, udp_socket_config_pb2
from envoy.config.endpoint.v3 import endpoint_components_pb2 as ec
from envoy.config.endpoint.v3 import endpoint_pb2
from envoy.config.listener.v3 import listener_components_pb2 as lc
from envoy.config.listener.v3 import listener_pb2, udp_listener_config_pb2
from envoy.extensions.filters.udp.udp_proxy.v3 import route_pb2 as udp_route_pb2
from envoy.extensions.filters.udp.udp_proxy.v3 import udp_proxy_pb2
from google.protobuf import duration_pb2
from xds.type.matcher.v3 import matcher_pb2

from ..ir import UdpClusterIR, UdpListenerIR
from .accesslog import access_log
from .clusters import CONNECT_TIMEOUT_S
from .common import ads_source, packed
from .context import XdsContext
from .routes import INVALID_BACKEND_CLUSTER

UDP_PROXY_FILTER = "envoy.filters.udp_listener.udp_proxy"
UDP_ROUTE_ACTION = "envoy.extensions.filters.udp.udp_proxy.v3.Route"


def udp_proxy(ctx: XdsContext, ir: UdpListenerIR) -> udp_proxy_pb2.UdpProxyConfig:
    # The matcher with only on_no_match is udp_proxy's way to name its one cluster (`cluster` is deprecated).
    route = udp_route_pb2.Route(cluster=ir.cluster or INVALID_BACKEND_CLUSTER)
    action = matcher_pb2.Matcher.OnMatch(action={"name": "route", "typed_config": packed(route)})
    out = udp_proxy_pb2.UdpProxyConfig(stat_prefix=f"udp-{ir.bind_port}",
                                       matcher=matcher_pb2.Matcher(on_no_match=action))
    if ctx.ext is not None:
        out.access_log.extend(access_log(log, stream=True) for log in ctx.ext.access_logs)
    return out


def udp_listener(ctx: XdsContext, ir: UdpListenerIR) -> listener_pb2.Listener:
    return listener_pb2.Listener(
        name=ir.name,
        address=address_pb2.Address(socket_address=address_pb2.SocketAddress(
            protocol=address_pb2.SocketAddress.UDP, address=ir.bind_address, port_value=ir.bind_port)),
        udp_listener_config=udp_listener_config_pb2.UdpListenerConfig(
            downstream_socket_config=udp_socket_config_pb2.UdpSocketConfig()),
        listener_filters=[lc.ListenerFilter(name=UDP_PROXY_FILTER, typed_config=packed(udp_proxy(ctx, ir)))],
    )


def udp_cluster(ir: UdpClusterIR) -> cluster_pb2.Cluster:
    out = cluster_pb2.Cluster(
        name=ir.name, type=cluster_pb2.Cluster.EDS,
        eds_cluster_config=cluster_pb2.Cluster.EdsClusterConfig(eds_config=ads_source(), service_name=ir.name),
        connect_timeout=duration_pb2.Duration(seconds=CONNECT_TIMEOUT_S),
    )
    out.common_lb_config.locality_weighted_lb_config.SetInParent()
    return out


def udp_load_assignment(ir: UdpClusterIR) -> endpoint_pb2.ClusterLoadAssignment:
    return endpoint_pb2.ClusterLoadAssignment(cluster_name=ir.name, endpoints=[
        ec.LocalityLbEndpoints(
            locality=base_pb2.Locality(sub_zone=g.name), load_balancing_weight={"value": g.weight},
            lb_endpoints=[ec.LbEndpoint(endpoint=ec.Endpoint(address=address_pb2.Address(
                socket_address=address_pb2.SocketAddress(protocol=address_pb2.SocketAddress.UDP, address=e.address,
                                                         port_value=e.port)))) for e in g.endpoints])
        for g in ir.groups
    ])
