"""The bootstrap a proxy pod runs: the `kgw up` bootstrap plus mTLS to the controller's xDS endpoint (by DNS
name in a cluster), a fixed loopback admin port, a readiness listener the kubelet can probe and a metrics
listener Prometheus can scrape. Each of the two serves exactly one admin path: the rest of the admin
interface (config dumps, /quitquitquit, log levels) stays on loopback."""
from __future__ import annotations

from ..envoy import BootstrapOptions, bootstrap
from ..netaddr import is_ip
from ..proxyports import ADMIN_PORT, METRICS_PATH, METRICS_PORT, READY_PORT  # render.py takes them from here too

CERT_DIR = "/etc/kgw/xds-tls"  # the Gateway's xDS client Secret is mounted here (tls.crt, tls.key, ca.crt)


def _tls(host: str, cert_dir: str) -> dict:
    san = {"san_type": "IP_ADDRESS" if is_ip(host) else "DNS", "matcher": {"exact": host}}
    return {"name": "envoy.transport_sockets.tls", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
        **({} if is_ip(host) else {"sni": host}),
        "common_tls_context": {
            "alpn_protocols": ["h2"],
            "tls_certificates": [{"certificate_chain": {"filename": f"{cert_dir}/tls.crt"},
                                  "private_key": {"filename": f"{cert_dir}/tls.key"}}],
            "validation_context": {"trusted_ca": {"filename": f"{cert_dir}/ca.crt"},
                                   "match_typed_subject_alt_names": [san]},
        }}}


def _admin_path_listener(name: str, port: int, path: str) -> dict:
    """A pod-port listener that proxies one admin path (query string kept) to the loopback admin; any other
    path gets Envoy's 404."""
    route = {"match": {"path": path}, "route": {"cluster": "kgw_admin"}}
    return {"name": name, "address": {"socket_address": {"address": "0.0.0.0", "port_value": port}},
            "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3."
                         "HttpConnectionManager",
                "stat_prefix": name,
                "route_config": {"virtual_hosts": [{"name": name, "domains": ["*"], "routes": [route]}]},
                "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}]}}]}]}


def proxy_bootstrap(namespace: str, name: str, xds_host: str, xds_port: int, *, cert_dir: str = CERT_DIR,
                    admin_port: int = ADMIN_PORT, ready_port: int = READY_PORT, metrics_port: int = METRICS_PORT,
                    delta: bool = True) -> dict:
    boot = bootstrap(namespace, name, BootstrapOptions(xds_host=xds_host, xds_port=xds_port, delta=delta,
                                                       admin_port=admin_port))
    xds = boot["static_resources"]["clusters"][0]
    xds["transport_socket"] = _tls(xds_host, cert_dir)
    if not is_ip(xds_host):
        xds["type"] = "STRICT_DNS"  # the controller Service's DNS name
        xds["dns_lookup_family"] = "V4_PREFERRED"
    admin = {"name": "kgw_admin", "type": "STATIC", "connect_timeout": "1s", "load_assignment": {
        "cluster_name": "kgw_admin", "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {
            "socket_address": {"address": "127.0.0.1", "port_value": admin_port}}}}]}]}}
    boot["static_resources"]["clusters"].append(admin)
    boot["static_resources"]["listeners"] = [_admin_path_listener("kgw_ready", ready_port, "/ready"),
                                             _admin_path_listener("kgw_metrics", metrics_port, METRICS_PATH)]
    return boot
