"""Filters that only some routes use: listed `disabled` on the connection manager (no route enters them by
default) and switched on per route by a FilterConfig carrying that route's configuration."""
from __future__ import annotations

from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ..common import packed


def listed_off(name: str, config: Message) -> hcm_pb2.HttpFilter:
    return hcm_pb2.HttpFilter(name=name, typed_config=packed(config), disabled=True)


def switched_on(config: Message) -> any_pb2.Any:
    return packed(rc.FilterConfig(config=packed(config)))
