"""GatewayClasses and Gateways: which are ours, listener validity and conflicts, bind addresses, status."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import SecretIR
from ..models import GATEWAY_GROUP, KGW_GROUP, Gateway, GatewayClass, Listener
from ..proxyports import proxy_port
from ..resources import Resources
from . import conditions as c
from .addresses import claim_ports, requested_addresses
from .gateway_tls import (
    ClientValidation,
    apply_frontend_validation,
    backend_client_certificate,
    insecure_frontend_condition,
)
from .grants import GrantIndex
from .options import TranslateOptions
from .tls import listener_certificates

_HTTP_KINDS = [(GATEWAY_GROUP, "HTTPRoute"), (GATEWAY_GROUP, "GRPCRoute")]
# Listener protocol -> the route kinds it takes (its supportedKinds when allowedRoutes.kinds is unset).
ROUTE_KINDS = {"HTTP": _HTTP_KINDS, "HTTPS": _HTTP_KINDS, "TLS": [(GATEWAY_GROUP, "TLSRoute")],
               "TCP": [(GATEWAY_GROUP, "TCPRoute")], "UDP": [(GATEWAY_GROUP, "UDPRoute")]}
SUPPORTED_PROTOCOLS = set(ROUTE_KINDS)
# Protocols that may share a port: one Envoy listener picks the Gateway listener by SNI (TLS Passthrough and
# Terminate mix too). UDP listens on a socket of its own, so it shares a port number with any TCP protocol.
_SHARE_A_PORT = ({"HTTPS", "TLS"},)


def transport(protocol: str) -> str:
    return "udp" if protocol == "UDP" else "tcp"


@dataclass(frozen=True)
class ListenerOwner:
    """The object that declares a listener: its Gateway, or a ListenerSet attached to that Gateway."""

    kind: str  # "Gateway" | "ListenerSet"
    namespace: str
    name: str


@dataclass
class ListenerState:
    spec: Listener
    bind_port: int
    supported_kinds: list[tuple[str, str]]
    owner: ListenerOwner
    invalid_kinds: list[str] = field(default_factory=list)
    accepted: tuple[bool, str, str] = (True, c.R_ACCEPTED, "Listener is accepted")
    conflict: tuple[str, str] | None = None  # (reason, message)
    attached: set[tuple[str, str, str]] = field(default_factory=set)  # routes as (kind, ns, name)
    secrets: list[SecretIR] = field(default_factory=list)  # HTTPS, TLS Terminate: usable certificates
    ref_problems: list[tuple[str, str]] = field(default_factory=list)  # HTTPS, TLS Terminate: unusable refs
    client_validation: ClientValidation | None = None  # HTTPS: client certificates required (spec.tls.frontend)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def key(self) -> str:
        """Unique among the listeners one Envoy serves: a ListenerSet may reuse a Gateway listener's name."""
        if self.owner.kind == "Gateway":
            return self.spec.name
        return f"{self.owner.namespace}/{self.owner.name}/{self.spec.name}"

    @property
    def terminates_tls(self) -> bool:
        """HTTPS, or TLS in mode Terminate: the listener needs certificates."""
        tls = self.spec.tls
        return self.spec.protocol == "HTTPS" or (self.spec.protocol == "TLS" and tls is not None
                                                 and tls.mode == "Terminate")

    @property
    def transport(self) -> str:
        return transport(self.spec.protocol)

    @property
    def programmable(self) -> bool:
        """Routes attached here reach Envoy only if the listener is accepted and not conflicted."""
        return self.accepted[0] and self.conflict is None and (not self.terminates_tls or bool(self.secrets))

    @property
    def takes_routes(self) -> bool:
        """Programmable and left with a route kind to take: a listener whose allowedRoutes.kinds are all invalid
        (ResolvedRefs=False InvalidRouteKinds) counts as invalid where validity is counted (ListenerSets)."""
        return self.programmable and (bool(self.supported_kinds) or not self.invalid_kinds)


