"""Placements -> GatewayIR: Envoy listeners per bound port, virtual hosts per domain, EDS clusters."""
from __future__ import annotations

from ..ir import ClusterIR, EndpointIR, GatewayIR, ListenerIR, VirtualHostIR
from ..models import ServicePort
from ..resources import Resources
from .attach import Placement
from .gateways import GatewayState
from .hostnames import matches, specificity
from .routes import ClusterKey


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


def _virtual_hosts(group: list, placements: list[Placement], clusters: dict) -> list[VirtualHostIR]:
    """Virtual hosts of one Envoy listener shared by the Gateway listeners in `group` (most specific first).

    Envoy picks a virtual host by the most specific domain, which mirrors Gateway listener selection, so:
    every listener hostname and every route hostname becomes a domain; a domain belongs to the most
    specific Gateway listener covering it; its routes are that listener's routes for the domain itself,
    then for each wider wildcard, then for any host (hostname precedence first, match precedence next).
    """
    by_listener: dict[str, dict[str, list]] = {ls.name: {} for ls in group}
    seen: set[tuple[str, str, tuple[str, str]]] = set()
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
                    routes.append(ir)
        vhosts.append(VirtualHostIR(domain, [domain], routes))
    return vhosts


def assemble(state: GatewayState, placements: list[Placement], resources: Resources,
             endpoint_cache: dict[str, list[EndpointIR]]) -> GatewayIR:
    gw = state.gateway
    ir = GatewayIR(namespace=gw.namespace, name=gw.name, address=state.address or "")
    by_port: dict[int, list] = {}
    for ls in state.listeners:
        if ls.programmable:
            by_port.setdefault(ls.bind_port, []).append(ls)
    clusters: dict[str, tuple] = {}
    for bind_port in sorted(by_port):
        group = sorted(by_port[bind_port], key=lambda ls: (specificity(ls.spec.hostname), ls.name))
        hostnames = [ls.spec.hostname for ls in group]
        listener = ListenerIR(
            name=f"{state.address}:{bind_port}", bind_address=state.address or "", bind_port=bind_port,
            declared_port=group[0].spec.port, protocol=group[0].spec.protocol,
            gateway_listeners=[ls.name for ls in group], hostnames=[h or "" for h in hostnames],
        )
        listener.virtual_hosts = _virtual_hosts(group, placements, clusters)
        ir.listeners.append(listener)
    for cname in sorted(clusters):
        key, port = clusters[cname]
        if cname not in endpoint_cache:
            endpoint_cache[cname] = endpoints(resources, key, port)
        ir.clusters.append(ClusterIR(cname, key[0], key[1], key[2], list(endpoint_cache[cname])))
    return ir
