"""BackendTLSPolicy: the Gateway speaks TLS to a Service port, sending the policy's hostname as SNI and
checking the backend's certificate against the policy's CA certificates (ConfigMaps or Secrets, `ca.crt`) or the
proxy's system CA bundle, and against the hostname — or, when given, the subjectAltNames.

A policy targets a Service (every port) or one port by name (sectionName); a port-specific policy wins over a
Service-wide one. Policies naming the same target and sectionName conflict: the oldest, then the first by
namespace/name, applies; the others get Accepted=False Conflicted. A policy with no usable CA applies too, as a
refusal: its Service ports get no endpoints, so requests get a 5xx and nothing is sent in clear text.

Status is PolicyStatus: one ancestor per Gateway whose routes send to a targeted port.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..ir import ClusterIR, SecretIR, SubjectAltNameIR, UpstreamTLSIR
from ..models import GATEWAY_GROUP, BackendTLSPolicy
from ..resources import Resources
from . import conditions as c
from .ca_certificates import CA_KINDS, ca_bundle
from .gateways import GatewayState, creation_order
from .options import TranslateOptions

R_NO_VALID_CA, R_INVALID_CA_REF, R_CONFLICTED = "NoValidCACertificate", "InvalidCACertificateRef", "Conflicted"
SYSTEM = "System"
Target = tuple[str, str, str | None]  # (namespace, Service, port name or None for every port)


@dataclass
class PolicyState:
    policy: BackendTLSPolicy
    tls: UpstreamTLSIR | None = None  # None: no usable CA (or not accepted at all)
    ca: SecretIR | None = None
    accepted: tuple[bool, str, str] = (True, c.R_ACCEPTED, "Policy is accepted")
    resolved: tuple[bool, str, str] = (True, c.R_RESOLVED_REFS, "All references are resolved")
    conflicts: list[str] = field(default_factory=list)  # targets another policy won
    ancestors: set[tuple[str, str]] = field(default_factory=set)  # Gateways that use a target

    @property
    def key(self) -> str:
        return f"{self.policy.namespace}/{self.policy.name}"


def _resolve(policy: BackendTLSPolicy, resources: Resources) -> PolicyState:
    state = PolicyState(policy)
    v, ns = policy.spec.validation, policy.namespace
    if policy.spec.options:
        state.accepted = (False, c.R_INVALID, "options are not supported: " + ", ".join(sorted(policy.spec.options)))
        return state
    sans = [SubjectAltNameIR("DNS" if san.type == "Hostname" else "URI", san.hostname or san.uri or "")
            for san in v.subject_alt_names] or [SubjectAltNameIR("DNS", v.hostname)]
    tls = UpstreamTLSIR(sni=v.hostname, subject_alt_names=sans, policy=state.key)
    if v.well_known_ca_certificates:
        if v.well_known_ca_certificates != SYSTEM:
            state.accepted = (False, c.R_INVALID, f"wellKnownCACertificates {v.well_known_ca_certificates} is not "
                                                  f"supported ({SYSTEM} is)")
            return state
        state.tls = dataclasses.replace(tls, system_ca=True)
        return state
    bundles, problems = [], []
    for i, ref in enumerate(v.ca_certificate_refs):
        at = f"spec.validation.caCertificateRefs[{i}]"
        if (ref.group, ref.kind) not in CA_KINDS:
            problems.append((c.R_INVALID_KIND, f"{at}: kind {ref.group or 'core'}/{ref.kind} is not supported "
                                               "(ConfigMap or Secret)"))
            continue
        pem, problem = ca_bundle(resources, ref.group, ref.kind, ns, ref.name)
        if problem:
            problems.append((R_INVALID_CA_REF, f"{at}: {problem}"))
        else:
            bundles.append(pem.strip())
    if problems:
        state.resolved = (False, problems[0][0], "; ".join(m for _, m in problems))
    if not bundles:
        state.accepted = (False, R_NO_VALID_CA, "no usable CA certificate: " + "; ".join(m for _, m in problems))
        return state
    state.ca = SecretIR(f"backend-ca:{state.key}", trusted_ca="\n".join(bundles) + "\n")
    state.tls = dataclasses.replace(tls, ca_secret=state.ca.name)
    return state


class BackendTLSPolicies:
    """Every policy resolved once per translation; assembly asks `for_port` for each Service port cluster."""

    def __init__(self, resources: Resources) -> None:
        self.states: list[PolicyState] = []
        self.by_target: dict[Target, list[PolicyState]] = {}  # precedence order: [0] applies
        for policy in sorted(resources.backend_tls_policies.values(), key=creation_order):
            state = _resolve(policy, resources)
            self.states.append(state)
            for ref in policy.spec.target_refs:
                if (ref.group, ref.kind) == ("", "Service"):
                    self.by_target.setdefault((policy.namespace, ref.name, ref.section_name), []).append(state)
        for (ns, svc, section), states in self.by_target.items():
            winner = states[0]
            for loser in states[1:]:
                port = f" port {section}" if section else ""
                loser.conflicts.append(f"Service {ns}/{svc}{port} already has BackendTLSPolicy {winner.key}, "
                                       "which takes precedence (older, or first by namespace/name)")

    def for_port(self, namespace: str, service: str, port_name: str | None, gateway: tuple[str, str]
                 ) -> PolicyState | None:
        """The policy that applies to a Service port for a Gateway that sends to it; every policy naming that
        target (the winner and the conflicted) gets the Gateway as an ancestor."""
        states = (self.by_target.get((namespace, service, port_name)) if port_name else None) \
            or self.by_target.get((namespace, service, None))
        if not states:
            return None
        for state in states:
            state.ancestors.add(gateway)
        return states[0]  # even when it cannot be used: then the port is refused, never reached in clear text

    def statuses(self, opts: TranslateOptions) -> list[tuple[BackendTLSPolicy, dict]]:
        return [(s.policy, _status(s, opts)) for s in self.states]


def _status(state: PolicyState, opts: TranslateOptions) -> dict:
    cond = c.Conditions(state.policy.generation, opts.transition_time)
    if state.conflicts and state.accepted[0]:
        accepted = cond(c.ACCEPTED, False, R_CONFLICTED, "; ".join(state.conflicts))
    else:
        accepted = cond(c.ACCEPTED, *state.accepted)
    conditions = [accepted, cond(c.RESOLVED_REFS, *state.resolved)]
    return {"ancestors": [
        {"ancestorRef": {"group": GATEWAY_GROUP, "kind": "Gateway", "name": name, "namespace": ns},
         "controllerName": opts.controller_name, "conditions": conditions}
        for ns, name in sorted(state.ancestors)]}


def apply_backend_tls(cluster: ClusterIR, port_name: str | None, gateway: GatewayState,
                      policies: BackendTLSPolicies, secrets: dict[str, SecretIR]) -> None:
    """TLS for a Service port cluster of `gateway` when a policy targets the port; the SDS secrets it names go
    into `secrets`. A policy that cannot be used leaves the cluster without endpoints."""
    state = policies.for_port(cluster.service_namespace, cluster.service_name, port_name, gateway.key)
    if state is None:
        return
    if state.tls is None:
        cluster.endpoints, cluster.unusable = [], f"BackendTLSPolicy {state.key} is not accepted: {state.accepted[2]}"
        return
    cluster.upstream_tls = state.tls
    if state.ca is not None:
        secrets[state.ca.name] = state.ca
    if gateway.backend_client is not None:
        cluster.upstream_tls = dataclasses.replace(state.tls, client_certificate=gateway.backend_client.name)
        secrets[gateway.backend_client.name] = gateway.backend_client
