"""Hypothesis strategies for random valid Gateway API worlds: Gateways (addresses, HTTP/HTTPS/TLS/TCP/UDP
listeners sharing ports, hostnames, TLS Passthrough and Terminate, spec.tls), ListenerSets, HTTPRoutes and
GRPCRoutes (hostnames, parentRefs, matches, every filter kgw implements, timeouts, retries, weights), TLSRoutes,
TCPRoutes and UDPRoutes (SNI hostnames, weighted backends), Services, BackendTLSPolicies, Secrets, ConfigMaps,
telemetry policies — as manifest dicts that kgw reads like files (xds_strategies_ext.py has the ListenerSet and
TLS parts, xds_strategies_telemetry.py the access-log and tracing policies).

Values come from small pools so that the interesting collisions happen often: the same hostname on two
listeners, a route wildcard over a listener name, two Gateways on one address and port, a catch-all `*`
next to wildcard listeners on one HTTPS port.
"""
from __future__ import annotations

from hypothesis import strategies as st
from xds_strategies_ext import (
    LISTENER_SET_NAMES,
    allowed_listeners,
    backend_tls_policy,
    ca_objects,
    gateway_tls,
    listener_set,
    listener_set_ref,
)
from xds_strategies_telemetry import listener_policy, route_tracing_policy

GW_API = "gateway.networking.k8s.io/v1"
NS = "default"
HOSTNAMES = [None, "a.example.com", "b.example.com", "x.a.example.com", "*.example.com", "*.a.example.com",
             "example.com", "*.org", "foo.org"]
ROUTE_HOSTNAMES = [h for h in HOSTNAMES if h] + ["*.b.example.com", "z.x.a.example.com", "other.net"]
ADDRESSES = ["127.0.0.1", "127.0.0.2", "0.0.0.0"]
PORTS = [80, 443, 8080]
SERVICES = {"web": [80, 8080], "api": [80]}  # name -> ports; "missing" is never defined
UDP_SERVICES = {"dns": [53]}  # name -> UDP ports
SECRETS = ["cert-a", "cert-b"]  # "cert-missing" is never defined
LONG = "/" + "p" * 110  # stripping it (ReplacePrefixMatch /) needs a regex over Envoy's size limit
PATHS = ["/", "/a", "/a/", "/a/b", "/b", "/api/v1", "/caf%C3%A9;v=1", LONG]
# the last three are accepted by Python's re but refused by Envoy's RE2 (syntax, or program size > 100)
REGEXES = ["/r/[0-9]+", "/(a|b)/.*", "/x\\.y", "/[a-z0-9]{1,64}", "/a\\Z", "/(?>a)b"]
HEADERS = ["x-one", "x-two", "version"]
MODIFIED_HEADERS = [*HEADERS, "Host"]  # Envoy refuses a RouteConfiguration that changes Host
# Envoy reads header values as format strings: a lone % is refused, %VAR% would be substituted
HEADER_VALUES = ["1", "x y", "50%", "%DOWNSTREAM_REMOTE_ADDRESS%", "a\nb"]
ORIGINS = ["*", "https://www.foo.com", "https://*.bar.com", "http://a.example.com:8080",
           "https://*." + "o" * 100 + ".com"]

names = st.sampled_from(["a", "b", "c", "d", "e"])


def _unique_by(key, elements, **kw):
    return st.lists(elements, unique_by=key, **kw)


def _certificate_refs(draw) -> list[dict]:
    refs = draw(st.lists(st.sampled_from([*SECRETS, "cert-missing"]), min_size=1, max_size=2, unique=True))
    return [{"name": r} for r in refs]


@st.composite
def listener(draw, name: str) -> dict:
    port = draw(st.sampled_from(PORTS))
    protocols = ["HTTP", "HTTPS", "HTTPS", "TLS", "TCP", "UDP"] if port != 80 else ["HTTP", "HTTP", "UDP"]
    protocol = draw(st.sampled_from(protocols))
    out: dict = {"name": name, "port": port, "protocol": protocol}
    hostname = draw(st.sampled_from(HOSTNAMES)) if protocol not in ("TCP", "UDP") else None
    if hostname:
        out["hostname"] = hostname
    if protocol == "HTTPS":
        out["tls"] = {"certificateRefs": _certificate_refs(draw)}
    if protocol == "TLS":
        mode = draw(st.sampled_from(["Passthrough", "Terminate"]))
        out["tls"] = {"mode": mode, **({"certificateRefs": _certificate_refs(draw)} if mode == "Terminate" else {})}
    if draw(st.booleans()):
        out["allowedRoutes"] = {"namespaces": {"from": draw(st.sampled_from(["All", "Same"]))}}
    return out


