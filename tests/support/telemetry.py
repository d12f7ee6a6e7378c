"""Loopback telemetry receivers for the observability tests: an OTLP/gRPC collector (traces and logs, with
the opentelemetry-proto stubs) and an Envoy gRPC access log service (ALS), both in one grpcio server on
127.0.0.1. They keep what they receive; tests wait for what they expect. Stopped by the test (a context
manager)."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc
from envoy.service.accesslog.v3 import als_pb2, als_pb2_grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


class _Traces(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, sink: Receivers) -> None:
        self.sink = sink

    def Export(self, request, context):  # noqa: N802 - the gRPC method's name
        with self.sink.lock:
            self.sink.trace_exports.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


class _Logs(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, sink: Receivers) -> None:
        self.sink = sink

    def Export(self, request, context):  # noqa: N802
        with self.sink.lock:
            self.sink.log_exports.append(request)
        return logs_service_pb2.ExportLogsServiceResponse()


class _AccessLogs(als_pb2_grpc.AccessLogServiceServicer):
    def __init__(self, sink: Receivers) -> None:
        self.sink = sink

    def StreamAccessLogs(self, request_iterator, context):  # noqa: N802
        for message in request_iterator:
            with self.sink.lock:
                self.sink.als_messages.append(message)
        return als_pb2.StreamAccessLogsResponse()


class Receivers:
    """`port`: where Envoy sends OTLP traces, OTLP logs and ALS streams (one HTTP/2 server for all three)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.trace_exports: list[Any] = []
        self.log_exports: list[Any] = []
        self.als_messages: list[Any] = []
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_Traces(self), self.server)
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_Logs(self), self.server)
        als_pb2_grpc.add_AccessLogServiceServicer_to_server(_AccessLogs(self), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")

    def __enter__(self) -> Receivers:
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop(grace=None).wait(5)

    def spans(self) -> list[tuple[dict[str, str], Any]]:
        """(resource attributes as strings, span) of every span received so far."""
        with self.lock:
            exports = list(self.trace_exports)
        out = []
        for export in exports:
            for rs in export.resource_spans:
                resource = {kv.key: kv.value.string_value for kv in rs.resource.attributes}
                out.extend((resource, span) for ss in rs.scope_spans for span in ss.spans)
        return out

    def log_records(self) -> list[Any]:
        with self.lock:
            exports = list(self.log_exports)
        return [r for e in exports for rl in e.resource_logs for sl in rl.scope_logs for r in sl.log_records]

    def http_log_entries(self) -> list[Any]:
        with self.lock:
            messages = list(self.als_messages)
        return [entry for m in messages for entry in m.http_logs.log_entry]


def wait_for(what: str, get: Callable[[], list], match: Callable[[Any], bool], timeout: float = 30.0) -> Any:
    """The first item `get()` yields that `match`es, polling until `timeout` (Envoy flushes telemetry
    every second (access logs) to five (spans))."""
    deadline = time.monotonic() + timeout
    while True:
        items = get()
        found = next((i for i in items if match(i)), None)
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} arrived in {timeout} s; got {len(items)}: {items[:3]!r}")
        time.sleep(0.1)