@dataclass
class GatewayState:
    gateway: Gateway
    address: str | None  # the first address it binds; None when it binds nothing (rejected)
    address_problem: str = ""
    parameters_problem: str = ""  # infrastructure.parametersRef cannot be used: the Gateway is rejected
    listeners: list[ListenerState] = field(default_factory=list)  # its own, then attached ListenerSets'
    port_conflicts: list[str] = field(default_factory=list)
    listener_sets: list = field(default_factory=list)  # ListenerSetState (listenersets.py), precedence order
    addresses: list[str] = field(default_factory=list)  # every address it binds (addresses.py)
    backend_client: SecretIR | None = None  # the certificate it presents to TLS backends
    backend_client_problem: tuple[str, str] = ("", "")  # (reason, message) when clientCertificateRef is unusable

    @property
    def key(self) -> tuple[str, str]:
        return (self.gateway.namespace, self.gateway.name)

    @property
    def own_listeners(self) -> list[ListenerState]:
        return [ls for ls in self.listeners if ls.owner.kind == "Gateway"]


def creation_order(obj) -> tuple:
    """Older first; objects without a timestamp (plain files) sort after those with one, then ns/name."""
    ts = obj.metadata.creation_timestamp
    return (ts is None, ts or "", obj.namespace, obj.name)


def our_classes(resources: Resources, opts: TranslateOptions) -> dict[str, GatewayClass]:
    return {
        name: gc for (_, name), gc in resources.gateway_classes.items()
        if gc.spec.controller_name == opts.controller_name
    }


def gateway_class_status(gc: GatewayClass, opts: TranslateOptions) -> dict:
    cond = c.Conditions(gc.generation, opts.transition_time)
    return {"conditions": [
        cond(c.ACCEPTED, True, c.R_ACCEPTED, f"GatewayClass is accepted by {opts.controller_name}"),
        cond(c.SUPPORTED_VERSION, True, c.R_SUPPORTED_VERSION, "Gateway API v1.6 standard channel"),
    ]}


# infrastructure.parametersRef kinds kgw reads: (group, kind) -> the Resources field holding them.
PARAMETERS_KINDS = {(KGW_GROUP, "GatewayParameters"): "gateway_parameters"}


def parameters_problem(gw: Gateway, resources: Resources) -> str:
    """Why the Gateway's parametersRef cannot be used ("" when it can, or there is none). The spec: a referent
    that is missing, of an unsupported kind or malformed rejects the Gateway (Accepted=False InvalidParameters)."""
    ref = gw.spec.infrastructure.parameters_ref if gw.spec.infrastructure else None
    if ref is None:
        return ""
    where = f"spec.infrastructure.parametersRef {ref.group}/{ref.kind} {gw.namespace}/{ref.name}"
    bucket = PARAMETERS_KINDS.get((ref.group, ref.kind))
    if bucket is None:
        known = ", ".join(f"{g}/{k}" for g, k in PARAMETERS_KINDS)
        return f"{where}: kind {ref.group}/{ref.kind} is not supported (supported: {known})"
    if (gw.namespace, ref.name) in getattr(resources, bucket):
        return ""
    bad = next((i for i in resources.invalid if (i.kind, i.namespace, i.name) == (ref.kind, gw.namespace, ref.name)),
               None)
    return f"{where} is invalid: {bad.message}" if bad else f"{where} not found"


def listener_state(owner: ListenerOwner, listener: Listener, resources: Resources, grants, opts: TranslateOptions
                   ) -> ListenerState:
    state = ListenerState(listener, proxy_port(listener.port, opts.shift_privileged_ports) + opts.port_offset, [],
                          owner)
    # Route kinds first: a listener of a protocol kgw does not serve supports no kind at all
    allowed = ROUTE_KINDS.get(listener.protocol, [])
    if listener.allowed_routes.kinds is None:
        state.supported_kinds = list(allowed)
    else:
        for rgk in listener.allowed_routes.kinds:
            if (rgk.group, rgk.kind) in allowed:
                if (rgk.group, rgk.kind) not in state.supported_kinds:
                    state.supported_kinds.append((rgk.group, rgk.kind))
            else:
                state.invalid_kinds.append(f"{rgk.group}/{rgk.kind}" if rgk.group else rgk.kind)
    if listener.protocol not in SUPPORTED_PROTOCOLS:
        state.accepted = (False, c.R_UNSUPPORTED_PROTOCOL,
                          f"protocol {listener.protocol} is not supported; supported: HTTP, HTTPS, TLS, TCP, UDP")
        return state
    if listener.protocol == "HTTPS" and listener.tls and listener.tls.mode == "Passthrough":
        state.accepted = (False, c.R_UNSUPPORTED_VALUE,
                          "tls.mode Passthrough is not supported on HTTPS listeners (use protocol TLS)")
        return state
    if state.terminates_tls:
        state.secrets, state.ref_problems = listener_certificates(owner.kind, owner.namespace, listener, resources,
                                                                  grants)
    if state.bind_port > 65535:
        state.accepted = (False, c.R_PORT_UNAVAILABLE,
                          f"port {listener.port} + offset {opts.port_offset} is above 65535")
    return state


