"""xDS type URLs and the order in which a change is pushed."""
from __future__ import annotations

_PREFIX = "type.googleapis.com/"
CLUSTER = _PREFIX + "envoy.config.cluster.v3.Cluster"
ENDPOINT = _PREFIX + "envoy.config.endpoint.v3.ClusterLoadAssignment"
LISTENER = _PREFIX + "envoy.config.listener.v3.Listener"
ROUTE = _PREFIX + "envoy.config.route.v3.RouteConfiguration"
SECRET = _PREFIX + "envoy.extensions.transport_sockets.tls.v3.Secret"
EXTENSION_CONFIG = _PREFIX + "envoy.config.core.v3.TypedExtensionConfig"

# Make-before-break: a listener or route must never point at a cluster, endpoint set, secret or filter config
# that Envoy has not received yet, so whatever is referenced goes first.
PUSH_ORDER = (CLUSTER, ENDPOINT, LISTENER, ROUTE, SECRET, EXTENSION_CONFIG)

# LDS and CDS are wildcard subscriptions (Envoy asks for "everything"); the others are asked for by name.
WILDCARD_TYPES = frozenset({CLUSTER, LISTENER})

SHORT_NAMES = {CLUSTER: "CDS", ENDPOINT: "EDS", LISTENER: "LDS", ROUTE: "RDS", SECRET: "SDS", EXTENSION_CONFIG: "ECDS"}


def short(type_url: str) -> str:
    return SHORT_NAMES.get(type_url, type_url.rsplit(".", 1)[-1])


def ordered(type_urls) -> list[str]:
    """Known types in push order, then unknown ones sorted, so ordering never depends on dict order."""
    known = [t for t in PUSH_ORDER if t in type_urls]
    return known + sorted(t for t in type_urls if t not in PUSH_ORDER)
