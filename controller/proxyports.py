"""Which port a proxy listens on for a Gateway listener port.

In a cluster the proxy runs as a non-root user, which cannot bind ports below 1024 (an added
NET_BIND_SERVICE stays in the bounding set only: found by the cluster tier), so, as Envoy Gateway does, it
listens on the port + 10000 and the Gateway's Service maps the declared port to it. (+8000, kgateway's
choice, collides with a listener on 8080 beside one on 80, which the upstream conformance suite uses.) The translator
(`TranslateOptions.shift_privileged_ports`) and the deployer (container ports, Service targetPorts) both ask
here, so they always agree."""
from __future__ import annotations

PRIVILEGED_LIMIT = 1024
PRIVILEGED_SHIFT = 10000
# Ports a cluster proxy keeps for itself: Gateway listeners cannot use them there.
ADMIN_PORT = 19000  # Envoy's admin, loopback only
READY_PORT = 19001  # /ready (readiness and liveness probes), proxied to the admin endpoint of that name
METRICS_PORT = 19002  # /stats/prometheus for scrapers, proxied to the admin endpoint of that name
METRICS_PATH = "/stats/prometheus"
RESERVED = {ADMIN_PORT: "the proxy's admin port", READY_PORT: "the proxy's readiness port",
            METRICS_PORT: "the proxy's metrics port"}


def proxy_port(port: int, shift_privileged: bool = True) -> int:
    return port + PRIVILEGED_SHIFT if shift_privileged and port < PRIVILEGED_LIMIT else port
