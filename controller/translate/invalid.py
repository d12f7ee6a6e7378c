"""Statuses for objects that failed validation: Accepted=False, reason Invalid, naming file and field."""
from __future__ import annotations

from collections.abc import Mapping

from ..models import GATEWAY_GROUP, KGW_API, ROUTE_KINDS
from ..resources import InvalidObject
from . import conditions as c
from .options import TranslateOptions


def _get(obj, *path):
    for part in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(part)
    return obj


def _generation(inv: InvalidObject) -> int:
    gen = _get(inv.raw, "metadata", "generation")
    return gen if isinstance(gen, int) else 1


def invalid_status(inv: InvalidObject, our_classes: set[str], gateway_keys: set[tuple[str, str]],
                   opts: TranslateOptions) -> dict | None:
    """Status for an invalid object that is ours to report on, or None (other controllers' objects, core kinds)."""
    cond = c.Conditions(_generation(inv), opts.transition_time)
    message = f"invalid {inv.kind}: {inv.message}"
    if inv.kind == "GatewayClass":
        if _get(inv.raw, "spec", "controllerName") != opts.controller_name:
            return None
        return {"conditions": [cond(c.ACCEPTED, False, c.R_INVALID, message)]}
    if inv.kind == "Gateway":
        if _get(inv.raw, "spec", "gatewayClassName") not in our_classes:
            return None
        return {"conditions": [cond(c.ACCEPTED, False, c.R_INVALID, message),
                               cond(c.PROGRAMMED, False, c.R_INVALID, message)]}
    if inv.kind in ROUTE_KINDS:
        refs = _get(inv.raw, "spec", "parentRefs")
        parents = []
        for ref in refs if isinstance(refs, list) else []:
            if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str):
                continue
            if (ref.get("group", GATEWAY_GROUP), ref.get("kind", "Gateway")) != (GATEWAY_GROUP, "Gateway"):
                continue
            ns = ref.get("namespace") if isinstance(ref.get("namespace"), str) else inv.namespace
            if (ns, ref["name"]) not in gateway_keys:
                continue
            echo = {k: ref[k] for k in ("group", "kind", "namespace", "name", "sectionName", "port") if k in ref}
            echo.setdefault("group", GATEWAY_GROUP)
            echo.setdefault("kind", "Gateway")
            parents.append({"parentRef": dict(sorted(echo.items())), "controllerName": opts.controller_name,
                            "conditions": [cond(c.ACCEPTED, False, c.R_INVALID, message)]})
        return {"parents": parents} if parents else None
    if inv.api_version == KGW_API:
        return _kgateway_status(inv, cond, message, opts)
    return None


def raw_target_refs(raw: Mapping) -> list[Mapping]:
    """The target references of a policy that failed validation, as far as they can be read (beta1's single
    `targetRef` too): enough to say on which ancestors it is not accepted, and to fail closed there."""
    spec = _get(raw, "spec")
    if not isinstance(spec, Mapping):
        return []
    refs = spec.get("targetRefs")
    refs = list(refs) if isinstance(refs, list) else []
    if isinstance(spec.get("targetRef"), Mapping):
        refs.append(spec["targetRef"])
    return [r for r in refs if isinstance(r, Mapping) and isinstance(r.get("name"), str)
            and isinstance(r.get("kind"), str)]


def _kgateway_status(inv: InvalidObject, cond, message: str, opts: TranslateOptions) -> dict | None:
    """An invalid kgateway policy: Accepted=False (Invalid) on every target it names; another kind (Backend,
    DirectResponse): one Accepted=False condition. GatewayParameters are reported on their Gateways."""
    if inv.kind == "GatewayParameters":
        return None
    if not inv.kind.endswith("Policy"):
        return {"conditions": [cond(c.ACCEPTED, False, c.R_INVALID, message)]}
    ancestors = []
    for ref in raw_target_refs(inv.raw):
        echo = {"group": ref.get("group", GATEWAY_GROUP), "kind": ref["kind"], "name": ref["name"],
                "namespace": inv.namespace}
        if isinstance(ref.get("sectionName"), str):
            echo["sectionName"] = ref["sectionName"]
        ancestors.append({"ancestorRef": echo, "controllerName": opts.controller_name,
                          "conditions": [cond(c.ACCEPTED, False, c.R_INVALID, message),
                                         cond("Attached", False, c.R_INVALID, "not attached: the policy is invalid")]})
    if not ancestors:  # no readable target: PolicyStatus's own conditions say why
        return {"ancestors": [], "conditions": [cond(c.ACCEPTED, False, c.R_INVALID, message)]}
    return {"ancestors": ancestors}
