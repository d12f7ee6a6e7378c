"""The gRPC ADS server (grpc.aio): SotW and Delta over one AggregatedDiscoveryService."""
from __future__ import annotations

import grpc
from envoy.service.discovery.v3 import ads_pb2_grpc

from .cache import SnapshotCache
from .streams import DeltaStream, SotwStream

# Envoy's requests grow with the config it holds (a delta reconnect lists every resource version; a NACK can
# quote whole resources): lift gRPC Python's 4 MB receive default so such a stream is never cut.
MAX_MESSAGE_BYTES = 256 * 1024 * 1024


class AdsServicer(ads_pb2_grpc.AggregatedDiscoveryServiceServicer):
    def __init__(self, cache: SnapshotCache):
        self.cache = cache

    async def StreamAggregatedResources(self, request_iterator, context):
        async for resp in SotwStream(self.cache).run(request_iterator, context):
            yield resp

    async def DeltaAggregatedResources(self, request_iterator, context):
        async for resp in DeltaStream(self.cache).run(request_iterator, context):
            yield resp


class XdsServer:
    """Binds once; `port` stays the same across stop()/start() so Envoys can reconnect to a restarted server."""

    def __init__(self, cache: SnapshotCache, address: str = "127.0.0.1:0", credentials=None,
                 servicer: type[AdsServicer] = AdsServicer):
        # With `credentials` (grpc.ServerCredentials) the port speaks TLS only; `servicer` may add checks.
        self.cache, self.credentials, self.servicer = cache, credentials, servicer
        self.host, _, port = address.rpartition(":")
        self.port = int(port)
        self._server: grpc.aio.Server | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self) -> int:
        server = grpc.aio.server(options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            # gRPC sets SO_REUSEPORT by default, which would let a second controller share our port silently.
            ("grpc.so_reuseport", 0),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", 5000),
        ])
        ads_pb2_grpc.add_AggregatedDiscoveryServiceServicer_to_server(self.servicer(self.cache), server)
        try:
            if self.credentials is not None:
                bound = server.add_secure_port(self.address, self.credentials)
            else:
                bound = server.add_insecure_port(self.address)
        except RuntimeError as e:
            raise OSError(f"cannot listen for xDS on {self.address}: {e}") from None
        if bound == 0:
            raise OSError(f"cannot listen for xDS on {self.address} (in use?)")
        self.port = bound
        await server.start()
        self._server = server
        return bound

    async def stop(self, grace: float | None = 0.5) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop(grace)
