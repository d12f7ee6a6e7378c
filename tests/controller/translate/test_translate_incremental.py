"""translate(..., cache=TranslateCache()) == translate(...) after every edit (controller/translate/incremental.py).

The files go through the per-document FileCache, as in `kgw up`, so unchanged documents keep their objects
across reloads and the cache really reuses route translations.
"""
from __future__ import annotations

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


POLICY = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: RoutePolicy
metadata: {{name: {name}, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: {kind}, name: {target}}}]
  transformation:
    request:
      set: [{{name: x-policy, value: "{value}"}}]
"""

DIRECT = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: DirectResponse
metadata: {name: teapot, namespace: default}
spec: {status: 418, body: short and stout}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: tea, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /tea}}]
    filters: [{type: ExtensionRef, extensionRef: {group: gateway.kgateway.dev, kind: DirectResponse, name: teapot}}]
"""


def policy(name: str, target: str, value: str = "v", kind: str = "HTTPRoute") -> str:
    return POLICY.format(name=name, target=target, value=value, kind=kind)


def test_incremental_equals_full_with_policies():
    """Policies are part of the cache key, never a reason to stop reusing: routes are reused while policies
    exist, and a policy never leaves its edits on a stored translation."""
    files = {
        "base.yaml": BASE, "services.yaml": SERVICES, "tea.yaml": DIRECT,
        "a.yaml": routes(route("r1", "/one"), route("r2", "/two")),
        "b.yaml": routes(route("r10", "/ten"), GRPC_ROUTE),
        "p.yaml": routes(policy("p1", "r1"), policy("pg", "g", kind="GRPCRoute"), policy("pt", "tea")),
    }
    steps = [
        ("unchanged", {}, "hits"),
        ("route beside policies changed", {"b.yaml": routes(route("r10", "/diez"), GRPC_ROUTE)}, "hits"),
        ("targeted route changed", {"a.yaml": routes(route("r1", "/uno"), route("r2", "/two"))}, "hits"),
        ("policy changed", {"p.yaml": routes(policy("p1", "r1", "w"), policy("pg", "g", kind="GRPCRoute"),
                                             policy("pt", "tea"))}, "full"),
        ("unchanged after policy change", {}, "hits"),
        ("policy retargeted", {"p.yaml": routes(policy("p1", "r2", "w"), policy("pg", "g", kind="GRPCRoute"),
                                                policy("pt", "tea"))}, "full"),
        ("policy broken (last good served)", {"p.yaml": routes(policy("p1", "r2", "{{ nope"),
                                                               policy("pg", "g", kind="GRPCRoute"),
                                                               policy("pt", "tea"))}, "full"),
        ("route edited while a policy is broken", {"a.yaml": routes(route("r1", "/eins"), route("r2", "/two"))},
         "hits"),
        ("policies removed", {"p.yaml": None}, "full"),
        ("unchanged without policies", {}, "hits"),
    ]
    source, cache = FileCache(), TranslateCache()
    resources, errors = source.parse(files)
    assert not errors
    first = translate(resources, cache=cache)
    assert _render(first) == _render(translate(resources))
    last_good = dict(first.programs)
    for name, change, expect in steps:
        for path, text in change.items():
            if text is None:
                files.pop(path)
            else:
                files[path] = text
        resources, errors = source.parse(dict(files))
        assert not errors, name
        opts = TranslateOptions(last_good_programs=last_good)
        incremental = translate(resources, opts, cache=cache)
        assert _render(incremental) == _render(translate(resources, opts)), name
        assert (cache.hits > 0) if expect == "hits" else (cache.hits == 0), name
        if "broken" in name:
            assert "serving the last good program" in str(incremental.statuses), name
        last_good = dict(incremental.programs)
        # edits live on this translation's copies: a route no policy targets now carries no programs
        served = {r.name: r for ir in incremental.gateways.values() for r in ir.routes()}
        with_programs = {n for n, r in served.items() if r.ext is not None and r.ext.programs}
        if "p.yaml" not in files:
            assert not with_programs, name
    assert "RoutePolicy/default/p1" not in last_good  # removed policies are forgotten