@st.composite
def gateway(draw, name: str) -> dict:
    listener_names = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    spec: dict = {"gatewayClassName": "kgw", "listeners": [draw(listener(n)) for n in listener_names]}
    # none, one, two, or one without a value (kgw picks)
    addresses = draw(st.sampled_from([[], *[[a] for a in ADDRESSES], ["127.0.0.1", "127.0.0.2"], [""]]))
    if addresses:
        spec["addresses"] = [{"type": "IPAddress", **({"value": a} if a else {})} for a in addresses]
    allowed = draw(allowed_listeners())
    if allowed:
        spec["allowedListeners"] = allowed
    tls = draw(gateway_tls())
    if tls:
        spec["tls"] = tls
    return {"apiVersion": GW_API, "kind": "Gateway", "metadata": {"name": name, "namespace": NS}, "spec": spec}


@st.composite
def parent_ref(draw, gateways: list[str]) -> dict:
    if draw(st.integers(0, 3)) == 0:
        return draw(listener_set_ref(LISTENER_SET_NAMES))
    out = {"name": draw(st.sampled_from(gateways))}
    if draw(st.booleans()):
        out["sectionName"] = draw(names)
    elif draw(st.booleans()):
        out["port"] = draw(st.sampled_from(PORTS))
    return out


@st.composite
def path_match(draw) -> dict:
    kind = draw(st.sampled_from(["PathPrefix", "Exact", "RegularExpression"]))
    return {"type": kind, "value": draw(st.sampled_from(REGEXES if kind == "RegularExpression" else PATHS))}


@st.composite
def string_match(draw) -> dict:
    if draw(st.booleans()):
        return {"type": "RegularExpression", "name": draw(st.sampled_from(HEADERS)), "value": "v[0-9]+"}
    return {"name": draw(st.sampled_from(HEADERS)), "value": draw(st.sampled_from(["1", "two"]))}


@st.composite
def http_match(draw) -> dict:
    out: dict = {}
    if draw(st.booleans()):
        out["path"] = draw(path_match())
    if draw(st.booleans()):
        out["headers"] = draw(_unique_by(lambda h: h["name"], string_match(), max_size=2))
    if draw(st.booleans()):
        out["queryParams"] = draw(_unique_by(lambda h: h["name"], string_match(), max_size=1))
    if draw(st.booleans()):
        out["method"] = draw(st.sampled_from(["GET", "POST"]))
    return out


def backend_ref(weight: bool = True):
    refs = st.sampled_from([("web", 80), ("web", 8080), ("api", 80), ("missing", 80), ("web", 9999)])
    return refs.flatmap(lambda r: st.builds(
        lambda w: {"name": r[0], "port": r[1], **({"weight": w} if w is not None else {})},
        st.sampled_from([None, 0, 1, 5]) if weight else st.none()))


def header_modifier():
    kv = st.builds(lambda n, v: {"name": n, "value": v},
                   st.sampled_from(MODIFIED_HEADERS), st.sampled_from(HEADER_VALUES))
    return st.fixed_dictionaries({}, optional={
        "set": _unique_by(lambda h: h["name"].lower(), kv, min_size=1, max_size=2),
        "add": _unique_by(lambda h: h["name"].lower(), kv, min_size=1, max_size=2),
        "remove": st.lists(st.sampled_from(MODIFIED_HEADERS), min_size=1, max_size=2, unique=True),
    })


def path_modifier(prefix_ok: bool):
    full = st.builds(lambda v: {"type": "ReplaceFullPath", "replaceFullPath": v}, st.sampled_from(PATHS))
    if not prefix_ok:
        return full
    return full | st.builds(lambda v: {"type": "ReplacePrefixMatch", "replacePrefixMatch": v}, st.sampled_from(PATHS))


def redirect(prefix_ok: bool):
    return st.fixed_dictionaries({}, optional={
        "scheme": st.sampled_from(["http", "https"]),
        "hostname": st.sampled_from(["example.org", "a.example.com"]),
        "port": st.sampled_from([80, 443, 8443]),
        "statusCode": st.sampled_from([301, 302, 303, 307, 308]),
        "path": path_modifier(prefix_ok),
    })


