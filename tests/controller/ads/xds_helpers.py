"""Hand-built xDS resources and a grpc.aio ADS client for driving the servicer like Envoy would."""
from __future__ import annotations

import asyncio
import contextlib

import grpc
from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.core.v3 import extension_pb2
from envoy.config.endpoint.v3 import endpoint_pb2
from envoy.config.listener.v3 import listener_pb2
from envoy.config.route.v3 import route_pb2
from envoy.service.discovery.v3 import ads_pb2_grpc
from envoy.service.discovery.v3 import discovery_pb2 as pb
from google.protobuf import wrappers_pb2

from kgw_controller.ads import Observer, SnapshotCache, XdsServer
from kgw_controller.ads import types as T

NODE = "kgw~default~gw"

def resources(clusters=("a",), routes=("r",), listeners=("l",), ecds=()):
    return {
        T.CLUSTER: {c: cluster_pb2.Cluster(name=c, type=cluster_pb2.Cluster.EDS) for c in clusters},
        T.ENDPOINT: {c: endpoint_pb2.ClusterLoadAssignment(cluster_name=c) for c in clusters},
        T.LISTENER: {name: listener_pb2.Listener(name=name) for name in listeners},
        T.ROUTE: {r: route_pb2.RouteConfiguration(name=r) for r in routes},
        T.EXTENSION_CONFIG: {e: extension_pb2.TypedExtensionConfig(name=e, typed_config=_any(e)) for e in ecds},
    }

def _any(text):
    from google.protobuf import any_pb2
    a = any_pb2.Any()
    a.Pack(wrappers_pb2.StringValue(value=text))
    return a

class Recorder(Observer):
    def __init__(self):
        self.events = []

    def on_push(self, node_id, type_url, version, resources, removed):
        self.events.append(("push", T.short(type_url), version))

    def on_ack(self, node_id, type_url, version):
        self.events.append(("ack", T.short(type_url), version))

    def on_nack(self, node_id, type_url, version, message):
        self.events.append(("nack", T.short(type_url), version, message))

    def on_synced(self, node_id, type_url, version):
        self.events.append(("synced", T.short(type_url), version))

    def of(self, kind):
        return [e for e in self.events if e[0] == kind]

class Client:
    """One ADS stream; responses are collected by a task so a test can wait for 'nothing arrives'."""

    def __init__(self, port: int, delta: bool):
        self.channel = grpc.aio.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", 64 << 20)])
        stub = ads_pb2_grpc.AggregatedDiscoveryServiceStub(self.channel)
        self.call = (stub.DeltaAggregatedResources if delta else stub.StreamAggregatedResources)()
        self.responses: asyncio.Queue = asyncio.Queue()
        self.first = True
        self._task = asyncio.create_task(self._read())

    async def _read(self):
        with contextlib.suppress(grpc.RpcError, asyncio.CancelledError):
            async for resp in self.call:
                self.responses.put_nowait(resp)

    async def send(self, req):
        if self.first:
            req.node.id, req.node.cluster, self.first = NODE, NODE, False
        await self.call.write(req)

    async def recv(self, timeout=2.0):
        return await asyncio.wait_for(self.responses.get(), timeout)

    async def nothing(self, wait=0.3):
        await asyncio.sleep(wait)
        assert self.responses.empty(), self.responses.get_nowait()

    async def close(self):
        self.call.cancel()
        self._task.cancel()
        await self.channel.close()

@contextlib.asynccontextmanager
async def serving():
    rec = Recorder()
    cache = SnapshotCache([rec])
    server = XdsServer(cache, "127.0.0.1:0")
    await server.start()
    try:
        yield cache, server, rec
    finally:
        await server.stop(0)

def sotw_req(type_url, version="", nonce="", names=(), error=None):
    req = pb.DiscoveryRequest(type_url=type_url, version_info=version, response_nonce=nonce,
                              resource_names=list(names))
    if error:
        req.error_detail.code, req.error_detail.message = 3, error
    return req

def delta_req(type_url, subscribe=(), unsubscribe=(), nonce="", initial=None, error=None):
    req = pb.DeltaDiscoveryRequest(type_url=type_url, resource_names_subscribe=list(subscribe),
                                   resource_names_unsubscribe=list(unsubscribe), response_nonce=nonce,
                                   initial_resource_versions=initial or {})
    if error:
        req.error_detail.code, req.error_detail.message = 3, error
    return req

def unpack_names(resp):
    if isinstance(resp, pb.DeltaDiscoveryResponse):
        return sorted(r.name for r in resp.resources)
    out = []
    for a in resp.resources:
        for cls in (cluster_pb2.Cluster, listener_pb2.Listener):
            if a.type_url.endswith(cls.DESCRIPTOR.full_name):
                m = cls()
                a.Unpack(m)
                out.append(m.name)
        if a.type_url.endswith("RouteConfiguration"):
            m = route_pb2.RouteConfiguration()
            a.Unpack(m)
            out.append(m.name)
        if a.type_url.endswith("ClusterLoadAssignment"):
            m = endpoint_pb2.ClusterLoadAssignment()
            a.Unpack(m)
            out.append(m.cluster_name)
    return sorted(out)
