"""Placements -> GatewayIR: Envoy listeners per bound port, virtual hosts per domain (per SNI filter chain
for HTTPS), stream chains for TLS and TCP and UDP listeners (assemble_l4.py), EDS clusters, SDS secrets."""
from __future__ import annotations

from collections.abc import Callable

from ..ir import (
    ClientValidationIR,
    ClusterIR,
    EndpointIR,
    FilterChainIR,
    GatewayIR,
    ListenerIR,
    MatchIR,
    RouteIR,
    SecretIR,
    UdpClusterIR,
    VirtualHostIR,
)
from ..models import ServicePort
from ..resources import Resources
from .assemble_l4 import stream_chains, udp_listener
from .attach import Placement
from .backends import ClusterKey, ResolvedBackend
from .backendtls import BackendTLSPolicies, apply_backend_tls
from .gateways import GatewayState
from .hostnames import matches, specificity
from .routes import RouteEntry


def endpoints(resources: Resources, key: ClusterKey, port: ServicePort) -> list[EndpointIR]:
    """Ready endpoints of a Service port from its EndpointSlices (port matched by name, as kube-proxy does)."""
    ns, svc, _ = key
    out: set[tuple[str, int]] = set()
    for es in resources.endpoint_slices_for(ns, svc):
        if es.address_type == "FQDN":
            continue  # EDS needs IP addresses
        slice_port = next((p for p in es.ports or () if (p.name or "") == (port.name or "")), None)
        if slice_port is None or slice_port.port is None:
            continue
        for ep in es.endpoints or ():
            if ep.conditions.ready is False:  # unset means ready (EndpointSlice API)
                continue
            out.update((addr, slice_port.port) for addr in ep.addresses)
    return [EndpointIR(a, p) for a, p in sorted(out)]


def _covering(domain: str) -> list[str]:
    """Domains that serve `domain`, most specific first: itself, then each wider wildcard, then "*"."""
    out = [domain]
    labels = domain.split(".")
    for i in range(1, len(labels)):
        wildcard = "*." + ".".join(labels[i:])
        if wildcard != domain:
            out.append(wildcard)
    if domain != "*":
        out.append("*")
    return out


RouteHook = Callable[[tuple[str, str], str, RouteIR], RouteIR]  # (gateway, listener, route) -> route served there


def _virtual_hosts(group: list, placements: list[Placement], clusters: dict, gateway: tuple[str, str],
                   hook: RouteHook | None) -> list[tuple[str, VirtualHostIR]]:
    """Virtual hosts of one Envoy listener shared by the Gateway listeners in `group` (most specific first),
    each with the name of the Gateway listener that owns it.

    Envoy picks a virtual host by the most specific domain, which mirrors Gateway listener selection, so:
    every listener hostname and every route hostname becomes a domain; a domain belongs to the most
    specific Gateway listener covering it; its routes are that listener's routes for the domain itself,
    then for each wider wildcard, then for any host (hostname precedence first, match precedence next).
    """
    by_listener: dict[str, dict[str, list]] = {ls.key: {} for ls in group}
    seen: set[tuple[str, str, tuple]] = set()
    for p in placements:
        domains = by_listener.get(p.listener.key)
        if domains is None or not isinstance(p.entry, RouteEntry):  # L4 routes: assemble_l4.py
            continue
        for host in p.hostnames:
            domain = host or "*"
            if (p.listener.key, domain, p.entry.key) in seen:
                continue  # attached twice (two parentRefs to one listener)
            seen.add((p.listener.key, domain, p.entry.key))
            domains.setdefault(domain, []).extend(p.entry.routes)
            clusters.update(p.entry.clusters)
    all_domains = {ls.spec.hostname for ls in group if ls.spec.hostname}
    for domains in by_listener.values():
        all_domains.update(domains)
    vhosts = []
    for domain in sorted(all_domains):
        owner = next((ls for ls in group if not ls.spec.hostname or matches(ls.spec.hostname, domain)), None)
        if owner is None:
            continue  # cannot happen: every domain comes from a listener that covers it
        routes, names = [], set()
        for serving in _covering(domain):
            for _, ir in sorted(by_listener[owner.key].get(serving, ()), key=lambda kr: kr[0]):
                if ir.name not in names:
                    names.add(ir.name)
                    routes.append(hook(gateway, owner.key, ir) if hook else ir)
        vhosts.append((owner.key, VirtualHostIR(domain, [domain], routes)))
    return vhosts


MISDIRECTED = 421


def _misdirected(domain: str) -> VirtualHostIR:
    """A Host this TLS connection's SNI does not cover: 421 Misdirected Request, so an HTTP/2 client that
    coalesced connections retries on a new one (RFC 9110 15.5.20), and a listener never serves another's names."""
    route = RouteIR("kgw/misdirected", MatchIR("PathPrefix", "/"), direct_response_status=MISDIRECTED)
    return VirtualHostIR(domain, [domain], [route])


