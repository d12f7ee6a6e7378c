"""Filter chains that forward whole connections (TLS and TCP listeners): tcp_proxy to weighted clusters.

A TLS chain is picked by SNI (the listener's TLS inspector reads it); in mode Terminate it decrypts with the
listener's certificates over SDS and forwards plain bytes, in mode Passthrough it forwards the encrypted
stream untouched. Invalid backendRefs keep their weight on a cluster that does not exist: tcp_proxy closes
those connections, so their share is refused as the spec asks. HTTPListenerPolicy access logs are written
per connection here (Envoy's TCP access log: no HTTP fields)."""
from __future__ import annotations

from envoy.config.core.v3 import base_pb2
from envoy.config.listener.v3 import listener_components_pb2 as lc
from envoy.extensions.filters.network.tcp_proxy.v3 import tcp_proxy_pb2
from envoy.extensions.transport_sockets.tls.v3 import secret_pb2, tls_pb2

from ..ir import L4RouteIR, StreamChainIR
from .accesslog import access_log
from .common import TLS_TRANSPORT_SOCKET, ads_source, packed
from .context import XdsContext
from .routes import INVALID_BACKEND_CLUSTER

TCP_PROXY_FILTER = "envoy.filters.network.tcp_proxy"


def tcp_proxy(ctx: XdsContext, route: L4RouteIR | None, stat_prefix: str) -> tcp_proxy_pb2.TcpProxy:
    out = tcp_proxy_pb2.TcpProxy(stat_prefix=stat_prefix)
    backends = route.backends if route is not None else []
    if len(backends) == 1:
        out.cluster = backends[0].cluster or INVALID_BACKEND_CLUSTER
    elif backends:
        out.weighted_clusters.clusters.extend(
            tcp_proxy_pb2.TcpProxy.WeightedCluster.ClusterWeight(name=b.cluster or INVALID_BACKEND_CLUSTER,
                                                                 weight=b.weight)
            for b in backends)
    else:  # nothing serves this listener or name (or every weight is 0): close the connection
        out.cluster = INVALID_BACKEND_CLUSTER
    if ctx.ext is not None:
        out.access_log.extend(access_log(log, stream=True) for log in ctx.ext.access_logs)
    return out


def stream_chain(ctx: XdsContext, bind_port: int, sc: StreamChainIR) -> lc.FilterChain:
    proxy = tcp_proxy(ctx, sc.route, f"tcp-{bind_port}")
    out = lc.FilterChain(name=sc.name, filters=[lc.Filter(name=TCP_PROXY_FILTER, typed_config=packed(proxy))])
    if sc.server_names:
        out.filter_chain_match.server_names.extend(sc.server_names)
    if sc.secrets:  # TLS Terminate: no ALPN, the backend gets the plain stream
        tls = tls_pb2.DownstreamTlsContext()
        tls.common_tls_context.tls_certificate_sds_secret_configs.extend(
            secret_pb2.SdsSecretConfig(name=name, sds_config=ads_source()) for name in sc.secrets)
        out.transport_socket.CopyFrom(base_pb2.TransportSocket(name=TLS_TRANSPORT_SOCKET, typed_config=packed(tls)))
    return out
