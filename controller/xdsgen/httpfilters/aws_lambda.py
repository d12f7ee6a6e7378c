"""AWS Lambda Backends: the aws_lambda filter on every connection manager of a Gateway that routes to a
Lambda; each Lambda route carries its own per-route config (ARN, invocation mode, SigV4 credentials)."""
from __future__ import annotations

from envoy.extensions.filters.http.aws_lambda.v3 import aws_lambda_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import any_pb2
from google.protobuf.message import Message

from ...ir import RouteIR
from ...ir_ext import LambdaIR
from ..common import packed
from ..context import XdsContext
from .scope import HcmScope

NAME = "envoy.filters.http.aws_lambda"
CLUSTER_METADATA = "com.amazonaws.lambda"  # aws_lambda acts only on clusters that say they front Lambda
# The listener-level config is never used: every Lambda route carries its own per-route config.
_UNUSED_ARN = "arn:aws:lambda:us-east-1:000000000000:function:kgw-unused"


def hcm_filters(ctx: XdsContext, scope: HcmScope) -> list[hcm_pb2.HttpFilter]:
    if not ctx.lambdas:
        return []
    # explicit (unused) credentials: without them Envoy would probe instance metadata at startup
    unused = aws_lambda_pb2.Config(arn=_UNUSED_ARN)
    unused.credentials.access_key_id, unused.credentials.secret_access_key = "unused", "unused"
    return [hcm_pb2.HttpFilter(name=NAME, typed_config=packed(unused))]


def per_route(ctx: XdsContext, route: RouteIR) -> dict[str, any_pb2.Any]:
    if route.direct_response_status is not None or route.redirect is not None or not ctx.lambdas:
        return {}
    clusters = [b.cluster for b in route.backends]
    if len(clusters) == 1 and clusters[0] in ctx.lambdas:
        return {NAME: packed(route_config(ctx.lambdas[clusters[0]]))}
    return {}


def resources(ctx: XdsContext) -> dict[str, dict[str, Message]]:
    return {}


def route_config(lam: LambdaIR) -> aws_lambda_pb2.PerRouteConfig:
    cfg = aws_lambda_pb2.Config(
        arn=lam.arn, payload_passthrough=False, host_rewrite=lam.host,
        invocation_mode=aws_lambda_pb2.Config.ASYNCHRONOUS if lam.invocation_mode == "Async"
        else aws_lambda_pb2.Config.SYNCHRONOUS)
    if lam.access_key_id:
        cfg.credentials.access_key_id = lam.access_key_id
        cfg.credentials.secret_access_key = lam.secret_access_key
        if lam.session_token:
            cfg.credentials.session_token = lam.session_token
    return aws_lambda_pb2.PerRouteConfig(invoke_config=cfg)
