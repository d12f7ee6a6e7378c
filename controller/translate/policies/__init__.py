"""kgateway's extension kinds in translation (docs/kgateway-api.md).

Route translation calls into this package only through its registries (Backend backendRefs and
DirectResponse ExtensionRef filters, registered on import); translate() calls `apply` once after every
route is translated and `finish_gateway` on each assembled GatewayIR.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...ir_ext import GatewayExtIR
from ...models import KGW_GROUP
from . import backends, telemetry
from .backendconfig import BackendPolicies, apply_backend_policies, fitted
from .backends import backend_cluster
from .gateway import GatewaySettings, apply_listener_policies, envoy_settings
from .routepolicy import ListenerDefaults, PolicyResult, apply_route_policies
from .security import extension_status_problem
from .status import simple_status

backends.register()


@dataclass
class ExtState:
    policies: PolicyResult
    settings: dict
    entries: list  # the route entries with policy edits (copies; the inputs are never changed)
    defaults: ListenerDefaults  # Gateway- and listener-level settings, applied while routes are assembled
    backend_policies: BackendPolicies
    data_plane: str = "wasm"  # TranslateOptions.data_plane


def _object_statuses(resources, entries, opts, statuses: list) -> None:
    """Backend and DirectResponse statuses: Accepted, or why not (missing Secret, conflict with backends)."""
    for (ns, name), be in sorted(resources.backends.items()):
        _, problem = backend_cluster(resources, ns, name)
        statuses.append(simple_status(be, opts, problem))
    conflicts: dict[tuple[str, str], list[str]] = {}
    for e in entries:
        route = f"{e.route.kind} {e.route.namespace}/{e.route.name}"
        for ri, rule in enumerate(getattr(e.route.spec, "rules", ())):
            for ref in _direct_responses(getattr(rule, "filters", ())):
                if rule.backend_refs:
                    conflicts.setdefault((e.route.namespace, ref.name), []).append(
                        f"conflicts with backendRefs on {route} rules[{ri}]")
            for bi, backend in enumerate(getattr(rule, "backend_refs", ())):
                for ref in _direct_responses(getattr(backend, "filters", ())):
                    conflicts.setdefault((e.route.namespace, ref.name), []).append(
                        f"is a backendRef filter on {route} rules[{ri}].backendRefs[{bi}], which kgw refuses")
    for _, ext in sorted(resources.gateway_extensions.items()):
        statuses.append(simple_status(ext, opts, extension_status_problem(ext, resources, opts.oidc)))
    for key, dr in sorted(resources.direct_responses.items()):
        where = conflicts.get(key)
        problem = "; ".join(where) + " (those rules answer 500)" if where else ""
        statuses.append(simple_status(dr, opts, problem))


def _direct_responses(filters) -> list:
    return [f.extension_ref for f in filters if f.type == "ExtensionRef"
            and (f.extension_ref.group, f.extension_ref.kind) == (KGW_GROUP, "DirectResponse")]


def apply(resources, entries, gateways: dict, opts, out) -> ExtState:
    """RoutePolicies onto (copies of) RouteIRs, listener policies per Gateway; statuses and programs into
    `out`. Runs before routes are attached, so attachment and assembly see the edited entries. `gateways`:
    our GatewayStates by key."""
    result = PolicyResult()
    edited = apply_route_policies(resources, entries, gateways, opts, out.statuses, result)
    settings = apply_listener_policies(resources, set(gateways), opts, out.statuses)
    backend_policies = apply_backend_policies(resources, opts, out.statuses)
    _object_statuses(resources, entries, opts, out.statuses)
    out.programs.update({pid: p.blob for pid, p in result.programs.items()})
    return ExtState(result, settings, edited, ListenerDefaults(result), backend_policies, opts.data_plane)


def finish_gateway(ir, gateway, resources, state: ExtState) -> None:
    """Fill GatewayIR.ext with what this Gateway's Envoy needs; leave it None when nothing applies."""
    key = (ir.namespace, ir.name)
    ext = GatewayExtIR()
    ext.gateway_programs = list(state.policies.gateway_programs.get(key, ()))
    ext.fail_all = state.policies.gateway_fail.get(key)
    used, clusters, route_ext = set(ext.gateway_programs), {}, False
    grpc_clusters: set[str] = set()  # Backends a gRPC authorization service is reached through
    for route in ir.routes():
        if route.ext is not None:
            route_ext = True
            used.update(route.ext.programs)
        jwks_clusters = [p.remote_cluster for p in route.ext.jwt.providers
                         if p.remote_cluster] if route.ext and route.ext.jwt else []
        authz = route.ext.ext_auth.service if route.ext and route.ext.ext_auth else None
        if authz is not None:
            jwks_clusters.append(authz.cluster)
            if authz.grpc:
                grpc_clusters.add(authz.cluster)
        if route.ext and route.ext.oauth2:  # the token endpoint's Backend
            jwks_clusters.append(route.ext.oauth2.cluster)
        for cname in [b.cluster for b in route.backends] + jwks_clusters:
            if cname and cname.startswith("backend/") and cname not in clusters:
                ns, bname = cname.split("/")[1:3]
                cluster, _ = backend_cluster(resources, ns, bname)
                if cluster is not None:
                    clusters[cluster.name] = cluster
    ext.programs = [state.policies.programs[p] for p in sorted(used)]
    for c in ir.clusters:  # each Gateway's ClusterIRs are its own objects (assemble makes them)
        c.policy = fitted(state.backend_policies.for_service(c.service_namespace, c.service_name), c.http2, False)
    for name, b in clusters.items():
        b.http2 = name in grpc_clusters
        b.policy = fitted(state.backend_policies.for_backend(*name.split("/")[1:3]), b.http2, b.dns)
    ext.backend_clusters = [clusters[n] for n in sorted(clusters)]
    settings = state.settings.get(key, GatewaySettings())
    ext.access_logs, ext.buffer_limit_bytes = settings.access_logs, settings.buffer_limit_bytes
    ext.tracing = settings.tracing
    ext.use_remote_address, ext.xff_num_trusted_hops = settings.use_remote_address, settings.xff_num_trusted_hops
    ext.xff_trusted_cidrs = settings.xff_trusted_cidrs
    ext.envoy = envoy_settings(resources, gateway, state.data_plane)
    telemetry.finish(ir, ext, resources, settings.telemetry)
    ext.rate_limits = dict(sorted(state.policies.rate_limits.get(key, {}).items()))
    if route_ext or ext != GatewayExtIR():
        ir.ext = ext
