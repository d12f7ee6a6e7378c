"""Manifests as YAML text for the tests and benchmarks that feed kgw files, built in one place: the GatewayClass
`kgw` with a Gateway, a Service whose EndpointSlice lists loopback addresses, an HTTPRoute with one rule per
path prefix, and a kgateway TrafficPolicy on one rule of a route. Everything is in namespace `default` unless
named."""
from __future__ import annotations

from collections.abc import Iterable, Mapping


def gateway_yaml(listeners: Iterable[tuple[str, int, str] | str], name: str = "gw", spec_extra: str = "",
                 namespace: str = "default", gateway_class: str = "kgw") -> str:
    """The GatewayClass `gateway_class` (kgw's controller) and the Gateway `name`; each listener is
    (name, port, protocol) or the fields of a listener as flow-style YAML. `spec_extra` is more of the
    Gateway's spec, indented 2 (e.g. its addresses or infrastructure)."""
    items = "".join(f"  - {{{_listener(item)}}}\n" for item in listeners)
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: {gateway_class}}}
spec: {{controllerName: kgateway.dev/kgateway}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  gatewayClassName: {gateway_class}
{spec_extra}  listeners:
{items}"""


def _listener(item: tuple[str, int, str] | str) -> str:
    if isinstance(item, str):
        return item
    name, port, protocol = item
    return f"name: {name}, port: {port}, protocol: {protocol}"


def service_yaml(name: str, port: int, addresses: Iterable[str] = ("127.0.0.1",), port_name: str = "http",
                 namespace: str = "default") -> str:
    """The Service `name` (port 80) and its EndpointSlice: every address in `addresses`, on `port`."""
    endpoints = "".join(f"- addresses: [{a}]\n" for a in addresses)
    return f"""\
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  ports: [{{name: {port_name}, port: 80, targetPort: {port}}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: {name}-1, namespace: {namespace}, labels: {{kubernetes.io/service-name: {name}}}}}
addressType: IPv4
ports: [{{name: {port_name}, port: {port}}}]
endpoints:
{endpoints}"""


def http_route_yaml(name: str, rules: str, parent: str = "gw") -> str:
    """The HTTPRoute `name` on Gateway `parent`; `rules` is its list of rules as YAML, indented 2."""
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: default}}
spec:
  parentRefs: [{{name: {parent}}}]
  rules:
{rules}"""


def prefix_rules_route(name: str, sections: Iterable[str], backend: str = "echo", parent: str = "gw",
                       extra: Mapping[str, str] | None = None) -> str:
    """An HTTPRoute with one rule per section: rule `s` matches the path prefix /s and goes to `backend`
    port 80; `extra[s]` adds fields to that rule (flow-style YAML, e.g. its filters)."""
    extra = extra or {}
    rules = "".join(f"  - {{name: {s}, matches: [{{path: {{type: PathPrefix, value: /{s}}}}}], "
                    + (f"{extra[s]}, " if s in extra else "")
                    + f"backendRefs: [{{name: {backend}, port: 80}}]}}\n" for s in sections)
    return http_route_yaml(name, rules, parent)


def traffic_policy_yaml(name: str, route: str, section: str, body: str) -> str:
    """The kgateway TrafficPolicy `name` on rule `section` of HTTPRoute `route`; `body`: more of its spec,
    indented 2."""
    return f"""\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {{name: {name}, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: {route}, sectionName: {section}}}]
{body}"""


def rules_transformation(rules: str) -> str:
    """A policy's `transformation` that runs the kgw rules program `rules` (spec fields, indented 2)."""
    return "  transformation:\n    rules: |\n" + "".join(f"      {line}\n" for line in rules.splitlines())
