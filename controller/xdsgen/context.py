"""What the generators of one Gateway's xDS share, computed once per Gateway before any proto is built."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import GatewayIR, RouteIR
from ..ir_ext import GatewayExtIR, LambdaIR
from ..ir_traffic import ClusterPolicyIR


@dataclass
class XdsContext:
    gw: GatewayIR
    routes: list[RouteIR] = field(default_factory=list)  # every route of every virtual host
    program_routes: set[str] = field(default_factory=set)  # names of the routes that run rules programs
    # ... programs placed before authentication (transformation.filterStage: a second instance of the filter)
    early_program_routes: set[str] = field(default_factory=set)
    lambdas: dict[str, LambdaIR] = field(default_factory=dict)  # cluster name -> the Lambda it invokes
    cluster_policies: dict[str, ClusterPolicyIR] = field(default_factory=dict)  # BackendConfigPolicy, by cluster
    # clusters a route with autoHostRewrite sends to: their endpoints carry a host name to rewrite Host to
    named_endpoints: set[str] = field(default_factory=set)

    @property
    def ext(self) -> GatewayExtIR | None:
        return self.gw.ext

    @property
    def native(self) -> bool:
        """Programs run in the native build of the filter (GatewayParameters dataPlane: Native)."""
        return self.gw.ext is not None and self.gw.ext.envoy.data_plane == "native"

    def rule_routes(self, before_auth: bool) -> set[str]:
        """The routes one instance of the rules filter runs programs on (before authentication, or at its
        usual place)."""
        return self.early_program_routes if before_auth else self.program_routes

    @classmethod
    def of(cls, gw: GatewayIR) -> XdsContext:
        ctx = cls(gw, list(gw.routes()))
        ctx.cluster_policies = {c.name: c.policy for c in gw.clusters if c.policy is not None}
        ctx.named_endpoints = {b.cluster for r in ctx.routes if r.ext and r.ext.auto_host_rewrite
                               for b in r.backends if b.cluster}
        ext = gw.ext
        if ext is None:
            return ctx
        ctx.lambdas = {b.name: b.lambda_ for b in ext.backend_clusters if b.lambda_ is not None}
        ctx.cluster_policies.update((b.name, b.policy) for b in ext.backend_clusters if b.policy is not None)
        if ext.programs or ext.gateway_programs:
            ctx.program_routes = {r.name for r in ctx.routes if runs_programs(r, ext)}
            ctx.early_program_routes = {r.name for r in ctx.routes if runs_programs(r, ext, before_auth=True)}
        return ctx


def programs_of(route: RouteIR, ext: GatewayExtIR, before_auth: bool = False) -> list[str]:
    """The program ids a route runs in one instance of the rules filter (before authentication, or at its
    usual place), in order: Gateway-level first, then route- and rule-level."""
    ids = list(ext.gateway_programs) + (list(route.ext.programs) if route.ext else [])
    early = {p.id for p in ext.programs if p.before_auth}
    return [i for i in ids if (i in early) == before_auth]


def runs_programs(route: RouteIR, ext: GatewayExtIR, before_auth: bool = False) -> bool:
    return bool(programs_of(route, ext, before_auth)) and route.direct_response_status is None
