"""Gateway-level kinds: HTTPListenerPolicy (access logs), ListenerPolicy (buffer limit, client address),
GatewayParameters (Envoy process settings, merged Gateway over GatewayClass over defaults)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ...ir_ext import AccessLogIR, EnvoySettingsIR
from ...models import KGW_GROUP
from ..gateways import creation_order
from .status import Ancestors

# Envoy's default text format is kept when stringFormat is not set (a line per request).
_OPS = {"EQ": "EQ", "GE": "GE", "LE": "LE"}


@dataclass
class GatewaySettings:
    access_logs: list[AccessLogIR] = field(default_factory=list)
    buffer_limit_bytes: int | None = None
    use_remote_address: bool | None = None  # ListenerPolicy default.httpSettings (None: kgw's edge default)
    xff_num_trusted_hops: int | None = None
    envoy: EnvoySettingsIR = field(default_factory=EnvoySettingsIR)


def _filter_type(f) -> dict:
    if f.status_code_filter is not None:
        s = f.status_code_filter
        return {"status_code_filter": {"comparison": {"op": _OPS[s.op], "value": {"default_value": s.value,
                                                                                  "runtime_key": "kgw_unused"}}}}
    if f.duration_filter is not None:
        s = f.duration_filter
        return {"duration_filter": {"comparison": {"op": _OPS[s.op], "value": {"default_value": s.value,
                                                                               "runtime_key": "kgw_unused"}}}}
    if f.header_filter is not None:
        h = f.header_filter.header
        matcher = ({"exact": h.value} if h.type == "Exact" else {"safe_regex": {"regex": h.value}})
        return {"header_filter": {"header": {"name": h.name.lower(), "string_match": matcher}}}
    return {"response_flag_filter": {"flags": list(f.response_flag_filter.flags)}}


def access_log_filter(f) -> dict | None:
    if f is None:
        return None
    if f.and_filter:
        return {"and_filter": {"filters": [_filter_type(x) for x in f.and_filter]}}
    if f.or_filter:
        return {"or_filter": {"filters": [_filter_type(x) for x in f.or_filter]}}
    return _filter_type(f)


def apply_listener_policies(resources, gateway_keys, opts, statuses: list) -> dict[tuple[str, str], GatewaySettings]:
    out: dict[tuple[str, str], GatewaySettings] = {}
    for kind, bucket in (("HTTPListenerPolicy", resources.http_listener_policies),
                         ("ListenerPolicy", resources.listener_policies)):
        for policy in sorted(bucket.values(), key=creation_order):  # oldest first: its buffer limit wins
            anc = Ancestors(policy, opts)
            for ref in policy.spec.targets:
                key = (policy.namespace, ref.name)
                if key not in gateway_keys:
                    anc.add(ref, "", found=False)
                    continue
                settings = out.setdefault(key, GatewaySettings())
                if kind == "HTTPListenerPolicy":
                    for log in policy.spec.access_log:
                        sink = log.file_sink
                        if sink is None:
                            continue
                        settings.access_logs.append(AccessLogIR(
                            sink.path, sink.string_format, dict(sink.json_format) if sink.json_format else None,
                            access_log_filter(log.filter)))
                else:
                    if settings.buffer_limit_bytes is None:
                        settings.buffer_limit_bytes = policy.spec.per_connection_buffer_limit_bytes
                    http = policy.spec.default.http_settings if policy.spec.default else None
                    if http is not None and settings.use_remote_address is None:
                        settings.use_remote_address = http.use_remote_address
                    if http is not None and settings.xff_num_trusted_hops is None:
                        settings.xff_num_trusted_hops = http.xff_num_trusted_hops
                anc.add(ref, "", found=True)
            statuses.append(anc.status())
    return out


def _params(resources, ref, namespace: str | None):
    if ref is None or ref.group != KGW_GROUP or ref.kind != "GatewayParameters" or namespace is None:
        return None
    return resources.gateway_parameters.get((namespace, ref.name))


def envoy_settings(resources, gateway, data_plane: str = "wasm") -> EnvoySettingsIR:
    """GatewayParameters of the Gateway over those of its GatewayClass over defaults (None = kgw's default;
    `data_plane`: the default build of the rules filter)."""
    out = EnvoySettingsIR(data_plane=data_plane)
    gwc = resources.gateway_classes.get(("", gateway.spec.gateway_class_name))
    layers = []
    if gwc is not None and gwc.spec.parameters_ref is not None:
        layers.append(_params(resources, gwc.spec.parameters_ref, gwc.spec.parameters_ref.namespace))
    infra = gateway.spec.infrastructure
    if infra is not None and infra.parameters_ref is not None:
        layers.append(_params(resources, infra.parameters_ref, gateway.namespace))
    for gp in layers:
        if gp and gp.spec.data_plane:
            out.data_plane = gp.spec.data_plane.lower()
        boot = gp and gp.spec.kube and gp.spec.kube.envoy_container and gp.spec.kube.envoy_container.bootstrap
        if not boot:
            continue
        if boot.log_level:
            out.log_level = "warning" if boot.log_level == "warn" else boot.log_level
        if boot.concurrency:
            out.concurrency = boot.concurrency
        out.component_log_levels.update(boot.component_log_levels)
    return out
