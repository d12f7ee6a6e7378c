"""Policy status in Gateway API's PolicyStatus shape: one ancestor per target, Accepted and Attached."""
from __future__ import annotations

from ...models import KGW_API
from .. import conditions as c

ATTACHED = "Attached"
R_TARGET_NOT_FOUND = "TargetNotFound"
R_OVERRIDDEN = "Overridden"


def object_status(obj, status: dict) -> dict:
    return {"apiVersion": KGW_API, "kind": obj.KIND, "namespace": obj.namespace, "name": obj.name,
            "status": status}


class Ancestors:
    def __init__(self, policy, opts) -> None:
        self.policy, self.opts = policy, opts
        self.cond = c.Conditions(policy.generation, opts.transition_time)
        self.items: list[dict] = []

    def add(self, ref, problem: str, found: bool, why: str = "", overridden: str = "") -> None:
        """`ref` has group, kind, name, section_name; `overridden`: why nothing of the policy applies there."""
        ancestor = {"group": ref.group, "kind": ref.kind, "name": ref.name, "namespace": self.policy.namespace}
        if ref.section_name:
            ancestor["sectionName"] = ref.section_name
        accepted = (self.cond(c.ACCEPTED, False, c.R_INVALID, problem) if problem
                    else self.cond(c.ACCEPTED, True, c.R_ACCEPTED, "Policy accepted"))
        if not found:
            target = f"{ref.kind} {self.policy.namespace}/{ref.name}" + (
                f" rule {ref.section_name}" if ref.section_name else "")
            attached = self.cond(ATTACHED, False, R_TARGET_NOT_FOUND, why or f"{target} not found")
        elif overridden:
            attached = self.cond(ATTACHED, False, R_OVERRIDDEN, overridden)
        else:
            attached = self.cond(ATTACHED, True, ATTACHED, "Attached to all targets")
        self.items.append({"ancestorRef": ancestor, "controllerName": self.opts.controller_name,
                           "conditions": [accepted, attached]})

    def status(self) -> dict:
        return object_status(self.policy, {"ancestors": self.items})


def simple_status(obj, opts, problem: str) -> dict:
    cond = c.Conditions(obj.generation, opts.transition_time)
    accepted = (cond(c.ACCEPTED, False, c.R_INVALID, problem) if problem
                else cond(c.ACCEPTED, True, c.R_ACCEPTED, f"{obj.KIND} accepted"))
    return object_status(obj, {"conditions": [accepted]})
