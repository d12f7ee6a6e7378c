"""TLSRoute, TCPRoute and UDPRoute (gateway.networking.k8s.io/v1, standard channel v1.6.1).

The three kinds share one rule shape: a single rule (the CRD allows exactly one) of 1-16 weighted backendRefs.
TLSRoute adds the SNI hostnames it serves (required, at least one, never an IP address).
"""
from __future__ import annotations

import ipaddress

from pydantic import Field, model_validator

from .gateway import GATEWAY_GROUP
from .httproute import BackendObjectReference, ParentReference, check_parent_refs
from .meta import Hostname, K8sModel, KubeObject, SectionName

_API = (f"{GATEWAY_GROUP}/v1",)


class L4BackendRef(BackendObjectReference):
    weight: int = Field(default=1, ge=0, le=1000000)


class L4RouteRule(K8sModel):
    name: SectionName | None = None
    backend_refs: list[L4BackendRef] = Field(min_length=1, max_length=16)


class L4RouteSpec(K8sModel):
    parent_refs: list[ParentReference] = Field(default=[], max_length=32)
    rules: list[L4RouteRule] = Field(min_length=1, max_length=1)

    @model_validator(mode="after")
    def _cel_rules(self) -> L4RouteSpec:
        check_parent_refs(self.parent_refs)
        return self


class TLSRouteSpec(L4RouteSpec):
    hostnames: list[Hostname] = Field(min_length=1, max_length=1024)

    @model_validator(mode="after")
    def _no_ip(self) -> TLSRouteSpec:
        # CRD rule "Hostnames cannot contain an IP": SNI never carries an address (RFC 6066), and the
        # hostname pattern alone lets 10.0.0.1 through.
        for host in self.hostnames:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                continue
            raise ValueError("Hostnames cannot contain an IP")
        return self


class TLSRoute(KubeObject):
    API_VERSIONS = _API
    KIND = "TLSRoute"
    spec: TLSRouteSpec


class TCPRoute(KubeObject):
    API_VERSIONS = _API
    KIND = "TCPRoute"
    spec: L4RouteSpec


class UDPRoute(KubeObject):
    API_VERSIONS = _API
    KIND = "UDPRoute"
    spec: L4RouteSpec


L4_ROUTES: tuple[type[KubeObject], ...] = (TLSRoute, TCPRoute, UDPRoute)
