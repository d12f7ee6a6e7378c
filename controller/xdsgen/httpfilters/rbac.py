"""TrafficPolicy `acl` and `rbac`: two instances of Envoy's RBAC filter, each listed off and switched on per
route. Both test the client address Envoy resolved (`remote_ip`: the x-forwarded-for hop the listener trusts,
see ListenerPolicy httpSettings), the same address rules read as `client_ip`. ACL first: longest-prefix
verdicts, flattened at translation into the addresses that differ from the default action."""
from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Sequence

from envoy.config.core.v3 import address_pb2
from envoy.config.rbac.v3 import rbac_pb2 as rbac_config
from envoy.config.route.v3 import route_components_pb2
from envoy.extensions.filters.http.rbac.v3 import rbac_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.type.matcher.v3 import metadata_pb2, path_pb2, regex_pb2, string_pb2, value_pb2
from google.protobuf import any_pb2, wrappers_pb2
from google.protobuf.message import Message

from ... import cel
from ...ir import RouteIR
from ...ir_security import AclDenyIR, AclIR
from ..context import XdsContext
from .jwt_authn import NAME as JWT_FILTER
from .jwt_authn import PAYLOAD_IN_METADATA
from .optional import listed_off, switched_on
from .scope import HcmScope

ACL_NAME = "kgw.acl"
RBAC_NAME = "kgw.rbac"
_ALLOW, _DENY = rbac_config.RBAC.ALLOW, rbac_config.RBAC.DENY


def _ip(cidr: str) -> rbac_config.Principal:
    net = ipaddress.ip_network(cidr)
    return rbac_config.Principal(remote_ip=address_pb2.CidrRange(
        address_prefix=str(net.network_address), prefix_len=wrappers_pb2.UInt32Value(value=net.prefixlen)))


def _any_of(cidrs: list[str]) -> rbac_config.Principal:
    if len(cidrs) == 1:
        return _ip(cidrs[0])
    return rbac_config.Principal(or_ids=rbac_config.Principal.Set(ids=[_ip(c) for c in cidrs]))


def _rules(action: int, principal: rbac_config.Principal | None,
           permission: rbac_config.Permission | None = None,
           expressions: Sequence[str] = ()) -> rbac_pb2.RBACPerRoute:
    """One policy matching `principal`, `permission` and one of the CEL `expressions` (None: any request; no
    principal: no policy at all, so ALLOW denies everything and DENY nothing)."""
    rules = rbac_config.RBAC(action=action)
    if principal is not None:
        policy = rbac_config.Policy(permissions=[permission or rbac_config.Permission(any=True)],
                                    principals=[principal])
        if expressions:  # Envoy evaluates the parsed AST; an evaluation error is "no match"
            policy.condition.CopyFrom(cel.any_of([cel.parse(text) for text in expressions]))
        rules.policies["kgw"].CopyFrom(policy)
    return rbac_pb2.RBACPerRoute(rbac=rbac_pb2.RBAC(rules=rules))


def _header(name: str, values: list[str]) -> rbac_config.Permission:
    if not values:
        return rbac_config.Permission(header=route_components_pb2.HeaderMatcher(name=name, present_match=True))
    matchers = [rbac_config.Permission(header=route_components_pb2.HeaderMatcher(
        name=name, string_match=string_pb2.StringMatcher(exact=v))) for v in values]
    return matchers[0] if len(matchers) == 1 else rbac_config.Permission(
        or_rules=rbac_config.Permission.Set(rules=matchers))


def _path(kind: str, value: str) -> rbac_config.Permission:
    """The path without its query, as an HTTPRoute path match: a prefix matches whole segments."""
    def url(matcher: string_pb2.StringMatcher) -> rbac_config.Permission:
        return rbac_config.Permission(url_path=path_pb2.PathMatcher(path=matcher))
    if kind == "Exact":
        return url(string_pb2.StringMatcher(exact=value))
    if kind == "RegularExpression":
        return url(string_pb2.StringMatcher(safe_regex=regex_pb2.RegexMatcher(regex=value)))
    prefix = value.rstrip("/")
    if not prefix:
        return rbac_config.Permission(any=True)
    return rbac_config.Permission(or_rules=rbac_config.Permission.Set(rules=[
        url(string_pb2.StringMatcher(exact=prefix)), url(string_pb2.StringMatcher(prefix=prefix + "/"))]))


def _one_or_any(rules: list[rbac_config.Permission]) -> rbac_config.Permission:
    return rules[0] if len(rules) == 1 else rbac_config.Permission(or_rules=rbac_config.Permission.Set(rules=rules))


def _permission(methods: list[str], headers: list[tuple[str, list[str]]],
                paths: Sequence[tuple[str, str]] = ()) -> rbac_config.Permission | None:
    """The request conditions (method, path, headers), AND-ed; None when there are none."""
    parts = [_header(name, values) for name, values in headers]
    if paths:
        parts.insert(0, _one_or_any([_path(kind, value) for kind, value in paths]))
    if methods:
        parts.insert(0, _header(":method", methods))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else rbac_config.Permission(and_rules=rbac_config.Permission.Set(rules=parts))


