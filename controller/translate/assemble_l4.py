"""Placements of TLSRoutes, TCPRoutes and UDPRoutes -> stream chains (TLS, TCP), UDP listeners, UDP clusters.

- TCP: one chain serving the oldest route attached to the listener (routes attached later are accepted and
  counted, and take over when it goes, as the upstream suite expects).
- TLS: one chain per SNI name. A name is every hostname a route serves on the listener (the intersection of
  route and listener hostnames) plus the listener's own hostname (a chain that closes connections, so a name
  no route serves is refused there rather than caught by a wider listener). A name belongs to the most
  specific listener of the port covering it, HTTPS ones included (listener isolation), and to the oldest
  route claiming it.
- UDP: udp_proxy to one cluster per route, whose localities are the backendRefs, weighted.
"""
from __future__ import annotations

from collections.abc import Callable

from ..ir import EndpointGroupIR, EndpointIR, L4RouteIR, StreamChainIR, UdpClusterIR, UdpListenerIR
from .attach import Placement
from .backends import ResolvedBackend
from .gateways import ListenerState
from .hostnames import matches
from .l4routes import L4RouteEntry

EndpointsOf = Callable[[str, ResolvedBackend], list[EndpointIR]]  # (cluster name, backend) -> ready endpoints


def _placed(listeners: list[ListenerState], placements: list[Placement]
            ) -> list[tuple[ListenerState, L4RouteEntry, list[str]]]:
    """The L4 routes placed on `listeners` (listener, entry, hostnames served), oldest route first."""
    out = []
    for p in placements:
        entry = p.entry
        if isinstance(entry, L4RouteEntry) and any(p.listener is ls for ls in listeners):
            out.append((p.listener, entry, p.hostnames))
    return sorted(out, key=lambda x: x[1].order)


def _oldest(listener: ListenerState, placements: list[Placement]) -> L4RouteEntry | None:
    placed = _placed([listener], placements)
    return placed[0][1] if placed else None


def _owner(group: list[ListenerState], host: str) -> ListenerState | None:
    """The listener of the port that owns `host`: `group` is sorted most specific first."""
    return next((ls for ls in group if not ls.spec.hostname or matches(ls.spec.hostname, host)), None)


def stream_chains(name: str, port_group: list[ListenerState], placements: list[Placement],
                  clusters: dict[str, ResolvedBackend]) -> list[StreamChainIR]:
    """The chains of the TLS or TCP listeners in `port_group` (one port, sorted most specific first, HTTPS
    listeners included for hostname ownership); adds the clusters they forward to."""
    streams = [ls for ls in port_group if ls.spec.protocol in ("TLS", "TCP")]
    if streams and streams[0].spec.protocol == "TCP":  # TCP never shares a port: one listener
        ls = streams[0]
        return [StreamChainIR(f"{name}/{ls.key}", ls.key, [], route=_route(_oldest(ls, placements), clusters))]
    claims: dict[str, tuple[ListenerState, L4RouteEntry | None]] = {}
    for ls, entry, hosts in _placed(streams, placements):
        for host in hosts:
            if host and _owner(port_group, host) is ls:
                claims.setdefault(host, (ls, entry))
    for ls in streams:
        if ls.spec.hostname:
            claims.setdefault(ls.spec.hostname, (ls, None))
    return [
        StreamChainIR(f"{name}/{ls.key}/{host}", ls.key, [host], [s.name for s in ls.secrets],
                      _route(entry, clusters))
        for host, (ls, entry) in sorted(claims.items())
    ]


def _route(entry: L4RouteEntry | None, clusters: dict[str, ResolvedBackend]) -> L4RouteIR | None:
    if entry is None:
        return None
    clusters.update(entry.clusters)
    return entry.ir


def udp_listener(name: str, ls: ListenerState, address: str, placements: list[Placement],
                 endpoints_of: EndpointsOf) -> tuple[UdpListenerIR, UdpClusterIR | None]:
    """A UDP Gateway listener and the cluster of the oldest UDPRoute attached to it (None without one, or when
    none of its backendRefs can be used: then datagrams are dropped)."""
    entry = _oldest(ls, placements)
    out = UdpListenerIR(name, address, ls.bind_port, ls.spec.port, ls.key)
    if entry is None:
        return out, None
    weights: dict[str, int] = {}
    for b in entry.ir.backends:
        if b.cluster is not None:  # an unusable backendRef's share cannot be refused per datagram: see docs
            weights[b.cluster] = weights.get(b.cluster, 0) + b.weight
    if not weights:
        return out, None
    cluster = UdpClusterIR(entry.ir.name, [
        EndpointGroupIR(cname, weight, endpoints_of(cname, entry.clusters[cname]))
        for cname, weight in sorted(weights.items())])
    out.cluster = cluster.name
    return out, cluster
