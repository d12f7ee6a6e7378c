"""ReferenceGrants, indexed for the questions translation asks about cross-namespace references."""
from __future__ import annotations

from ..models import GATEWAY_GROUP, ReferenceGrant
from ..resources import Resources


class GrantIndex:
    """ReferenceGrants by the namespace they live in (= the namespace of the referenced object)."""

    def __init__(self, resources: Resources) -> None:
        self._by_ns: dict[str, list[ReferenceGrant]] = {}
        for (ns, _), grant in resources.reference_grants.items():
            self._by_ns.setdefault(ns, []).append(grant)

    def allows(self, from_ns: str, from_kind: str, to_ns: str, to_kind: str, to_name: str) -> bool:
        """Does a ReferenceGrant in `to_ns` let `from_kind` objects of `from_ns` refer to this core object?"""
        for grant in self._by_ns.get(to_ns, ()):
            if not any(f.group == GATEWAY_GROUP and f.kind == from_kind and f.namespace == from_ns
                       for f in grant.spec.from_):
                continue
            if any(t.group == "" and t.kind == to_kind and t.name in (None, to_name) for t in grant.spec.to):
                return True
        return False
