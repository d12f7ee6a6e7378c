"""HTTPListenerPolicy access logs, for every listener kind (HTTP connection managers, tcp_proxy, udp_proxy):
file (text or JSON format), Envoy's gRPC access log service and OpenTelemetry logs, each with its filter. On
TLS, TCP and UDP listeners Envoy logs a connection or a session and has no HTTP fields to fill in; there the
gRPC sink is Envoy's TCP logger (an HTTP entry would have no request to describe)."""
from __future__ import annotations

from envoy.config.accesslog.v3 import accesslog_pb2
from envoy.config.core.v3 import config_source_pb2
from envoy.config.core.v3 import substitution_format_string_pb2 as sfs
from envoy.extensions.access_loggers.file.v3 import file_pb2
from envoy.extensions.access_loggers.filters.cel.v3 import cel_pb2  # noqa: F401 - registers the CEL filter type
from envoy.extensions.access_loggers.grpc.v3 import als_pb2
from envoy.extensions.access_loggers.open_telemetry.v3 import logs_service_pb2
from google.protobuf import json_format

from kgw_rules.wire import stats as wire_stats

from ..ir_ext import AccessLogIR
from .telemetry import grpc_service


def _common(log: AccessLogIR) -> als_pb2.CommonGrpcAccessLogConfig:
    assert log.grpc is not None  # grpc and otel sinks always have one
    return als_pb2.CommonGrpcAccessLogConfig(
        log_name=log.log_name, grpc_service=grpc_service(log.grpc), transport_api_version=config_source_pb2.V3,
        filter_state_objects_to_log=[wire_stats.log_field_filter_state(f) for f in log.log_fields])


def _grpc(log: AccessLogIR, stream: bool) -> accesslog_pb2.AccessLog:
    if stream:
        out = accesslog_pb2.AccessLog(name="envoy.access_loggers.tcp_grpc")
        out.typed_config.Pack(als_pb2.TcpGrpcAccessLogConfig(common_config=_common(log)))
        return out
    out = accesslog_pb2.AccessLog(name="envoy.access_loggers.http_grpc")
    out.typed_config.Pack(als_pb2.HttpGrpcAccessLogConfig(
        common_config=_common(log), additional_request_headers_to_log=log.request_headers,
        additional_response_headers_to_log=log.response_headers,
        additional_response_trailers_to_log=log.response_trailers))
    return out


def _otel(log: AccessLogIR) -> accesslog_pb2.AccessLog:
    out = accesslog_pb2.AccessLog(name="envoy.access_loggers.open_telemetry")
    otel = logs_service_pb2.OpenTelemetryAccessLogConfig(common_config=_common(log))
    if log.otel is not None:
        if log.otel.body is not None:
            otel.body.string_value = log.otel.body
        if log.otel.attributes:
            json_format.ParseDict(log.otel.attributes, otel.attributes)
        if log.otel.resource_attributes:
            json_format.ParseDict(log.otel.resource_attributes, otel.resource_attributes)
        otel.disable_builtin_labels = log.otel.disable_builtin_labels
    out.typed_config.Pack(otel)
    return out


def _file(log: AccessLogIR) -> accesslog_pb2.AccessLog:
    out = accesslog_pb2.AccessLog(name="envoy.access_loggers.file")
    sink = file_pb2.FileAccessLog(path=log.path)
    if log.json_format or log.text_format:
        fmt = sfs.SubstitutionFormatString()
        if log.json_format:
            fmt.json_format.update(log.json_format)
        else:
            fmt.text_format_source.inline_string = log.text_format
        sink.log_format.CopyFrom(fmt)
    out.typed_config.Pack(sink)
    return out


def access_log(log: AccessLogIR, stream: bool = False) -> accesslog_pb2.AccessLog:
    """One HTTPListenerPolicy `accessLog` entry: its sink, format and filter. `stream`: for tcp_proxy or
    udp_proxy rather than a connection manager."""
    if log.sink == "grpc":
        out = _grpc(log, stream)
    elif log.sink == "otel":
        out = _otel(log)
    else:
        out = _file(log)
    if log.filter:
        json_format.ParseDict(log.filter, out.filter)
    return out