def test_policy_edits_never_reach_stored_translations():
    cache = TranslateCache()
    resources, errors = FileCache().parse({"base.yaml": BASE, "s.yaml": SERVICES, "a.yaml": route("r1", "/one"),
                                           "p.yaml": policy("p1", "r1")})
    assert not errors
    edited = translate(resources, cache=cache)
    served = [r for ir in edited.gateways.values() for r in ir.routes()]
    assert served[0].ext.programs == ["RoutePolicy/default/p1"]
    stored = [ir for _, entry, _ in cache._entries.values() for _, ir in entry.routes]
    assert stored and all(ir.ext is None for ir in stored)
    translate(resources, cache=cache)
    assert cache.hits == 1


def traffic(name: str, target: str, kind: str = "HTTPRoute", body: str = "retry: {retryOn: [5xx]}") -> str:
    return f"""\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {{name: {name}, namespace: default}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: {kind}, name: {target}}}]
  {body}
"""


BACKEND_POLICY = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: BackendConfigPolicy
metadata: {name: bcp, namespace: default}
spec:
  targetRefs: [{group: "", kind: Service, name: echo}]
  connectTimeout: %s
"""


def test_incremental_equals_full_with_traffic_policies():
    """TrafficPolicies (route, GRPCRoute, Gateway level), BackendConfigPolicies and invalid policies edit copies
    only: route translations are reused and what is stored stays as route translation made it."""
    files = {
        "base.yaml": BASE, "services.yaml": SERVICES,
        "a.yaml": routes(route("r1", "/one"), route("r2", "/two")),
        "b.yaml": GRPC_ROUTE,
        "p.yaml": routes(traffic("t1", "r1"), traffic("tg", "g", "GRPCRoute", "timeouts: {request: 2s}"),
                         traffic("gw", "gw", "Gateway", "faultInjection: {delay: {fixedDelay: 1ms}}")),
        "bcp.yaml": BACKEND_POLICY % "2s",
    }
    steps = [
        ("unchanged", {}, "hits"),
        ("targeted route changed", {"a.yaml": routes(route("r1", "/uno"), route("r2", "/two"))}, "hits"),
        ("backend policy changed", {"bcp.yaml": BACKEND_POLICY % "3s"}, "full"),
        ("unchanged after backend policy change", {}, "hits"),
        ("gateway policy changed", {"p.yaml": routes(
            traffic("t1", "r1"), traffic("tg", "g", "GRPCRoute", "timeouts: {request: 2s}"),
            traffic("gw", "gw", "Gateway", "timeouts: {request: 9s}"))}, "full"),
        ("invalid policy added", {"bad.yaml": traffic("bad", "r2", body="jwtAuth: {}")}, "full"),
        ("route edited beside an invalid policy", {"b.yaml": GRPC_ROUTE.replace("Say", "Shout")}, "hits"),
        ("policies removed", {"p.yaml": None, "bad.yaml": None, "bcp.yaml": None}, "full"),
    ]
    source, cache = FileCache(), TranslateCache()
    resources, errors = source.parse(files)
    assert not errors
    assert _render(translate(resources, cache=cache)) == _render(translate(resources))
    for name, change, expect in steps:
        for path, text in change.items():
            if text is None:
                files.pop(path)
            else:
                files[path] = text
        resources, errors = source.parse(dict(files))
        incremental = translate(resources, cache=cache)
        assert _render(incremental) == _render(translate(resources)), name
        assert (cache.hits > 0) if expect == "hits" else (cache.hits == 0), name
        served = {r.name: r for ir in incremental.gateways.values() for r in ir.routes()}
        if "bad.yaml" in files:
            assert served["httproute/default/r2/rule/0/match/0"].direct_response_status == 500, name
        if "p.yaml" in files:
            assert served["httproute/default/r1/rule/0/match/0"].retry is not None, name
        stored = [ir for _, entry, _ in cache._entries.values() for _, ir in entry.routes]
        assert stored and all(ir.retry is None and ir.timeout_ms is None and ir.ext is None
                              and ir.direct_response_status is None for ir in stored), name