def _mark_conflicts(listeners: list[ListenerState]) -> None:
    """Within one Gateway: same port with protocols that cannot share it, or same port and hostname (TCP and
    UDP listeners have no hostname: two on one port always conflict)."""
    by_port: dict[tuple[int, str], list[ListenerState]] = {}
    for ls in listeners:
        by_port.setdefault((ls.spec.port, ls.transport), []).append(ls)
    for (port, _), group in by_port.items():
        protocols = {ls.spec.protocol for ls in group}
        if len(protocols) > 1 and protocols not in _SHARE_A_PORT:
            for ls in group:
                ls.conflict = (c.R_PROTOCOL_CONFLICT, f"listeners on port {port} use protocols that cannot share "
                                                      f"it: {', '.join(sorted(protocols))}")
            continue
        by_host: dict[str, list[ListenerState]] = {}
        for ls in group:
            by_host.setdefault(ls.spec.hostname or "", []).append(ls)
        for host, same in by_host.items():
            if len(same) > 1:
                names = ", ".join(x.name for x in same)
                shared = same[0].spec.protocol
                message = (f"listeners {names} share {shared} port {port}" if shared in ("TCP", "UDP") else
                           f"listeners {names} share port {port} and hostname {host or '(any)'}")
                for ls in same:
                    ls.conflict = (c.R_HOSTNAME_CONFLICT, message)


def gateway_states(resources: Resources, classes: dict[str, GatewayClass], opts: TranslateOptions,
                   grants=None, listener_sets=None) -> list[GatewayState]:
    """Our Gateways, oldest first; the older Gateway keeps a contested address:port. `listener_sets`
    (listenersets.ListenerSets) adds the listeners of the ListenerSets each Gateway accepts, after its own."""
    if grants is None:
        grants = GrantIndex(resources)
    ours = [gw for gw in resources.gateways.values() if gw.spec.gateway_class_name in classes]
    ours.sort(key=creation_order)
    claimed: list[tuple[str, tuple[int, str], str]] = []  # (address, (bind port, transport), "ns/name")
    states: list[GatewayState] = []
    for gw in ours:
        addresses, problem = requested_addresses(gw, opts)
        state = GatewayState(gw, addresses[0] if addresses else None, problem, parameters_problem(gw, resources))
        if state.parameters_problem:
            state.address = None  # rejected: binds nothing, serves nothing
        owner = ListenerOwner("Gateway", gw.namespace, gw.name)
        state.listeners = [listener_state(owner, listener, resources, grants, opts) for listener in gw.spec.listeners]
        _mark_conflicts(state.listeners)
        if listener_sets is not None:
            listener_sets.attach(state)
        apply_frontend_validation(gw, state.listeners, resources, grants)
        state.backend_client, state.backend_client_problem = backend_client_certificate(gw, resources, grants)
        if state.address is not None:
            state.addresses = claim_ports(state, addresses, claimed, opts)
            state.address = state.addresses[0]
        if listener_sets is not None:
            listener_sets.settle(state)
        states.append(state)
    return states


_NOT_ACCEPTED_PARAMETERS = "the Gateway is not accepted: its parametersRef is invalid"


