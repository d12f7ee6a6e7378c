"""The objects of the upstream v1.6.1 `GatewayStaticAddresses`, `GatewayOptionalAddressValue`,
`GatewayInfrastructure` and `GatewayHTTPListenerIsolation` tests, upstream names.

`GatewayStaticAddresses` asks the implementation for an address it cannot use (its PLACEHOLDER_UNUSABLE_ADDRS):
for kgw that is an address whose port an older Gateway holds — `address-holder`, applied first and named to
sort first (kgw up orders objects without a creation time by namespace/name).
"""
from __future__ import annotations

from conf_infra import INFRA
from conf_upstream import UPSTREAM_ADDRESSES, gateway

USABLE, UNUSABLE = "127.0.0.90", UPSTREAM_ADDRESSES["address-holder"]
ADDRESS_HOLDER = gateway("address-holder", [("http", 8080, "HTTP", None)])
_INVALID = '{type: "test/fake-invalid-type", value: "fake address teehee!"}'


def static_addresses(*addresses: str, generation: int = 1) -> str:
    """gateway-static-addresses with these spec.addresses (YAML flow entries), as the test patches them."""
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gateway-static-addresses
  namespace: {INFRA}
  generation: {generation}
  annotations: {{gateway-api/skip-this-for-readiness: "true"}}
spec:
  gatewayClassName: kgw-conformance
  addresses: [{", ".join(addresses)}]
  listeners:
  - {{name: http, port: 8080, protocol: HTTP}}
---
"""


STATIC_ADDRESSES = [  # the test's three steps: the invalid address removed, then the unusable one
    static_addresses(_INVALID, f"{{value: {UNUSABLE}}}", f"{{value: {USABLE}}}"),
    static_addresses(f"{{value: {UNUSABLE}}}", f"{{value: {USABLE}}}", generation=2),
    static_addresses(f"{{value: {USABLE}}}", generation=3),
]

OPTIONAL_ADDRESS_VALUE = f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gateway-without-address-value, namespace: {INFRA}}}
spec:
  gatewayClassName: kgw-conformance
  addresses: [{{type: IPAddress}}]
  listeners:
  - {{name: http, port: 8080, protocol: HTTP}}
---
"""

INFRASTRUCTURE = gateway("gateway-with-infrastructure-metadata", [("http", 8080, "HTTP", None)],
                         extra="  infrastructure:\n    annotations: {key1: value1}\n    labels: {key2: value2}\n")

ALL_MANIFESTS = [ADDRESS_HOLDER, *STATIC_ADDRESSES, OPTIONAL_ADDRESS_VALUE, INFRASTRUCTURE]


# GatewayHTTPListenerIsolation: four HTTP listeners on one port, each with a route; the second Gateway's
# routes also carry every hostname, so only listener isolation keeps them apart.
ISOLATION_LISTENERS = [("empty-hostname", None), ("wildcard-example-com", "*.example.com"),
                       ("wildcard-foo-example-com", "*.foo.example.com"),
                       ("abc-foo-example-com", "abc.foo.example.com")]
_ALL_HOSTS = '["bar.com", "*.example.com", "*.foo.example.com", "abc.foo.example.com"]'


def _isolation(name: str, suffix: str, hostnames: str = "") -> str:
    out = gateway(name, [(ls, 80, "HTTP", host, "allowedRoutes: {namespaces: {from: All}}")
                         for ls, host in ISOLATION_LISTENERS])
    for ls, _ in ISOLATION_LISTENERS:
        hosts = f"  hostnames: {hostnames}\n" if hostnames else ""
        out += f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: attaches-to-{ls}{suffix}, namespace: {INFRA}}}
spec:
  parentRefs: [{{name: {name}, namespace: {INFRA}, sectionName: {ls}}}]
{hosts}  rules:
  - matches: [{{path: {{type: PathPrefix, value: /{ls}}}}}]
    backendRefs: [{{name: infra-backend-v1, port: 8080}}]
---
"""
    return out


HTTP_LISTENER_ISOLATION = (_isolation("http-listener-isolation", "")
                           + _isolation("http-listener-isolation-with-hostname-intersection",
                                        "-with-hostname-intersection", _ALL_HOSTS))
ALL_MANIFESTS.append(HTTP_LISTENER_ISOLATION)
