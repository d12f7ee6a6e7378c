"""GatewayClass, Gateway and ReferenceGrant (gateway.networking.k8s.io, standard channel v1.6.1)."""
from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, model_validator

from .meta import (
    Group,
    Hostname,
    K8sModel,
    Kind,
    KubeObject,
    LabelSelector,
    NamespaceName,
    ObjectName,
    PortNumber,
    SectionName,
)

GATEWAY_GROUP = "gateway.networking.k8s.io"
_VERSIONS = (f"{GATEWAY_GROUP}/v1", f"{GATEWAY_GROUP}/v1beta1")


class ParametersReference(K8sModel):
    group: Group
    kind: Kind
    name: ObjectName
    namespace: NamespaceName | None = None


class GatewayClassSpec(K8sModel):
    controller_name: str = Field(min_length=1, max_length=253)
    description: str | None = Field(default=None, max_length=64)
    parameters_ref: ParametersReference | None = None


class GatewayClass(KubeObject):
    API_VERSIONS = _VERSIONS
    KIND = "GatewayClass"
    NAMESPACED = False
    spec: GatewayClassSpec


class SecretObjectReference(K8sModel):
    group: Group = ""
    kind: Kind = "Secret"
    name: ObjectName
    namespace: NamespaceName | None = None


class GatewayTLSConfig(K8sModel):
    mode: Literal["Terminate", "Passthrough"] = "Terminate"
    certificate_refs: list[SecretObjectReference] = Field(default=[], max_length=64)
    options: dict[str, str] = {}


class RouteNamespaces(K8sModel):
    from_: Literal["All", "Selector", "Same"] = Field(default="Same", alias="from")
    selector: LabelSelector | None = None


class RouteGroupKind(K8sModel):
    group: Group = GATEWAY_GROUP
    kind: Kind


class AllowedRoutes(K8sModel):
    namespaces: RouteNamespaces = RouteNamespaces()
    kinds: list[RouteGroupKind] | None = Field(default=None, max_length=8)


class Listener(K8sModel):
    name: SectionName
    hostname: Hostname | None = None
    port: PortNumber
    protocol: str = Field(min_length=1, max_length=255)
    tls: GatewayTLSConfig | None = None
    allowed_routes: AllowedRoutes = AllowedRoutes()


class GatewayAddress(K8sModel):
    type: str = Field(default="IPAddress", min_length=1, max_length=253)
    value: str = Field(default="", max_length=253)  # "": the implementation picks one (GatewayAddressEmpty)

    @model_validator(mode="after")
    def _ip_when_ipaddress(self) -> GatewayAddress:
        # CRD rule: "value must be an IP address if type is unset or IPAddress".
        if self.type == "IPAddress" and self.value:
            try:
                ipaddress.ip_address(self.value)
            except ValueError:
                raise ValueError("value must be an IP address if type is unset or IPAddress") from None
        return self


class GatewayInfrastructure(K8sModel):
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    parameters_ref: ParametersReference | None = None


class ListenerNamespaces(K8sModel):
    """allowedListeners.namespaces: which ListenerSets may attach (default: none)."""

    from_: Literal["All", "Selector", "Same", "None"] = Field(default="None", alias="from")
    selector: LabelSelector | None = None


class AllowedListeners(K8sModel):
    namespaces: ListenerNamespaces = ListenerNamespaces()


class ObjectReference(K8sModel):
    """A reference to an object of any kind, maybe in another namespace (frontend caCertificateRefs)."""

    group: Group
    kind: Kind
    name: ObjectName
    namespace: NamespaceName | None = None


class FrontendTLSValidation(K8sModel):
    ca_certificate_refs: list[ObjectReference] = Field(min_length=1, max_length=16)
    mode: Literal["AllowValidOnly", "AllowInsecureFallback"] = "AllowValidOnly"


class FrontendTLSDefaults(K8sModel):
    validation: FrontendTLSValidation | None = None


class FrontendTLSPort(K8sModel):
    port: PortNumber
    tls: FrontendTLSDefaults


class FrontendTLSConfig(K8sModel):
    default: FrontendTLSDefaults
    per_port: list[FrontendTLSPort] = Field(default=[], max_length=64)

    @model_validator(mode="after")
    def _unique_ports(self) -> FrontendTLSConfig:
        # CRD rule: "Port for TLS configuration must be unique within the Gateway".
        ports = [p.port for p in self.per_port]
        if len(ports) != len(set(ports)):
            raise ValueError("Port for TLS configuration must be unique within the Gateway")
        return self


class GatewayBackendTLS(K8sModel):
    client_certificate_ref: SecretObjectReference | None = None


class GatewaySpecTLS(K8sModel):
    """Gateway `spec.tls`: client certificate validation (frontend), the client certificate for backends."""

    backend: GatewayBackendTLS | None = None
    frontend: FrontendTLSConfig | None = None


class GatewaySpec(K8sModel):
    gateway_class_name: ObjectName
    listeners: list[Listener] = Field(min_length=1, max_length=64)
    addresses: list[GatewayAddress] = Field(default=[], max_length=16)
    infrastructure: GatewayInfrastructure | None = None
    allowed_listeners: AllowedListeners | None = None
    tls: GatewaySpecTLS | None = None

    @model_validator(mode="after")
    def _unique_listener_names(self) -> GatewaySpec:
        # CRD rule: "Listener name must be unique within the Gateway".
        names = [listener.name for listener in self.listeners]
        if len(names) != len(set(names)):
            raise ValueError("Listener name must be unique within the Gateway")
        check_listener_tls(self.listeners)
        return self


def check_listener_tls(listeners: list[Listener]) -> None:
    """The CRD's rules on `tls` and `hostname` per protocol (same messages). The API server fills in the mode
    (Terminate) of any `tls` it stores, so "tls mode must be set for protocol TLS" means "tls must be set"."""
    if any(ls.protocol in ("HTTP", "TCP", "UDP") and ls.tls is not None for ls in listeners):
        raise ValueError("tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']")
    if any(ls.protocol == "TLS" and ls.tls is None for ls in listeners):
        raise ValueError("tls mode must be set for protocol TLS")
    if any(ls.protocol in ("TCP", "UDP") and ls.hostname for ls in listeners):
        raise ValueError("hostname must not be specified for protocols ['TCP', 'UDP']")


class Gateway(KubeObject):
    API_VERSIONS = _VERSIONS
    KIND = "Gateway"
    spec: GatewaySpec


class ReferenceGrantFrom(K8sModel):
    group: Group
    kind: Kind
    namespace: NamespaceName


class ReferenceGrantTo(K8sModel):
    group: Group
    kind: Kind
    name: ObjectName | None = None


class ReferenceGrantSpec(K8sModel):
    from_: list[ReferenceGrantFrom] = Field(alias="from", min_length=1, max_length=16)
    to: list[ReferenceGrantTo] = Field(min_length=1, max_length=16)


class ReferenceGrant(KubeObject):
    API_VERSIONS = (f"{GATEWAY_GROUP}/v1", f"{GATEWAY_GROUP}/v1beta1")
    KIND = "ReferenceGrant"
    spec: ReferenceGrantSpec
