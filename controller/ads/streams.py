"""One ADS stream, SotW or Delta: requests and snapshot changes are merged into one queue and handled in order,
so a push and an ACK never race inside a stream."""
from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field

import grpc
from envoy.service.discovery.v3 import discovery_pb2 as pb

from .cache import NodeState, SnapshotCache
from .types import CLUSTER, ENDPOINT, WILDCARD_TYPES, ordered, short

log = logging.getLogger("kgw.ads")
_EOF = object()


class _Stream:
    delta = False

    def __init__(self, cache: SnapshotCache):
        self.cache = cache
        self.node_id: str | None = None
        self.state: NodeState | None = None
        self.types: dict = {}
        self._nonces = itertools.count(1)
        self._queue: asyncio.Queue = asyncio.Queue()

    def next_nonce(self) -> str:
        return str(next(self._nonces))

    async def run(self, requests, context):
        async def read():
            try:
                async for req in requests:
                    self._queue.put_nowait(req)
            except (asyncio.CancelledError, grpc.RpcError):
                pass
            finally:
                self._queue.put_nowait(_EOF)

        reader = asyncio.create_task(read())
        try:
            while True:
                item = await self._queue.get()
                if item is _EOF:
                    return
                if item is None:  # the node's snapshot changed
                    responses = self.on_snapshot()
                else:
                    if self.node_id is None:
                        if not item.node.id:
                            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "first request must carry node.id")
                        self._attach(item.node.id)
                    responses = self.on_request(item)
                for resp in responses:
                    yield resp
        finally:
            reader.cancel()
            self._detach()

    def _attach(self, node_id: str) -> None:
        self.node_id = node_id
        self.state = self.cache.node(node_id)
        self.state.wakeups.add(self._queue)
        self.state.streams += 1
        log.info("xds %s stream opened by %s", "delta" if self.delta else "sotw", node_id)
        self.cache.emit("on_stream", node_id, True, self.delta)

    def _detach(self) -> None:
        if self.state is None:
            return
        self.state.wakeups.discard(self._queue)
        self.state.streams -= 1
        log.info("xds stream of %s closed", self.node_id)
        self.cache.emit("on_stream", self.node_id, False, self.delta)

    def on_snapshot(self) -> list:
        out = []
        for type_url in ordered(self.types):
            out += self.maybe_send(type_url)
        return out

    def _nack(self, type_url: str, version: str, req) -> None:
        assert self.node_id is not None and self.state is not None  # _attach() ran on the first request
        msg = req.error_detail.message or f"code {req.error_detail.code}"
        log.warning("xds NACK from %s for %s version %s: %s", self.node_id, short(type_url), version, msg)
        self.cache.record_nack(self.node_id, type_url, version, msg)

    def on_request(self, req) -> list:
        raise NotImplementedError

    def maybe_send(self, type_url: str) -> list:
        raise NotImplementedError


@dataclass
class _SotwType:
    names: frozenset[str] | None  # None: wildcard
    sent_version: str | None = None
    sent_names: frozenset[str] | None = None
    nonce: str | None = None
    pending: str | None = None  # version sent and not yet answered


class SotwStream(_Stream):
    def on_request(self, req: pb.DiscoveryRequest) -> list:
        assert self.node_id is not None and self.state is not None  # _attach() ran on the first request
        t = req.type_url
        names = None if t in WILDCARD_TYPES else frozenset(req.resource_names)
        st = self.types.get(t)
        if st is None or not req.response_nonce:
            st = self.types[t] = _SotwType(names)
            snap = self.state.snapshot
            if req.version_info and snap is not None and snap.versions.get(t) == req.version_info:
                # A reconnecting Envoy that already holds this version: nothing to push, no churn.
                st.sent_version, st.sent_names = req.version_info, names
                self.cache.record_ack(self.node_id, t, req.version_info, implicit=True)
                return []
            return self.maybe_send(t)
        if req.response_nonce != st.nonce:
            return []  # stale: answers a response that a newer one superseded
        st.names = names
        version, st.pending = st.pending, None
        if version is not None:
            if req.HasField("error_detail"):
                self._nack(t, version, req)
            else:
                self.cache.record_ack(self.node_id, t, version)
        return self.maybe_send(t)

    def maybe_send(self, t: str) -> list:
        assert self.node_id is not None and self.state is not None  # _attach() ran on the first request
        st, snap = self.types[t], self.state.snapshot
        if snap is None or t not in snap.versions:
            return []
        version = snap.versions[t]
        if self.state.is_nacked(t, version):
            return []
        if version == st.sent_version and st.names == st.sent_names:
            return []
        if st.names is not None and not st.names and st.sent_version is None:
            return []  # a named type nobody asks for yet
        packed = snap.packed[t]
        wanted = sorted(packed) if st.names is None else sorted(n for n in st.names if n in packed)
        st.nonce, st.sent_version, st.sent_names, st.pending = self.next_nonce(), version, st.names, version
        if t == CLUSTER and ENDPOINT in self.types:
            # An updated EDS cluster is a new cluster to Envoy: it warms until its endpoints arrive again, even
            # unchanged (else 15 s, the initial fetch timeout), so the endpoints go out again right after.
            self.types[ENDPOINT].sent_version = None
        self.cache.emit("on_push", self.node_id, t, version, len(wanted), 0)
        return [pb.DiscoveryResponse(version_info=version, type_url=t, nonce=st.nonce,
                                     resources=[packed[n] for n in wanted])]


