"""The addresses a Gateway binds and the ports it may take on them.

Every listener is bound on every requested IPAddress (`spec.addresses`; an empty value means "pick one": the
default address), or on the default address when none is requested. An older Gateway keeps an address:port
both want. A Gateway with several addresses leaves out one whose ports are taken (AddressNotUsable) and serves
on the others; with a single address, or none usable, the listeners whose port is taken are refused
(PortUnavailable) and the rest serve on its first address.
"""
from __future__ import annotations

import ipaddress

from ..models import Gateway
from ..proxyports import RESERVED
from . import conditions as c
from .options import TranslateOptions


def requested_addresses(gw: Gateway, opts: TranslateOptions) -> tuple[list[str], str]:
    """(addresses to bind, "") or ([], why the Gateway's addresses cannot be used)."""
    if not gw.spec.addresses:
        return [opts.default_address], ""
    out: list[str] = []
    for address in gw.spec.addresses:
        if address.type != "IPAddress":
            return [], f"address type {address.type} is not supported; only IPAddress can be bound"
        value = str(ipaddress.ip_address(address.value)) if address.value else opts.default_address
        if value not in out:
            out.append(value)
    return out, ""


def overlaps(a: str, b: str) -> bool:
    # An unspecified address (0.0.0.0 or ::) takes the port on every address, so it clashes with all.
    return a == b or ipaddress.ip_address(a).is_unspecified or ipaddress.ip_address(b).is_unspecified


def _socket(address: str, ls) -> str:
    return f"{address}:{ls.bind_port}" + ("/udp" if ls.transport == "udp" else "")


def claim_ports(state, addresses: list[str], claimed: list[tuple[str, tuple[int, str], str]],
                opts: TranslateOptions) -> list[str]:
    """Refuse the listeners whose port cannot be bound, pick the addresses to bind (returned) and add what they
    take to `claimed` ((address, (bind port, transport), "ns/name") of older Gateways). Ports are per transport:
    a UDP and a TCP socket can share a number."""
    gw = state.gateway
    declared_for: dict[tuple[int, str], int] = {}  # (bind port, transport) -> the declared port that took it
    serving = []
    for ls in state.listeners:
        if not ls.programmable:
            continue
        reserved = RESERVED.get(ls.bind_port - opts.port_offset) if opts.shift_privileged_ports else None
        other = declared_for.setdefault((ls.bind_port, ls.transport), ls.spec.port)
        if reserved:
            msg = f"port {ls.spec.port} is served on {ls.bind_port - opts.port_offset}, {reserved}"
        elif other != ls.spec.port:  # e.g. 80 shifted to 8080 beside a listener on 8080
            msg = f"port {ls.spec.port} is served on {ls.bind_port}, which port {other} of this Gateway already uses"
        else:
            serving.append(ls)
            continue
        ls.accepted = (False, c.R_PORT_UNAVAILABLE, msg)
        state.port_conflicts.append(msg)
    taken = {a: [(ls, owner) for ls in serving
                 if (owner := next((o for ca, p, o in claimed
                                     if p == (ls.bind_port, ls.transport) and overlaps(ca, a)), None))]
             for a in addresses}
    usable = [a for a in addresses if not taken[a]]
    for a in addresses if usable else addresses[1:]:
        for ls, owner in taken[a]:
            state.port_conflicts.append(f"{_socket(a, ls)} is already bound by Gateway {owner}, which takes "
                                        "precedence (older, or first by namespace/name)")
    if not usable:
        usable = addresses[:1]
        for ls, owner in taken[usable[0]]:
            msg = (f"{_socket(usable[0], ls)} is already bound by Gateway {owner}, which takes precedence "
                   "(older, or first by namespace/name)")
            ls.accepted = (False, c.R_PORT_UNAVAILABLE, msg)
            state.port_conflicts.append(msg)
    ports = sorted({(ls.bind_port, ls.transport) for ls in serving if ls.programmable})
    claimed.extend((a, port, f"{gw.namespace}/{gw.name}") for a in usable for port in ports)
    return usable
