"""ListenerSets: listeners declared outside a Gateway (maybe in another namespace) and served by it when its
`spec.allowedListeners` lets them attach.

A Gateway's listeners are its own followed by those of its accepted ListenerSets, in the spec's precedence
order: the Gateway first, then ListenerSets oldest first, then by namespace/name. A ListenerSet listener that
clashes with one before it (same port with another protocol, or same port and hostname) is conflicted and not
served; the one with precedence keeps serving. Routes attach to a ListenerSet's listeners only through a
parentRef to the ListenerSet, never through the Gateway.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..models import GATEWAY_GROUP, Gateway, ListenerSet
from ..resources import Resources
from . import conditions as c
from .gateways import GatewayState, ListenerOwner, ListenerState, creation_order, listener_state, listener_status
from .options import TranslateOptions

R_NOT_ALLOWED, R_PARENT_NOT_ACCEPTED = "NotAllowed", "ParentNotAccepted"
Key = tuple[str, str]


@dataclass
class ListenerSetState:
    listener_set: ListenerSet
    gateway: Key
    listeners: list[ListenerState] = field(default_factory=list)
    rejected: tuple[str, str] | None = None  # (reason, message): not allowed, or its Gateway is not accepted

    @property
    def key(self) -> Key:
        return (self.listener_set.namespace, self.listener_set.name)

    @property
    def accepted(self) -> bool:
        return self.rejected is None and any(ls.takes_routes for ls in self.listeners)


def parent_key(lset: ListenerSet) -> Key | None:
    ref = lset.spec.parent_ref
    if (ref.group, ref.kind) != (GATEWAY_GROUP, "Gateway"):
        return None
    return (ref.namespace or lset.namespace, ref.name)


def _not_allowed(gw: Gateway, lset: ListenerSet, resources: Resources) -> str:
    """Why the Gateway's allowedListeners refuses this ListenerSet ("" when it accepts it)."""
    allowed = gw.spec.allowed_listeners
    rule = allowed.namespaces if allowed is not None else None
    where = f"Gateway {gw.namespace}/{gw.name}"
    if rule is None or rule.from_ == "None":
        return f"{where} allows no ListenerSets (spec.allowedListeners)"
    if rule.from_ == "All":
        return ""
    if rule.from_ == "Same":
        return "" if lset.namespace == gw.namespace else \
            f"{where} allows ListenerSets of its own namespace only"
    labels = resources.namespace_labels(lset.namespace)
    if rule.selector is not None and rule.selector.matches(labels):
        return ""
    return f"{where} allows ListenerSets of the namespaces its selector picks; namespace {lset.namespace} is not one"


def _mark_conflict(new: ListenerState, before: list[ListenerState]) -> None:
    """Against every listener with precedence that is not conflicted itself. The message names no other
    listener: it may belong to another namespace."""
    same_port = [o for o in before if o.spec.port == new.spec.port and o.conflict is None]
    if any(o.spec.protocol != new.spec.protocol for o in same_port):
        new.conflict = (c.R_PROTOCOL_CONFLICT,
                        f"port {new.spec.port} is served with another protocol by a listener with precedence")
    elif any((o.spec.hostname or "") == (new.spec.hostname or "") for o in same_port):
        host = new.spec.hostname or "(any hostname)"
        new.conflict = (c.R_HOSTNAME_CONFLICT,
                        f"port {new.spec.port} and hostname {host} are served by a listener with precedence")