@dataclass
class _DeltaType:
    wildcard: bool
    names: set[str] = field(default_factory=set)
    known: dict[str, str] = field(default_factory=dict)  # what Envoy holds; "" = told it does not exist
    nonce: str | None = None
    pending: tuple[str, dict[str, str | None]] | None = None  # (version, known before the push)
    must_answer: bool = False


class DeltaStream(_Stream):
    delta = True

    def on_request(self, req: pb.DeltaDiscoveryRequest) -> list:
        assert self.node_id is not None and self.state is not None  # _attach() ran on the first request
        t = req.type_url
        st = self.types.get(t)
        if st is None:
            # An empty first subscription is the legacy wildcard for LDS/CDS.
            st = self.types[t] = _DeltaType(wildcard=t in WILDCARD_TYPES and not req.resource_names_subscribe)
            st.known.update(req.initial_resource_versions)
            # A fresh Envoy waits (15 s) for a first answer even when there is nothing to send.
            st.must_answer = not req.initial_resource_versions
        for name in req.resource_names_subscribe:
            if name == "*":
                st.wildcard = True
            else:
                st.names.add(name)
        for name in req.resource_names_unsubscribe:
            if name == "*":
                st.wildcard = False
            else:
                st.names.discard(name)
                st.known.pop(name, None)
        # Subscription changes count even on a stale nonce; only the ACK/NACK part is ignored then.
        if req.response_nonce and req.response_nonce == st.nonce and st.pending is not None:
            (version, before), st.pending = st.pending, None
            if req.HasField("error_detail"):
                for name, old in before.items():  # Envoy kept what it had
                    if old is None:
                        st.known.pop(name, None)
                    else:
                        st.known[name] = old
                self._nack(t, version, req)
            else:
                self.cache.record_ack(self.node_id, t, version)
        return self.maybe_send(t)

    def maybe_send(self, t: str) -> list:
        assert self.node_id is not None and self.state is not None  # _attach() ran on the first request
        st, snap = self.types[t], self.state.snapshot
        if snap is None or t not in snap.versions:
            return []
        version = snap.versions[t]
        if self.state.is_nacked(t, version):
            return []
        rv = snap.resource_versions[t]
        wanted = rv.keys() if st.wildcard else st.names & rv.keys()
        updates = [n for n in sorted(wanted) if st.known.get(n) != rv[n]]
        gone = [n for n, v in st.known.items() if n not in rv and v != ""]
        if not st.wildcard:
            gone += [n for n in st.names if n not in rv and n not in st.known]  # asked for, does not exist
        if not updates and not gone and not st.must_answer:
            stale = self.state.acked.get(t) != version or t in self.state.last_nack
            if st.pending is None and stale:
                self.cache.record_ack(self.node_id, t, version, implicit=True)
            return []
        before = {n: st.known.get(n) for n in (*updates, *gone)}
        if t == CLUSTER and ENDPOINT in self.types:
            # An updated EDS cluster is a new cluster to Envoy: it warms until its endpoints arrive again, even
            # unchanged (else 15 s, the initial fetch timeout), so they count as unknown to Envoy and go again.
            for n in updates:
                self.types[ENDPOINT].known.pop(n, None)
        for n in updates:
            st.known[n] = rv[n]
        for n in gone:
            if st.wildcard and n not in st.names:
                del st.known[n]
            else:
                st.known[n] = ""
        st.nonce, st.must_answer = self.next_nonce(), False
        st.pending = (version, before)
        self.cache.emit("on_push", self.node_id, t, version, len(updates), len(gone))
        packed = snap.packed[t]
        return [pb.DeltaDiscoveryResponse(
            system_version_info=version, type_url=t, nonce=st.nonce, removed_resources=sorted(gone),
            resources=[pb.Resource(name=n, version=rv[n], resource=packed[n]) for n in updates])]
