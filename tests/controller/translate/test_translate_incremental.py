"""translate(..., cache=TranslateCache()) == translate(...) after every edit (controller/translate/incremental.py).

The files go through the per-document FileCache, as in `kgw up`, so unchanged documents keep their objects
across reloads and the cache really reuses route translations.
"""
from __future__ import annotations

import dataclasses

from kgw_controller.sources.files import FileCache
from kgw_controller.translate import TranslateCache, TranslateOptions, translate
from kgw_controller.xdsgen import to_xds

BASE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: kgw}
spec: {controllerName: kgateway.dev/kgateway}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: kgw
  listeners:
  - {name: http, port: 8080, protocol: HTTP}
"""

SERVICES = """\
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: echo-1, namespace: default, labels: {kubernetes.io/service-name: echo}}
addressType: IPv4
ports: [{name: http, port: 8000}]
endpoints: [{addresses: [10.0.0.1]}]
---
apiVersion: v1
kind: Service
metadata: {name: far, namespace: other}
spec: {ports: [{name: http, port: 80}]}
"""

SERVICES_CHANGED = SERVICES.replace("spec: {ports: [{name: http, port: 80}]}\n---\napiVersion: discovery",
                                    "spec: {ports: [{name: http, port: 81}]}\n---\napiVersion: discovery", 1)

GRANT = """\
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: allow-default, namespace: other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: "", kind: Service, name: far}]
"""

HTTP_ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: default}}
spec:
  parentRefs: [{{name: gw}}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: {path}}}}}]
    backendRefs: [{{name: {backend}, namespace: {ns}, port: 80}}]
"""

GRPC_ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{method: {service: echo.Echo, method: Say}}]
    backendRefs: [{name: echo, port: 80}]
"""


def route(name: str, path: str, backend: str = "echo", ns: str = "default") -> str:
    return HTTP_ROUTE.format(name=name, path=path, backend=backend, ns=ns)


def routes(*docs: str) -> str:
    return "---\n".join(docs)


def _render(result) -> tuple:
    xds = {key: {type_url: {name: msg.SerializeToString(deterministic=True) for name, msg in sorted(by_name.items())}
                 for type_url, by_name in to_xds(ir).items()}
           for key, ir in result.gateways.items()}
    return (result.statuses, {k: ir.to_dict() for k, ir in result.gateways.items()}, xds, result.programs)


def test_incremental_equals_full_after_each_edit():
    files = {
        "base.yaml": BASE,
        "services.yaml": SERVICES,
        "a.yaml": routes(route("r1", "/one"), route("r2", "/two"), route("x", "/far", "far", "other")),
        "b.yaml": routes(route("r10", "/ten"), GRPC_ROUTE),
    }
    steps = [
        ("unchanged", {}, "hits"),
        ("route added", {"a.yaml": routes(route("r1", "/one"), route("r2", "/two"), route("x", "/far", "far", "other"),
                                          route("r3", "/three"))}, "hits"),
        ("route changed", {"a.yaml": routes(route("r1", "/uno"), route("r2", "/two"),
                                            route("x", "/far", "far", "other"), route("r3", "/three"))}, "hits"),
        ("route removed", {"a.yaml": routes(route("r1", "/uno"), route("x", "/far", "far", "other"),
                                            route("r3", "/three"))}, "hits"),
        ("grpc route changed", {"b.yaml": routes(route("r10", "/ten"), GRPC_ROUTE.replace("Say", "Shout"))}, "hits"),
        ("service changed", {"services.yaml": SERVICES_CHANGED}, "full"),
        ("unchanged again", {}, "hits"),
        ("reference grant added", {"grant.yaml": GRANT}, "full"),
        ("route moved to another file", {"a.yaml": routes(route("r1", "/uno"), route("x", "/far", "far", "other")),
                                         "c.yaml": route("r3", "/three")}, "any"),
        ("options changed", {}, "full"),
        ("reference grant removed", {"grant.yaml": None}, "full"),
    ]
    source, cache = FileCache(), TranslateCache()
    opts = TranslateOptions()
    resources, errors = source.parse(files)
    assert not errors
    assert _render(translate(resources, opts, cache=cache)) == _render(translate(resources, opts))
    for name, change, expect in steps:
        for path, text in change.items():
            if text is None:
                files.pop(path)
            else:
                files[path] = text
        if name == "options changed":
            opts = TranslateOptions(port_offset=10)
        resources, errors = source.parse(dict(files))
        assert not errors, name
        incremental = translate(resources, opts, cache=cache)
        assert _render(incremental) == _render(translate(resources, opts)), name
        if expect == "hits":
            assert cache.hits > 0, name  # documents that moved in their file are decoded (and translated) again
        elif expect == "full":
            assert cache.hits == 0, name
    # the cross-namespace route resolved once the grant came, and not after it went
    assert "RefNotPermitted" in str(_render(translate(resources, opts))[0])


def test_policies_disable_reuse():
    """RoutePolicies edit RouteIRs in place: with one present nothing is stored or reused."""
    cache = TranslateCache()
    resources, errors = FileCache().parse({"base.yaml": BASE, "s.yaml": SERVICES, "a.yaml": route("r1", "/one")})
    assert not errors
    translate(resources, cache=cache)
    translate(resources, cache=cache)
    assert cache.hits == 1
    with_policy = dataclasses.replace(resources, route_policies={("default", "p"): object()})
    assert not cache.usable_for(with_policy, TranslateOptions())  # an input changed
    cache.store(with_policy, TranslateOptions(), {"anything": None})
    assert not cache.usable_for(with_policy, TranslateOptions())  # and nothing was stored
