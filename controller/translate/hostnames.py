"""Hostname matching and Listener/HTTPRoute hostname intersection (Gateway API rules)."""
from __future__ import annotations


def matches(pattern: str, host: str) -> bool:
    """Does `host` (exact or wildcard) fall entirely within `pattern`? `*.a.com` covers x.a.com and *.x.a.com."""
    if pattern == host:
        return True
    if pattern.startswith("*."):
        suffix = pattern[1:]  # ".a.com"
        return host.endswith(suffix) and len(host) > len(suffix) and host != "*" + suffix
    return False


def intersect(listener_hostname: str | None, route_hostnames: list[str]) -> list[str]:
    """Hostnames a route serves on a listener; [] means no intersection. "" stands for "any host"."""
    if not route_hostnames:
        return [listener_hostname or ""]
    if not listener_hostname:
        return list(dict.fromkeys(route_hostnames))
    out: list[str] = []
    for host in route_hostnames:
        if matches(listener_hostname, host):
            out.append(host)  # the route's name is the narrower one
        elif matches(host, listener_hostname):
            out.append(listener_hostname)  # route `*.a.com` on listener `x.a.com` serves x.a.com
    return list(dict.fromkeys(out))


def specificity(hostname: str | None) -> tuple[int, int]:
    """Sort key, most specific first: exact names, then wildcards (longer first), then no hostname."""
    if not hostname:
        return (2, 0)
    if hostname.startswith("*."):
        return (1, -len(hostname))
    return (0, -len(hostname))
