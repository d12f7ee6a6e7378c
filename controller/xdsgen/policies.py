"""GatewayIR.ext / RouteIR.ext -> Envoy: one pass over the messages the core generators built.

- RoutePolicy programs: an ECDS-configured wasm filter (`kgw.rules`) holding a bundle (docs/data-plane.md)
  whose route table maps Envoy route names to program lists; routes without programs disable the filter
  (FilterConfig{disabled: true}), so they never enter it.
- Backends: STATIC / STRICT_DNS clusters (optional TLS); AWS Lambda routes get the aws_lambda filter's
  per-route config (ARN, invocation mode, SigV4 credentials) and their cluster the metadata that filter
  requires.
- DirectResponse bodies, HTTPListenerPolicy access logs, ListenerPolicy buffer limits.
"""
from __future__ import annotations

from envoy.config.accesslog.v3 import accesslog_pb2
from envoy.config.cluster.v3 import cluster_pb2
from envoy.config.core.v3 import address_pb2, base_pb2, config_source_pb2, extension_pb2
from envoy.config.core.v3 import substitution_format_string_pb2 as sfs
from envoy.config.endpoint.v3 import endpoint_components_pb2 as ec
from envoy.config.endpoint.v3 import endpoint_pb2
from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.extensions.access_loggers.file.v3 import file_pb2
from envoy.extensions.filters.http.aws_lambda.v3 import aws_lambda_pb2
from envoy.extensions.filters.http.wasm.v3 import wasm_pb2 as http_wasm_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from envoy.extensions.transport_sockets.tls.v3 import tls_pb2
from envoy.extensions.wasm.v3 import wasm_pb2
from google.protobuf import any_pb2, duration_pb2, json_format, struct_pb2, wrappers_pb2

import kgw_rules
from kgw_rules.wire import BundleRoute, encode_bundle

from .listeners import ads_source, packed

RULES_FILTER = "kgw.rules"
LAMBDA_FILTER = "envoy.filters.http.aws_lambda"
WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"
LAMBDA_METADATA = "com.amazonaws.lambda"
# The listener-level aws_lambda config is never used: every Lambda route carries its own per-route config.
_UNUSED_ARN = "arn:aws:lambda:us-east-1:000000000000:function:kgw-unused"
_PREFIX = "type.googleapis.com/"


def backend_cluster(b) -> cluster_pb2.Cluster:
    lb = [ec.LbEndpoint(endpoint=ec.Endpoint(address=address_pb2.Address(
        socket_address=address_pb2.SocketAddress(address=h, port_value=p)))) for h, p in b.hosts]
    out = cluster_pb2.Cluster(
        name=b.name, type=cluster_pb2.Cluster.STRICT_DNS if b.dns else cluster_pb2.Cluster.STATIC,
        connect_timeout=duration_pb2.Duration(seconds=5),
        load_assignment=endpoint_pb2.ClusterLoadAssignment(cluster_name=b.name,
                                                           endpoints=[ec.LocalityLbEndpoints(lb_endpoints=lb)]),
    )
    if b.tls:
        ctx = tls_pb2.UpstreamTlsContext(sni=b.sni)
        out.transport_socket.name = "envoy.transport_sockets.tls"
        out.transport_socket.typed_config.Pack(ctx)
    if b.lambda_ is not None:  # aws_lambda acts only on clusters that say they front Lambda
        meta = struct_pb2.Struct()
        meta.update({"egress_gateway": True})
        out.metadata.filter_metadata[LAMBDA_METADATA].CopyFrom(meta)
    return out


def _lambda_route_config(lam) -> aws_lambda_pb2.PerRouteConfig:
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


def _access_log(log) -> accesslog_pb2.AccessLog:
    fmt = sfs.SubstitutionFormatString()
    if log.json_format:
        fmt.json_format.update(log.json_format)
    elif log.text_format:
        fmt.text_format_source.inline_string = log.text_format
    out = accesslog_pb2.AccessLog(name="envoy.access_loggers.file")
    sink = file_pb2.FileAccessLog(path=log.path)
    if log.json_format or log.text_format:
        sink.log_format.CopyFrom(fmt)
    out.typed_config.Pack(sink)
    if log.filter:
        json_format.ParseDict(log.filter, out.filter)
    return out