class ListenerSets:
    """Built once per translation; `gateway_states` calls `attach` after a Gateway's own listeners are known
    and `settle` once its ports are claimed. `states` then holds every ListenerSet of our Gateways, and
    `orphans` those whose Gateway is missing or invalid (reported, as routes to such Gateways are)."""

    def __init__(self, resources: Resources, grants, opts: TranslateOptions) -> None:
        self.resources, self.grants, self.opts = resources, grants, opts
        self.by_gateway: dict[Key, list[ListenerSet]] = {}
        for lset in sorted(resources.listener_sets.values(), key=creation_order):
            key = parent_key(lset)
            if key is not None:
                self.by_gateway.setdefault(key, []).append(lset)
        self.states: dict[Key, ListenerSetState] = {}
        self.orphans: dict[Key, str] = {}

    def attach(self, state: GatewayState) -> None:
        for lset in self.by_gateway.get(state.key, ()):
            owner = ListenerOwner("ListenerSet", lset.namespace, lset.name)
            ls_state = ListenerSetState(lset, state.key, [
                listener_state(owner, spec, self.resources, self.grants, self.opts) for spec in lset.spec.listeners])
            self.states[ls_state.key] = ls_state
            state.listener_sets.append(ls_state)
            if state.address is None:
                ls_state.rejected = (R_PARENT_NOT_ACCEPTED, "its Gateway is not accepted")
                continue
            refused = _not_allowed(state.gateway, lset, self.resources)
            if refused:
                ls_state.rejected = (R_NOT_ALLOWED, refused)
                continue
            for ls in ls_state.listeners:
                _mark_conflict(ls, state.listeners)
                state.listeners.append(ls)

    def settle(self, state: GatewayState) -> None:
        """A Gateway with no usable listener of its own is not accepted, and then serves no ListenerSet."""
        if any(ls.programmable for ls in state.own_listeners):
            return
        for ls_state in state.listener_sets:
            if ls_state.rejected is None:
                ls_state.rejected = (R_PARENT_NOT_ACCEPTED, "its Gateway is not accepted: no valid listeners")
        state.listeners = state.own_listeners

    def find_orphans(self, resources: Resources, invalid_gateways: set[Key]) -> None:
        """ListenerSets pointing at a Gateway that is missing or invalid. One of another controller is not
        ours to report on."""
        for key, lset in resources.listener_sets.items():
            gw_key = parent_key(lset)
            if key in self.states or gw_key is None:
                continue
            if gw_key in invalid_gateways:
                self.orphans[key] = f"Gateway {gw_key[0]}/{gw_key[1]} is invalid"
            elif gw_key not in resources.gateways:
                self.orphans[key] = f"Gateway {gw_key[0]}/{gw_key[1]} not found"


def allowed_listener_ports(gw: Gateway, resources: Resources) -> list[tuple[int, str]]:
    """The (port, protocol) pairs of the listeners of every ListenerSet the Gateway allows (for its proxy's
    Service; a listener the translator then finds conflicted shares its port with one that serves)."""
    key = (gw.namespace, gw.name)
    return sorted({(spec.port, spec.protocol) for lset in resources.listener_sets.values() if parent_key(lset) == key
                   and not _not_allowed(gw, lset, resources) for spec in lset.spec.listeners})


def listener_set_status(ls_state: ListenerSetState, opts: TranslateOptions) -> dict:
    cond = c.Conditions(ls_state.listener_set.generation, opts.transition_time)
    usable = [ls for ls in ls_state.listeners if ls.takes_routes]
    invalid = [ls.name for ls in ls_state.listeners if not ls.takes_routes]
    if ls_state.rejected is not None:
        reason, message = ls_state.rejected
        conds = [cond(c.ACCEPTED, False, reason, message), cond(c.PROGRAMMED, False, reason, message)]
    elif not usable:
        message = "no valid listeners: " + ", ".join(invalid)
        conds = [cond(c.ACCEPTED, False, c.R_LISTENERS_NOT_VALID, message),
                 cond(c.PROGRAMMED, False, c.R_LISTENERS_NOT_VALID, message)]
    else:
        accepted = cond(c.ACCEPTED, True, c.R_LISTENERS_NOT_VALID, "invalid listeners: " + ", ".join(invalid)) \
            if invalid else cond(c.ACCEPTED, True, c.R_ACCEPTED, "ListenerSet is accepted")
        conds = [accepted, cond(c.PROGRAMMED, True, c.R_PROGRAMMED, "ListenerSet is programmed")]
    rejected = f"the ListenerSet is not accepted: {ls_state.rejected[1]}" if ls_state.rejected else ""
    return {"conditions": conds, "listeners": [listener_status(ls, cond, rejected) for ls in ls_state.listeners]}


def orphan_status(lset: ListenerSet, message: str, opts: TranslateOptions) -> dict:
    cond = c.Conditions(lset.generation, opts.transition_time)
    return {"conditions": [cond(c.ACCEPTED, False, R_PARENT_NOT_ACCEPTED, message),
                           cond(c.PROGRAMMED, False, R_PARENT_NOT_ACCEPTED, message)]}
