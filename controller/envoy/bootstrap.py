"""Envoy bootstrap for one Gateway: identity, ADS to the controller, loopback admin, overload protection, and
the stats tags that turn the rules filter's per-policy counter names into Prometheus labels."""
from __future__ import annotations

from dataclasses import dataclass

from kgw_rules.wire import stats as wire_stats


def node_id(namespace: str, name: str) -> str:
    return f"kgw~{namespace}~{name}"


@dataclass(frozen=True)
class BootstrapOptions:
    xds_host: str = "127.0.0.1"
    xds_port: int = 18000
    delta: bool = True  # Delta xDS: a change sends only the resources that changed
    admin_port: int = 0  # 0: ephemeral, read back from --admin-address-path
    max_heap_bytes: int = 1 << 30
    max_downstream_connections: int = 50_000


def bootstrap(namespace: str, name: str, opts: BootstrapOptions) -> dict:
    nid = node_id(namespace, name)
    ads_source = {"ads": {}, "resource_api_version": "V3"}
    return {
        # ECDS needs node.cluster too; one cluster per Gateway keeps stats and xDS identity aligned.
        "node": {"id": nid, "cluster": nid, "metadata": {"gateway": f"{namespace}/{name}"}},
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": opts.admin_port}}},
        "dynamic_resources": {
            "ads_config": {
                "api_type": "DELTA_GRPC" if opts.delta else "GRPC",
                "transport_api_version": "V3",
                "set_node_on_first_message_only": True,
                "grpc_services": [{"envoy_grpc": {"cluster_name": "kgw_xds"}}],
            },
            "lds_config": ads_source,
            "cds_config": ads_source,
        },
        "static_resources": {"clusters": [_xds_cluster(opts)]},
        "overload_manager": overload_manager(opts),
        # kgw_rules_<counter>{policy_kind, policy, route}: docs/data-plane.md, "Metrics"
        "stats_config": {"stats_tags": wire_stats.stats_tags()},
    }


def _xds_cluster(opts: BootstrapOptions) -> dict:
    return {
        "name": "kgw_xds",
        "type": "STATIC",
        "connect_timeout": "1s",
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "explicit_http_config": {"http2_protocol_options": {
                    # Keepalive pings notice a controller that vanished without closing the stream.
                    "connection_keepalive": {"interval": "10s", "timeout": "5s"}}},
            }
        },
        "load_assignment": {"cluster_name": "kgw_xds", "endpoints": [{"lb_endpoints": [{"endpoint": {
            "address": {"socket_address": {"address": opts.xds_host, "port_value": opts.xds_port}}}}]}]},
        # Reconnect quickly after a controller restart; Envoy keeps serving its last config meanwhile.
        "circuit_breakers": {"thresholds": [{"max_retries": 1_000}]},
    }


def overload_manager(opts: BootstrapOptions) -> dict:
    """Edge-safe defaults: under heap pressure first return memory, then stop taking new work."""
    heap = "envoy.resource_monitors.fixed_heap"
    return {
        "refresh_interval": "0.25s",
        "resource_monitors": [
            {"name": heap, "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig",
                "max_heap_size_bytes": str(opts.max_heap_bytes)}},
            {"name": "envoy.resource_monitors.global_downstream_max_connections", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3."
                         "DownstreamConnectionsConfig",
                "max_active_downstream_connections": str(opts.max_downstream_connections)}},
        ],
        "actions": [
            {"name": "envoy.overload_actions.shrink_heap",
             "triggers": [{"name": heap, "threshold": {"value": 0.90}}]},
            {"name": "envoy.overload_actions.disable_http_keepalive",
             "triggers": [{"name": heap, "threshold": {"value": 0.95}}]},
            {"name": "envoy.overload_actions.stop_accepting_requests",
             "triggers": [{"name": heap, "threshold": {"value": 0.98}}]},
        ],
    }
