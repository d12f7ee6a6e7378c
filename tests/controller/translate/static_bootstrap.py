"""Turn to_xds output into a static Envoy bootstrap that `envoy --mode validate` can check.

Listeners keep their HCM but get the RouteConfiguration inline (RDS cannot be resolved offline);
clusters become STATIC with their ClusterLoadAssignment inline. Everything else is exactly what ADS sends.
"""
from __future__ import annotations

from envoy.config.bootstrap.v3 import bootstrap_pb2
from envoy.config.cluster.v3 import cluster_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2

from kgw_controller.xdsgen import CLUSTER, ENDPOINT, LISTENER, ROUTE


def static_bootstrap(resources: dict) -> bootstrap_pb2.Bootstrap:
    boot = bootstrap_pb2.Bootstrap()
    boot.node.id, boot.node.cluster = "validate", "validate"
    for name, lis in resources[LISTENER].items():
        copy = boot.static_resources.listeners.add()
        copy.CopyFrom(lis)
        for chain in copy.filter_chains:
            for flt in chain.filters:
                hcm = hcm_pb2.HttpConnectionManager()
                flt.typed_config.Unpack(hcm)
                rds_name = hcm.rds.route_config_name
                hcm.ClearField("rds")
                hcm.route_config.CopyFrom(resources[ROUTE][rds_name])
                flt.typed_config.Pack(hcm)
    for name, cluster in resources[CLUSTER].items():
        copy = boot.static_resources.clusters.add()
        copy.CopyFrom(cluster)
        copy.ClearField("eds_cluster_config")
        copy.type = cluster_pb2.Cluster.STATIC
        copy.load_assignment.CopyFrom(resources[ENDPOINT][name])
    return boot