def rules_extension_config(bundle: bytes, env_names: list[str] = ()) -> extension_pb2.TypedExtensionConfig:
    """`env_names`: the Envoy process's environment variables the programs read with env(); the VM sees
    only those listed (WASI environ_get answers from vm_config.environment_variables)."""
    plugin = wasm_pb2.PluginConfig(
        name="kgw", allow_on_headers_stop_iteration=wrappers_pb2.BoolValue(value=True),
        failure_policy=wasm_pb2.FAIL_RELOAD,
        vm_config=wasm_pb2.VmConfig(runtime="envoy.wasm.runtime.v8", code=base_pb2.AsyncDataSource(
            local=base_pb2.DataSource(filename=str(kgw_rules.filter_wasm_path())))),
    )
    if env_names:
        plugin.vm_config.environment_variables.host_env_keys.extend(env_names)
    plugin.configuration.Pack(wrappers_pb2.BytesValue(value=bundle))
    return extension_pb2.TypedExtensionConfig(name=RULES_FILTER,
                                              typed_config=packed(http_wasm_pb2.Wasm(config=plugin)))


def _bundle(gw, routes) -> tuple[bytes, set[str]]:
    """The plugin configuration and the names of the routes that run programs."""
    ext = gw.ext
    blobs = {p.id: p.blob for p in ext.programs}
    table, names = [], set()
    for r in routes:
        progs = list(ext.gateway_programs) + (list(r.ext.programs) if r.ext else [])
        if not progs or r.name in names or r.direct_response_status is not None:
            continue
        names.add(r.name)
        label = r.ref.label if r.ref else r.name  # what rules see as `route`
        table.append(BundleRoute(r.name.encode(), label.encode(), tuple(progs)))
    return encode_bundle(blobs, table), names


def apply(gw, resources: dict, listener_type: str, route_type: str, cluster_type: str, ecds_type: str) -> None:
    """Mutate the core xDS messages of `gw` in place for its kgateway extensions."""
    ext = gw.ext
    routes = list(gw.routes())
    by_name = {r.name: r for r in routes}
    lambdas = {b.name: b.lambda_ for b in (ext.backend_clusters if ext else ()) if b.lambda_ is not None}
    for b in ext.backend_clusters if ext else ():
        resources[cluster_type][b.name] = backend_cluster(b)
    rule_routes: set[str] = set()
    if ext and (ext.programs or ext.gateway_programs):
        bundle, rule_routes = _bundle(gw, routes)
        env_names = sorted({name for p in ext.programs for name in p.env_names})
        resources.setdefault(ecds_type, {})[RULES_FILTER] = rules_extension_config(bundle, env_names)
    for rcfg in resources[route_type].values():
        for vh in rcfg.virtual_hosts:
            for route in vh.routes:
                _route(route, by_name.get(route.name), ext, lambdas, rule_routes)
    if ext is None:
        return
    for lis in resources[listener_type].values():
        if ext.buffer_limit_bytes is not None:
            lis.per_connection_buffer_limit_bytes.value = ext.buffer_limit_bytes
        for chain in lis.filter_chains:
            for f in chain.filters:
                if f.typed_config.type_url.endswith("HttpConnectionManager"):
                    hcm = hcm_pb2.HttpConnectionManager()
                    f.typed_config.Unpack(hcm)
                    _hcm(hcm, ext, bool(rule_routes), bool(lambdas))
                    f.typed_config.Pack(hcm)


_FILTER_DISABLED = any_pb2.Any()
_FILTER_DISABLED.Pack(rc.FilterConfig(disabled=True))  # packed once: most routes of a Gateway carry it


def _route(route, ir, ext, lambdas, rule_routes) -> None:
    if ir is None:
        return
    if ext is not None and ext.fail_all:  # a never-valid Gateway-level policy: rules are never skipped
        route.ClearField("route")
        route.direct_response.status = 500
        return
    if ir.ext is not None and ir.ext.direct_body is not None and route.HasField("direct_response"):
        if ir.ext.direct_body:
            route.direct_response.body.inline_string = ir.ext.direct_body
    if rule_routes and route.name not in rule_routes:
        route.typed_per_filter_config[RULES_FILTER].CopyFrom(_FILTER_DISABLED)
    if route.HasField("route") and route.route.cluster in lambdas:
        route.typed_per_filter_config[LAMBDA_FILTER].Pack(_lambda_route_config(lambdas[route.route.cluster]))


def _hcm(hcm, ext, rules: bool, lambdas: bool) -> None:
    extra = []
    if rules:
        extra.append(hcm_pb2.HttpFilter(name=RULES_FILTER, config_discovery=config_source_pb2.ExtensionConfigSource(
            config_source=ads_source(), type_urls=[WASM_TYPE])))
    if lambdas:
        # explicit (unused) credentials: without them Envoy would probe instance metadata at startup
        unused = aws_lambda_pb2.Config(arn=_UNUSED_ARN)
        unused.credentials.access_key_id, unused.credentials.secret_access_key = "unused", "unused"
        extra.append(hcm_pb2.HttpFilter(name=LAMBDA_FILTER, typed_config=packed(unused)))
    if extra:
        router = hcm.http_filters.pop()  # the router stays last
        hcm.http_filters.extend(extra + [router])
    hcm.access_log.extend(_access_log(log) for log in ext.access_logs)