def cors():
    origins = st.lists(st.sampled_from(ORIGINS), min_size=1, max_size=3, unique=True)
    return st.fixed_dictionaries({"allowOrigins": origins}, optional={
        "allowMethods": st.sampled_from([["GET"], ["GET", "OPTIONS"], ["*"]]),
        "allowHeaders": st.sampled_from([["x-one"], ["*"]]),
        "exposeHeaders": st.just(["x-two"]),
        "allowCredentials": st.booleans(),
        "maxAge": st.sampled_from([1, 5, 3600]),
    })


@st.composite
def http_rule(draw) -> dict:
    matches = draw(st.lists(http_match(), max_size=3))
    # ReplacePrefixMatch needs exactly one match, a PathPrefix (CEL rule)
    prefix_ok = len(matches) == 1 and matches[0].get("path", {}).get("type") == "PathPrefix"
    rule: dict = {"matches": matches} if matches else {}
    filters = []
    if draw(st.booleans()):
        filters.append({"type": "RequestHeaderModifier", "requestHeaderModifier": draw(header_modifier())})
    if draw(st.booleans()):
        filters.append({"type": "ResponseHeaderModifier", "responseHeaderModifier": draw(header_modifier())})
    if draw(st.booleans()):
        filters.append({"type": "CORS", "cors": draw(cors())})
    terminal = draw(st.sampled_from(["backends", "redirect", "rewrite", "none"]))
    if terminal == "redirect":
        filters.append({"type": "RequestRedirect", "requestRedirect": draw(redirect(prefix_ok))})
    else:
        if terminal == "rewrite":
            rewrite = draw(st.fixed_dictionaries({}, optional={
                "hostname": st.just("rewritten.example.org"), "path": path_modifier(prefix_ok)}))
            filters.append({"type": "URLRewrite", "urlRewrite": rewrite})
        if draw(st.booleans()):
            mirror = {"backendRef": {"name": "api", "port": 80}}
            mirror.update(draw(st.sampled_from([{}, {"percent": 50},
                                                {"fraction": {"numerator": 1, "denominator": 3}}])))
            filters.append({"type": "RequestMirror", "requestMirror": mirror})
        if terminal != "none":
            refs = draw(st.lists(backend_ref(), min_size=1, max_size=3))
            if draw(st.booleans()):
                refs[0]["filters"] = [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"add": [
                    {"name": "x-backend", "value": "1"}]}}]
            rule["backendRefs"] = refs
        if draw(st.booleans()):
            rule["retry"] = draw(st.fixed_dictionaries({}, optional={
                "codes": st.lists(st.sampled_from([429, 500, 502, 503, 504]), max_size=3, unique=True),
                "attempts": st.integers(1, 5),
                "backoff": st.sampled_from(["0s", "1ms", "2ms", "100ms", "1h"]),
            }))
        if draw(st.booleans()):
            rule["timeouts"] = draw(st.sampled_from([{"request": "1s"}, {"request": "10s", "backendRequest": "2s"},
                                                     {"backendRequest": "30s"}, {"request": "0s"}]))
    if filters:
        rule["filters"] = filters
    return rule


@st.composite
def http_route(draw, name: str, gateways: list[str]) -> dict:
    spec: dict = {"parentRefs": draw(_unique_by(lambda r: r["name"], parent_ref(gateways), min_size=1, max_size=2)),
                  "rules": draw(st.lists(http_rule(), min_size=1, max_size=3))}
    hostnames = draw(st.lists(st.sampled_from(ROUTE_HOSTNAMES), max_size=3, unique=True))
    if hostnames:
        spec["hostnames"] = hostnames
    return {"apiVersion": GW_API, "kind": "HTTPRoute", "metadata": {"name": name, "namespace": NS}, "spec": spec}


@st.composite
def grpc_route(draw, name: str, gateways: list[str]) -> dict:
    method = st.sampled_from([{"service": "echo.Echo", "method": "Say"}, {"service": "echo.Echo"}, {"method": "Say"},
                              {"type": "RegularExpression", "service": "echo\\..*"}])
    rules = draw(st.lists(st.builds(lambda ms, refs: {"matches": [{"method": m} for m in ms], "backendRefs": refs},
                                    st.lists(method, max_size=2), st.lists(backend_ref(), min_size=1, max_size=2)),
                          min_size=1, max_size=2))
    parent_refs = draw(_unique_by(lambda r: r["name"], parent_ref(gateways), min_size=1, max_size=2))
    spec: dict = {"parentRefs": parent_refs, "rules": rules}
    hostnames = draw(st.lists(st.sampled_from(ROUTE_HOSTNAMES), max_size=2, unique=True))
    if hostnames:
        spec["hostnames"] = hostnames
    return {"apiVersion": GW_API, "kind": "GRPCRoute", "metadata": {"name": name, "namespace": NS}, "spec": spec}


