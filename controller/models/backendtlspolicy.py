"""BackendTLSPolicy (gateway.networking.k8s.io/v1, standard channel): how a Gateway speaks TLS to a Service."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .gateway import GATEWAY_GROUP
from .meta import Group, Hostname, K8sModel, Kind, KubeObject, ObjectName, PreciseHostname, SectionName

# CRD pattern: "System" or a domain-prefixed name of an implementation's own set.
WellKnownCA = Annotated[str, StringConstraints(
    min_length=1, max_length=253,
    pattern=r"^(System|([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/"
            r"([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]))$")]
AbsoluteURI = Annotated[str, StringConstraints(
    min_length=1, max_length=253, pattern=r"^(([^:/?#]+):)(//([^/?#]*))([^?#]*)(\?([^#]*))?(#(.*))?")]


class PolicyTargetReference(K8sModel):
    """LocalPolicyTargetReferenceWithSectionName."""

    group: Group
    kind: Kind
    name: ObjectName
    section_name: SectionName | None = None


class LocalObjectReference(K8sModel):
    group: Group
    kind: Kind
    name: ObjectName


class SubjectAltName(K8sModel):
    type: Literal["Hostname", "URI"]
    hostname: Hostname | None = None
    uri: AbsoluteURI | None = None

    @model_validator(mode="after")
    def _one_value(self) -> SubjectAltName:
        # CRD rules: the field named by `type` is set, the other one is not.
        if self.type == "Hostname" and (not self.hostname or self.uri):
            raise ValueError("SubjectAltName element must contain Hostname, if Type is set to Hostname")
        if self.type == "URI" and (not self.uri or self.hostname):
            raise ValueError("SubjectAltName element must contain URI, if Type is set to URI")
        return self


class BackendTLSPolicyValidation(K8sModel):
    ca_certificate_refs: list[LocalObjectReference] = Field(default=[], max_length=8)
    well_known_ca_certificates: WellKnownCA | None = Field(default=None, alias="wellKnownCACertificates")
    hostname: PreciseHostname
    subject_alt_names: list[SubjectAltName] = Field(default=[], max_length=5)

    @model_validator(mode="after")
    def _one_trust_source(self) -> BackendTLSPolicyValidation:
        # CRD rules on the pair caCertificateRefs / wellKnownCACertificates.
        if self.ca_certificate_refs and self.well_known_ca_certificates:
            raise ValueError("must not contain both CACertificateRefs and WellKnownCACertificates")
        if not self.ca_certificate_refs and not self.well_known_ca_certificates:
            raise ValueError("must specify either CACertificateRefs or WellKnownCACertificates")
        return self


class BackendTLSPolicySpec(K8sModel):
    target_refs: list[PolicyTargetReference] = Field(min_length=1, max_length=16)
    validation: BackendTLSPolicyValidation
    options: dict[str, str] = Field(default={}, max_length=16)

    @model_validator(mode="after")
    def _distinct_targets(self) -> BackendTLSPolicySpec:
        # CRD rules: a target named twice needs distinct, non-empty sectionNames.
        seen: dict[tuple[str, str, str], list[str | None]] = {}
        for ref in self.target_refs:
            seen.setdefault((ref.group, ref.kind, ref.name), []).append(ref.section_name)
        for sections in seen.values():
            if len(sections) > 1 and (None in sections or len(set(sections)) != len(sections)):
                raise ValueError("sectionName must be specified and unique when targetRefs includes 2 or more "
                                 "references to the same target")
        return self


class BackendTLSPolicy(KubeObject):
    API_VERSIONS = (f"{GATEWAY_GROUP}/v1",)
    KIND = "BackendTLSPolicy"
    spec: BackendTLSPolicySpec
