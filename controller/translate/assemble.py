"""Placements -> GatewayIR: Envoy listeners per bound port, virtual hosts per domain (per SNI filter chain
for HTTPS), EDS clusters, SDS secrets."""
from __future__ import annotations

from collections.abc import Callable

from ..ir import (
    ClusterIR,
    EndpointIR,
    FilterChainIR,
    GatewayIR,
    ListenerIR,
    MatchIR,
    RouteIR,
    SecretIR,
    VirtualHostIR,
)
from ..models import ServicePort
from ..resources import Resources
from .attach import Placement
from .backends import ClusterKey, ResolvedBackend
from .gateways import GatewayState
from .hostnames import matches, specificity


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
    by_listener: dict[str, dict[str, list]] = {ls.name: {} for ls in group}
    seen: set[tuple[str, str, tuple]] = set()
    for p in placements:
        domains = by_listener.get(p.listener.name)
        if domains is None:
            continue
        for host in p.hostnames:
            domain = host or "*"
            if (p.listener.name, domain, p.entry.key) in seen:
                continue  # attached twice (two parentRefs to one listener)
            seen.add((p.listener.name, domain, p.entry.key))
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
            for _, ir in sorted(by_listener[owner.name].get(serving, ()), key=lambda kr: kr[0]):
                if ir.name not in names:
                    names.add(ir.name)
                    routes.append(hook(gateway, owner.name, ir) if hook else ir)
        vhosts.append((owner.name, VirtualHostIR(domain, [domain], routes)))
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
        own = [vh for owner, vh in vhosts if owner == ls.name]
        # Every other name this port serves answers 421 here, and so does any host at all when the listener
        # has a hostname. A set: "*" can be both another listener's domain and this catch-all, and Envoy
        # refuses a RouteConfiguration with a domain twice.
        misdirected = {vh.name for owner, vh in vhosts if owner != ls.name}
        misdirected |= {o.spec.hostname for o in group if o is not ls and o.spec.hostname}
        if ls.spec.hostname:
            misdirected.add("*")
        misdirected -= {vh.name for vh in own}
        chains.append(FilterChainIR(
            name=f"{listener.name}/{ls.name}", gateway_listener=ls.name,
            server_names=[ls.spec.hostname] if ls.spec.hostname else [],
            secrets=[s.name for s in ls.secrets],
            virtual_hosts=sorted(own + [_misdirected(d) for d in misdirected], key=lambda vh: vh.name),
        ))
    return chains


def assemble(state: GatewayState, placements: list[Placement], resources: Resources,
             endpoint_cache: dict[str, list[EndpointIR]], h2_clusters: set[str] | None = None,
             route_hook: RouteHook | None = None) -> GatewayIR:
    """`route_hook`: the route a Gateway listener serves for a route translation (Gateway- and listener-level
    policies give it settings of their own: translate/policies)."""
    gw = state.gateway
    ir = GatewayIR(namespace=gw.namespace, name=gw.name, address=state.address or "")
    by_port: dict[int, list] = {}
    for ls in state.listeners:
        if ls.programmable:
            by_port.setdefault(ls.bind_port, []).append(ls)
    clusters: dict[str, ResolvedBackend] = {}
    secrets: dict[str, SecretIR] = {}
    for bind_port in sorted(by_port):
        group = sorted(by_port[bind_port], key=lambda ls: (specificity(ls.spec.hostname), ls.name))
        hostnames = [ls.spec.hostname for ls in group]
        listener = ListenerIR(
            name=f"{state.address}:{bind_port}", bind_address=state.address or "", bind_port=bind_port,
            declared_port=group[0].spec.port, protocol=group[0].spec.protocol,
            gateway_listeners=[ls.name for ls in group], hostnames=[h or "" for h in hostnames],
        )
        vhosts = _virtual_hosts(group, placements, clusters, state.key, route_hook)
        if listener.protocol == "HTTPS":
            listener.filter_chains = _filter_chains(listener, group, vhosts)
            for ls in group:
                secrets.update((s.name, s) for s in ls.secrets)
        else:
            listener.virtual_hosts = [vh for _, vh in vhosts]
        ir.listeners.append(listener)
    for cname in sorted(clusters):
        target = clusters[cname]
        if target.key is None:
            continue  # not a Service port: the resolver's kind builds its own cluster
        if cname not in endpoint_cache:
            assert target.port is not None  # resolved with its key (backends._service)
            endpoint_cache[cname] = endpoints(resources, target.key, target.port)
        ir.clusters.append(ClusterIR(cname, *target.key, list(endpoint_cache[cname]),
                                     http2=target.http2 or cname in (h2_clusters or ())))
    ir.secrets = [secrets[name] for name in sorted(secrets)]
    return ir