def _claim(path: list[str], is_list: bool, values: list[str]) -> rbac_config.Principal:
    """The verified token's claim, read where jwt_authn puts the payload (PAYLOAD_IN_METADATA): one of `values`
    (a list claim: holds one of them). No verified token: no metadata, no match."""
    def one(value: str) -> rbac_config.Principal:
        match = value_pb2.ValueMatcher(string_match=string_pb2.StringMatcher(exact=value))
        if is_list:
            match = value_pb2.ValueMatcher(list_match=value_pb2.ListMatcher(one_of=match))
        return rbac_config.Principal(metadata=metadata_pb2.MetadataMatcher(
            filter=JWT_FILTER, value=match,
            path=[metadata_pb2.MetadataMatcher.PathSegment(key=k) for k in [PAYLOAD_IN_METADATA, *path]]))
    ids = [one(v) for v in values]
    return ids[0] if len(ids) == 1 else rbac_config.Principal(or_ids=rbac_config.Principal.Set(ids=ids))


def _all_of(ids: list[rbac_config.Principal]) -> rbac_config.Principal:
    if not ids:
        return rbac_config.Principal(any=True)
    return ids[0] if len(ids) == 1 else rbac_config.Principal(and_ids=rbac_config.Principal.Set(ids=ids))


def deny_policy_id(deny: AclDenyIR, label: str) -> str:
    """The RBAC policy that refuses with one deny response (and rule label): the connection manager's local
    reply mapper finds the refusal by it, in the response code details Envoy writes."""
    key = json.dumps([deny.status, deny.headers, deny.blocked_by_header, label])
    return "kgw-acl-deny-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _denials(acl: AclIR) -> list[tuple[str, rbac_config.Principal]]:
    """(label, the addresses refused under it)."""
    assert acl.deny is not None
    if acl.deny.blocked_by_header:
        return [(label, _any_of(cidrs)) for label, cidrs in acl.deny.denied]
    if acl.default_allow:
        return [("", _any_of(acl.exceptions))] if acl.exceptions else []
    return [("", rbac_config.Principal(not_id=_any_of(acl.exceptions)) if acl.exceptions
             else rbac_config.Principal(any=True))]


def acl_config(route: RouteIR) -> rbac_pb2.RBACPerRoute | None:
    acl = route.ext.acl if route.ext else None
    if acl is None:
        return None
    if acl.deny is not None:  # DENY policies named by deny response, so the refusal's answer can be mapped
        rules = rbac_config.RBAC(action=_DENY)
        for label, principal in _denials(acl):
            rules.policies[deny_policy_id(acl.deny, label)].CopyFrom(rbac_config.Policy(
                permissions=[rbac_config.Permission(any=True)], principals=[principal]))
        return rbac_pb2.RBACPerRoute(rbac=rbac_pb2.RBAC(rules=rules))
    if acl.default_allow:  # deny the exceptions
        return _rules(_DENY, _any_of(acl.exceptions) if acl.exceptions else None)
    return _rules(_ALLOW, _any_of(acl.exceptions) if acl.exceptions else None)


def rbac_config_of(route: RouteIR) -> rbac_pb2.RBACPerRoute | None:
    r = route.ext.rbac if route.ext else None
    if r is None:
        return None
    permission = _permission(r.methods, r.headers, r.paths)
    who = ([_any_of(r.allow)] if r.allow else []) + [_claim(*c) for c in r.claims]
    if r.action == "Allow":  # matching requests from allowed addresses (any when none is listed), not blocked
        if r.block:
            who.append(rbac_config.Principal(not_id=_any_of(r.block)))
        return _rules(_ALLOW, _all_of(who), permission, r.expressions)
    # Deny: matching requests (from the listed addresses, or any), and every request from a blocked address
    matched = bool(who) or permission is not None or bool(r.expressions)  # only blockedCIDRs: only them
    out = _rules(_DENY, _all_of(who) if matched else None, permission, r.expressions)
    if r.block:
        out.rbac.rules.policies["kgw-blocked"].CopyFrom(rbac_config.Policy(
            permissions=[rbac_config.Permission(any=True)], principals=[_any_of(r.block)]))
    return out


class _Instance:
    """`setting`: the RouteExtIR field `build` turns into the route's RBAC config (None when unset)."""

    def __init__(self, name: str, setting: str, build) -> None:
        self.name, self.setting, self.build = name, setting, build

    def hcm_filters(self, ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
        if not any(r.ext is not None and getattr(r.ext, self.setting) is not None for r in scope.routes):
            return []
        return [listed_off(self.name, rbac_pb2.RBAC())]

    def per_route(self, ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
        config = self.build(route)
        return {self.name: switched_on(config)} if config is not None else {}

    def resources(self, ctx: XdsContext) -> dict[str, dict[str, Message]]:
        return {}


acl = _Instance(ACL_NAME, "acl", acl_config)
rbac = _Instance(RBAC_NAME, "rbac", rbac_config_of)