def gateway_status(state: GatewayState, opts: TranslateOptions) -> dict:
    gw = state.gateway
    cond = c.Conditions(gw.generation, opts.transition_time)
    usable = [ls for ls in state.own_listeners if ls.programmable]
    invalid = [ls.name for ls in state.own_listeners if not ls.programmable]
    if state.parameters_problem:
        accepted = cond(c.ACCEPTED, False, c.R_INVALID_PARAMETERS, state.parameters_problem)
        programmed = cond(c.PROGRAMMED, False, c.R_INVALID, _NOT_ACCEPTED_PARAMETERS)
    elif state.address is None:
        accepted = cond(c.ACCEPTED, False, c.R_UNSUPPORTED_ADDRESS, state.address_problem)
        programmed = cond(c.PROGRAMMED, False, c.R_ADDRESS_NOT_ASSIGNED, state.address_problem)
    else:
        if not usable:
            accepted = cond(c.ACCEPTED, False, c.R_LISTENERS_NOT_VALID, "no valid listeners: " + ", ".join(invalid))
        elif invalid:
            accepted = cond(c.ACCEPTED, True, c.R_LISTENERS_NOT_VALID, "invalid listeners: " + ", ".join(invalid))
        else:
            accepted = cond(c.ACCEPTED, True, c.R_ACCEPTED, "Gateway is accepted")
        if state.port_conflicts:
            programmed = cond(c.PROGRAMMED, False, c.R_ADDRESS_NOT_USABLE, "; ".join(state.port_conflicts))
        elif not usable:
            programmed = cond(c.PROGRAMMED, False, c.R_INVALID, "no valid listeners to program")
        else:
            programmed = cond(c.PROGRAMMED, True, c.R_PROGRAMMED, "Gateway is programmed")
    status: dict = {}
    if state.address is not None and usable:
        status["addresses"] = [{"type": "IPAddress", "value": a} for a in state.addresses]
    status["conditions"] = [accepted, programmed]
    if gw.spec.tls is not None and gw.spec.tls.backend is not None:
        reason, message = state.backend_client_problem
        status["conditions"].append(cond(c.RESOLVED_REFS, False, reason, message) if reason
                                    else cond(c.RESOLVED_REFS, True, c.R_RESOLVED_REFS, "All references are resolved"))
    insecure = insecure_frontend_condition(gw, cond)
    if insecure is not None:
        status["conditions"].append(insecure)
    rejected = _NOT_ACCEPTED_PARAMETERS if state.parameters_problem else state.address_problem
    status["listeners"] = [listener_status(ls, cond, rejected) for ls in state.own_listeners]
    if state.gateway.spec.allowed_listeners is not None or state.listener_sets:
        status["attachedListenerSets"] = sum(1 for s in state.listener_sets if s.accepted)
    return status


def listener_status(ls: ListenerState, cond: c.Conditions, rejected: str = "") -> dict:
    """`rejected`: why the whole Gateway serves nothing (then no listener is programmed). A conflicted
    listener is neither accepted nor programmed, with the conflict's reason on all three conditions."""
    ok, reason, message = ls.accepted
    if ls.conflict:
        conds = [cond(c.ACCEPTED, False, *ls.conflict), cond(c.CONFLICTED, True, *ls.conflict)]
    else:
        conds = [cond(c.ACCEPTED, ok, reason, message), cond(c.CONFLICTED, False, c.R_NO_CONFLICTS, "No conflicts")]
    if ls.programmable and not rejected:
        conds.append(cond(c.PROGRAMMED, True, c.R_PROGRAMMED, "Listener is programmed"))
    elif ls.conflict:
        conds.append(cond(c.PROGRAMMED, False, *ls.conflict))
    else:
        why = message if not ok else rejected or "no usable TLS certificate"
        conds.append(cond(c.PROGRAMMED, False, c.R_INVALID, why))
    if ls.invalid_kinds:
        conds.append(cond(c.RESOLVED_REFS, False, c.R_INVALID_ROUTE_KINDS,
                          "unsupported route kinds: " + ", ".join(ls.invalid_kinds)))
    elif ls.ref_problems:
        conds.append(cond(c.RESOLVED_REFS, False, ls.ref_problems[0][0], "; ".join(m for _, m in ls.ref_problems)))
    else:
        conds.append(cond(c.RESOLVED_REFS, True, c.R_RESOLVED_REFS, "All references are resolved"))
    return {
        "name": ls.name,
        "supportedKinds": [{"group": g, "kind": k} for g, k in ls.supported_kinds],
        "attachedRoutes": len(ls.attached),
        "conditions": conds,
    }
