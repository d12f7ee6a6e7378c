"""Snapshot cache: per node id, the desired xDS resources and what that node's Envoy has accepted.

Versions are content hashes, so a restarted controller computes the same versions for the same inputs and a
reconnecting Envoy that already holds them is not sent anything again.
"""
from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from google.protobuf import any_pb2
from google.protobuf.message import Message

from .types import PUSH_ORDER, ordered

Resources = Mapping[str, Mapping[str, Message]]  # type_url -> resource name -> message


@dataclass(frozen=True)
class Snapshot:
    """Immutable desired state for one node. Every type of PUSH_ORDER is present (maybe empty)."""

    packed: Mapping[str, Mapping[str, any_pb2.Any]]  # type_url -> name -> Any (serialized once)
    resource_versions: Mapping[str, Mapping[str, str]]  # type_url -> name -> content hash
    versions: Mapping[str, str]  # type_url -> hash over the type's resource versions

    @property
    def types(self) -> list[str]:
        return ordered(self.versions)

    def count(self, type_url: str) -> int:
        return len(self.packed.get(type_url, ()))


def _digest(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


def make_snapshot(resources: Resources) -> Snapshot:
    packed: dict[str, dict[str, any_pb2.Any]] = {}
    rversions: dict[str, dict[str, str]] = {}
    versions: dict[str, str] = {}
    for type_url in ordered(set(PUSH_ORDER) | set(resources)):
        by_name = resources.get(type_url, {})
        p, rv = {}, {}
        for name in sorted(by_name):
            msg = by_name[name]
            data = msg.SerializeToString(deterministic=True)
            p[name] = any_pb2.Any(type_url="type.googleapis.com/" + msg.DESCRIPTOR.full_name, value=data)
            rv[name] = _digest(name.encode(), data)
        packed[type_url], rversions[type_url] = p, rv
        versions[type_url] = _digest(type_url.encode(), *(f"{n}={v}".encode() for n, v in rv.items()))
    return Snapshot(packed, rversions, versions)


@dataclass
class Nack:
    version: str
    message: str
    at: float = field(default_factory=time.time)


class Observer:
    """Receives xDS events; subclass and override what you need (all methods run on the event loop)."""

    def on_stream(self, node_id: str, opened: bool, delta: bool) -> None: ...
    def on_push(self, node_id: str, type_url: str, version: str, resources: int, removed: int) -> None: ...
    def on_ack(self, node_id: str, type_url: str, version: str) -> None: ...
    def on_nack(self, node_id: str, type_url: str, version: str, message: str) -> None: ...
    # Envoy turned out to already hold this version (reconnect, or a change it does not subscribe to).
    def on_synced(self, node_id: str, type_url: str, version: str) -> None: ...


@dataclass
class NodeState:
    snapshot: Snapshot | None = None
    acked: dict[str, str] = field(default_factory=dict)  # type -> version Envoy holds
    nacked: dict[str, set[str]] = field(default_factory=dict)  # type -> versions never to send again
    last_nack: dict[str, Nack] = field(default_factory=dict)  # unresolved rejections
    streams: int = 0
    wakeups: set[asyncio.Queue] = field(default_factory=set)

    def is_nacked(self, type_url: str, version: str) -> bool:
        return version in self.nacked.get(type_url, ())


class SnapshotCache:
    """Holds one Snapshot per node id and fans events out to observers and open streams."""

    def __init__(self, observers: list[Observer] | None = None):
        self.nodes: dict[str, NodeState] = {}
        self.observers: list[Observer] = list(observers or [])

    def node(self, node_id: str) -> NodeState:
        return self.nodes.setdefault(node_id, NodeState())

    def set_snapshot(self, node_id: str, snapshot: Snapshot | Resources) -> Snapshot:
        if not isinstance(snapshot, Snapshot):
            snapshot = make_snapshot(snapshot)
        state = self.node(node_id)
        state.snapshot = snapshot
        for q in state.wakeups:
            q.put_nowait(None)
        return snapshot

    def get_snapshot(self, node_id: str) -> Snapshot | None:
        state = self.nodes.get(node_id)
        return state.snapshot if state else None

    def clear(self, node_id: str) -> None:
        """Forget a node (its Gateway is gone); open streams keep their last state until they close."""
        state = self.nodes.pop(node_id, None)
        if state:
            state.snapshot = None

    def is_current(self, node_id: str, snapshot: Snapshot | None = None) -> bool:
        """True when the node's Envoy holds every non-empty type of `snapshot` (default: its current one)."""
        state = self.nodes.get(node_id)
        if state is None:
            return False
        snap = snapshot or state.snapshot
        if snap is None:
            return False
        for type_url, version in snap.versions.items():
            if snap.count(type_url) == 0:
                continue  # Envoy may never subscribe to a type it does not need
            if state.acked.get(type_url) != version:
                return False
        return True

    # --- called by the stream handlers -------------------------------------------------------------
    def emit(self, event: str, *args) -> None:
        for obs in self.observers:
            getattr(obs, event)(*args)

    def record_ack(self, node_id: str, type_url: str, version: str, implicit: bool = False) -> None:
        state = self.node(node_id)
        state.acked[type_url] = version
        state.last_nack.pop(type_url, None)
        self.emit("on_synced" if implicit else "on_ack", node_id, type_url, version)

    def record_nack(self, node_id: str, type_url: str, version: str, message: str) -> None:
        state = self.node(node_id)
        state.nacked.setdefault(type_url, set()).add(version)
        state.last_nack[type_url] = Nack(version, message)
        self.emit("on_nack", node_id, type_url, version, message)