def _filter_chains(listener: ListenerIR, group: list, vhosts: list[tuple[str, VirtualHostIR]]) -> list[FilterChainIR]:
    """HTTPS: one filter chain per Gateway listener, chosen by SNI, serving only the hosts it owns."""
    chains = []
    for ls in group:
        own = [vh for owner, vh in vhosts if owner == ls.key]
        # Every other name this port serves answers 421 here, and so does any host at all when the listener
        # has a hostname. A set: "*" can be both another listener's domain and this catch-all, and Envoy
        # refuses a RouteConfiguration with a domain twice.
        misdirected = {vh.name for owner, vh in vhosts if owner != ls.key}
        misdirected |= {o.spec.hostname for o in group if o is not ls and o.spec.hostname}
        if ls.spec.hostname:
            misdirected.add("*")
        misdirected -= {vh.name for vh in own}
        chains.append(FilterChainIR(
            name=f"{listener.name}/{ls.key}", gateway_listener=ls.key,
            server_names=[ls.spec.hostname] if ls.spec.hostname else [],
            secrets=[s.name for s in ls.secrets],
            virtual_hosts=sorted(own + [_misdirected(d) for d in misdirected], key=lambda vh: vh.name),
        ))
    return chains


def _listener(address: str, bind_port: int, group: list, vhosts: list, placements: list[Placement],
              clusters: dict[str, ResolvedBackend], secrets: dict[str, SecretIR]) -> ListenerIR:
    """The Envoy listener of one address:port, shared by the Gateway listeners in `group` (HTTP, or HTTPS and
    TLS by SNI, or one TCP)."""
    protocols = {ls.spec.protocol for ls in group}
    listener = ListenerIR(
        name=f"{address}:{bind_port}", bind_address=address, bind_port=bind_port,
        declared_port=group[0].spec.port, protocol="HTTPS" if "HTTPS" in protocols else group[0].spec.protocol,
        gateway_listeners=[ls.key for ls in group], hostnames=[ls.spec.hostname or "" for ls in group],
    )
    http_group = [ls for ls in group if ls.spec.protocol in ("HTTP", "HTTPS")]
    if "HTTPS" in protocols:
        listener.filter_chains = _filter_chains(listener, http_group, vhosts)
        # one setting per port (spec.tls.frontend), so every listener of the group has the same
        validation = next((ls.client_validation for ls in group if ls.client_validation), None)
        if validation is not None:
            listener.client_validation = ClientValidationIR(validation.ca.name, validation.insecure_fallback)
            secrets[validation.ca.name] = validation.ca
    elif "HTTP" in protocols:
        listener.virtual_hosts = [vh for _, vh in vhosts]
    if protocols & {"TLS", "TCP"}:
        listener.stream_chains = stream_chains(listener.name, group, placements, clusters)
    for ls in group:
        secrets.update((s.name, s) for s in ls.secrets)
    return listener


def assemble(state: GatewayState, placements: list[Placement], resources: Resources,
             endpoint_cache: dict[str, list[EndpointIR]], h2_clusters: set[str] | None = None,
             backend_tls: BackendTLSPolicies | None = None, route_hook: RouteHook | None = None) -> GatewayIR:
    """`route_hook`: the route a Gateway listener serves for a route translation (Gateway- and listener-level
    policies give it settings of their own: translate/policies); a ListenerSet's listener is named by its key
    (`<ns>/<ListenerSet>/<listener>`), which no Gateway sectionName matches."""
    gw = state.gateway
    ir = GatewayIR(namespace=gw.namespace, name=gw.name, address=state.address or "")
    by_port: dict[tuple[int, str], list] = {}
    for ls in state.listeners:
        if ls.programmable:
            by_port.setdefault((ls.bind_port, ls.transport), []).append(ls)
    clusters: dict[str, ResolvedBackend] = {}
    secrets: dict[str, SecretIR] = {}

    def endpoints_of(cname: str, target: ResolvedBackend) -> list[EndpointIR]:
        if cname not in endpoint_cache and target.key is not None and target.port is not None:
            endpoint_cache[cname] = endpoints(resources, target.key, target.port)
        return list(endpoint_cache.get(cname, ()))

    udp_clusters: dict[str, UdpClusterIR] = {}
    for bind_port, transport in sorted(by_port):
        group = sorted(by_port[(bind_port, transport)], key=lambda ls: (specificity(ls.spec.hostname), ls.key))
        if transport == "udp":  # UDP listeners never share a port: one each, on every address
            for address in state.addresses:
                udp, udp_cluster = udp_listener(f"{address}:{bind_port}/udp", group[0], address, placements,
                                                endpoints_of)
                ir.udp_listeners.append(udp)
                if udp_cluster is not None:
                    udp_clusters[udp_cluster.name] = udp_cluster
            continue
        http_group = [ls for ls in group if ls.spec.protocol in ("HTTP", "HTTPS")]
        vhosts = _virtual_hosts(http_group, placements, clusters, state.key, route_hook)
        for address in state.addresses:  # every listener on every address the Gateway binds
            ir.listeners.append(_listener(address, bind_port, group, vhosts, placements, clusters, secrets))
    for cname in sorted(clusters):
        target = clusters[cname]
        if target.key is None:
            continue  # not a Service port: the resolver's kind builds its own cluster
        cluster = ClusterIR(cname, *target.key, endpoints_of(cname, target),
                            http2=target.http2 or cname in (h2_clusters or ()))
        if backend_tls is not None and target.port is not None:
            apply_backend_tls(cluster, target.port.name, state, backend_tls, secrets)
        ir.clusters.append(cluster)
    ir.secrets = [secrets[name] for name in sorted(secrets)]
    ir.udp_clusters = [udp_clusters[name] for name in sorted(udp_clusters)]
    return ir
