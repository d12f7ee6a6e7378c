"""HTTPListenerPolicy file access logs, for every listener kind (HTTP connection managers, tcp_proxy,
udp_proxy): the same sink, format and filter; on TLS, TCP and UDP listeners Envoy logs a connection or a
session and has no HTTP fields to fill in."""
from __future__ import annotations

from envoy.config.accesslog.v3 import accesslog_pb2
from envoy.config.core.v3 import substitution_format_string_pb2 as sfs
from envoy.extensions.access_loggers.file.v3 import file_pb2
from google.protobuf import json_format

from ..ir_ext import AccessLogIR


def access_log(log: AccessLogIR) -> accesslog_pb2.AccessLog:
    """An HTTPListenerPolicy file sink: text or JSON format, optional filter."""
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
    if log.filter:
        json_format.ParseDict(log.filter, out.filter)
    return out
