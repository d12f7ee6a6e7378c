"""ListenerSet (gateway.networking.k8s.io/v1, standard channel since v1.5): listeners attached to a Gateway
from its own or another namespace, when the Gateway's `allowedListeners` lets them."""
from __future__ import annotations

from pydantic import Field, model_validator

from .gateway import GATEWAY_GROUP, Listener
from .meta import Group, K8sModel, Kind, KubeObject, NamespaceName, ObjectName


class ParentGatewayReference(K8sModel):
    group: Group = GATEWAY_GROUP
    kind: Kind = "Gateway"
    name: ObjectName
    namespace: NamespaceName | None = None


class ListenerSetSpec(K8sModel):
    parent_ref: ParentGatewayReference
    listeners: list[Listener] = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _unique_listener_names(self) -> ListenerSetSpec:
        # CRD rule: "Listener name must be unique within the Gateway" (within this ListenerSet).
        names = [listener.name for listener in self.listeners]
        if len(names) != len(set(names)):
            raise ValueError("Listener name must be unique within the Gateway")
        return self


class ListenerSet(KubeObject):
    API_VERSIONS = (f"{GATEWAY_GROUP}/v1",)
    KIND = "ListenerSet"
    spec: ListenerSetSpec
