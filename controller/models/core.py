"""The core kinds kgw reads: Service, EndpointSlice (discovery.k8s.io/v1), Namespace, Secret, ConfigMap."""
from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from .meta import CoreModel, KubeObject, PortNumber

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


class CoreObject(KubeObject):
    """A core kind: kgw reads a few of its fields; the rest is not kgw's configuration (meta.CoreModel)."""

    model_config = ConfigDict(extra="ignore")


class ServicePort(CoreModel):
    name: str | None = None
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"
    app_protocol: str | None = None
    port: PortNumber
    target_port: int | str | None = None
    node_port: int | None = None


class ServiceSpec(CoreModel):
    type: Literal["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] = "ClusterIP"
    ports: list[ServicePort] = []
    selector: dict[str, str] | None = None
    cluster_ip: str | None = Field(default=None, alias="clusterIP")
    external_name: str | None = None


class Service(CoreObject):
    API_VERSIONS = ("v1",)
    KIND = "Service"
    spec: ServiceSpec = ServiceSpec()


class EndpointConditions(CoreModel):
    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


class Endpoint(CoreModel):
    addresses: list[str] = Field(min_length=1, max_length=100)
    conditions: EndpointConditions = EndpointConditions()
    hostname: str | None = None
    node_name: str | None = None
    zone: str | None = None


class EndpointPort(CoreModel):
    name: str | None = None
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"
    port: int | None = Field(default=None, ge=1, le=65535)
    app_protocol: str | None = None


class EndpointSlice(CoreObject):
    API_VERSIONS = ("discovery.k8s.io/v1",)
    KIND = "EndpointSlice"
    address_type: Literal["IPv4", "IPv6", "FQDN"]
    # A slice without `endpoints` is valid (a Service scaled to zero).
    endpoints: list[Endpoint] | None = None
    ports: list[EndpointPort] | None = None


class Namespace(CoreObject):
    API_VERSIONS = ("v1",)
    KIND = "Namespace"
    NAMESPACED = False


class Secret(CoreObject):
    API_VERSIONS = ("v1",)
    KIND = "Secret"
    type: str = "Opaque"
    data: dict[str, str] = {}
    string_data: dict[str, str] = {}

    @field_validator("data")
    @classmethod
    def _base64(cls, data: dict[str, str]) -> dict[str, str]:
        for key, value in data.items():
            try:
                base64.b64decode(value, validate=True)
            except binascii.Error:
                raise ValueError(f"data[{key}]: illegal base64 data") from None
        return data


class ConfigMap(CoreObject):
    """CA certificates (`ca.crt`) for BackendTLSPolicy and frontend client certificate validation, and JWKS that
    GatewayExtensions keep in a ConfigMap (data key `jwks`)."""

    API_VERSIONS = ("v1",)
    KIND = "ConfigMap"
    data: dict[str, str] = {}
    binary_data: dict[str, str] = {}