def l4_backend_ref(udp: bool):
    refs = [("dns", 53), ("web", 80)] if udp else [("web", 80), ("api", 80), ("dns", 53)]
    refs += [("missing", 80)]
    return st.builds(lambda r, w: {"name": r[0], "port": r[1], **({"weight": w} if w is not None else {})},
                     st.sampled_from(refs), st.sampled_from([None, 0, 1, 5]))


@st.composite
def l4_route(draw, kind: str, name: str, gateways: list[str]) -> dict:
    spec: dict = {"parentRefs": draw(_unique_by(lambda r: r["name"], parent_ref(gateways), min_size=1, max_size=2)),
                  "rules": [{"backendRefs": draw(st.lists(l4_backend_ref(kind == "UDPRoute"), min_size=1,
                                                          max_size=3))}]}
    if kind == "TLSRoute":  # required, at least one
        spec["hostnames"] = draw(st.lists(st.sampled_from(ROUTE_HOSTNAMES), min_size=1, max_size=3, unique=True))
    created = f"2024-01-0{draw(st.integers(1, 3))}T00:00:00Z"  # ties and order: the oldest route wins a name
    meta = {"name": name, "namespace": NS, "creationTimestamp": created}
    return {"apiVersion": GW_API, "kind": kind, "metadata": meta, "spec": spec}


# the kinds a world varies; the rest is fixed_objects()
VARIED = {"Gateway", "ListenerSet", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute", "BackendTLSPolicy",
          "HTTPListenerPolicy", "TrafficPolicy"}


def fixed_objects() -> list[dict]:
    out: list[dict] = [{"apiVersion": GW_API, "kind": "GatewayClass", "metadata": {"name": "kgw"},
                        "spec": {"controllerName": "kgateway.dev/kgateway"}}]
    for svc, ports in SERVICES.items():
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc, "namespace": NS},
                    "spec": {"ports": [{"name": f"p{p}", "port": p} for p in ports]}})
        out.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": {"name": f"{svc}-1", "namespace": NS, "labels": {"kubernetes.io/service-name": svc}},
                    "addressType": "IPv4", "ports": [{"name": f"p{p}", "port": 9000 + p} for p in ports],
                    "endpoints": [{"addresses": ["10.0.0.1", "10.0.0.2"]}]})
    for svc, ports in UDP_SERVICES.items():
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc, "namespace": NS},
                    "spec": {"ports": [{"name": f"u{p}", "port": p, "protocol": "UDP"} for p in ports]}})
        out.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": {"name": f"{svc}-1", "namespace": NS, "labels": {"kubernetes.io/service-name": svc}},
                    "addressType": "IPv4",
                    "ports": [{"name": f"u{p}", "port": 5300 + p, "protocol": "UDP"} for p in ports],
                    "endpoints": [{"addresses": ["10.0.0.3"]}]})
    return out


@st.composite
def world(draw, pem: tuple[str, str]) -> list[dict]:
    """One set of manifests: the fixed GatewayClass, Services and Secrets, 1-3 Gateways, 0-5 HTTP routes and
    0-3 L4 routes."""
    gateways = draw(st.lists(st.sampled_from(["g1", "g2", "g3"]), min_size=1, max_size=3, unique=True))
    docs = fixed_objects()
    docs += [{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
              "metadata": {"name": s, "namespace": NS}, "stringData": {"tls.crt": pem[0], "tls.key": pem[1]}}
             for s in SECRETS]
    docs += [draw(gateway(g)) for g in gateways]
    docs += ca_objects(pem[0])
    docs += [draw(listener_set(n, gateways, listener)) for n in LISTENER_SET_NAMES[:draw(st.integers(0, 2))]]
    docs += [draw(backend_tls_policy(f"p{i}", SERVICES)) for i in range(draw(st.integers(0, 2)))]
    routes = [f"r{i}" for i in range(draw(st.integers(0, 4)))]
    docs += [draw(http_route(r, gateways)) for r in routes]
    docs += [draw(grpc_route(f"g{i}", gateways)) for i in range(draw(st.integers(0, 1)))]
    for kind in ("TLSRoute", "TCPRoute", "UDPRoute"):
        docs += [draw(l4_route(kind, f"{kind.lower()}{i}", gateways)) for i in range(draw(st.integers(0, 1)))]
    docs += [draw(listener_policy(f"telemetry{i}", gateways)) for i in range(draw(st.integers(0, 2)))]
    if routes and draw(st.booleans()):
        docs.append(draw(route_tracing_policy("trace", routes)))
    return docs
