"""Gateway-level kinds: HTTPListenerPolicy (access logs and tracing, built in telemetry.py), ListenerPolicy
(buffer limit, client address), GatewayParameters (Envoy process settings, merged Gateway over GatewayClass over
defaults)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ...ir_ext import AccessLogIR, EnvoySettingsIR, TracingIR
from ...models import KGW_GROUP
from ..gateways import creation_order
from .acl import parse_cidr
from .status import Ancestors
from .telemetry import TelemetryClusters, TelemetryResolver


@dataclass
class GatewaySettings:
    access_logs: list[AccessLogIR] = field(default_factory=list)
    tracing: TracingIR | None = None
    tracing_from: str = ""  # the policy whose tracing applies (the oldest)
    buffer_limit_bytes: int | None = None
    use_remote_address: bool | None = None  # ListenerPolicy default.httpSettings (None: kgw's edge default)
    xff_num_trusted_hops: int | None = None
    xff_trusted_cidrs: list[str] = field(default_factory=list)  # kgw: clientIPDetection.xForwardedFor
    client_address_from: str = ""  # the ListenerPolicy whose client-address settings apply (the oldest)
    envoy: EnvoySettingsIR = field(default_factory=EnvoySettingsIR)
    telemetry: TelemetryClusters = field(default_factory=TelemetryClusters)


def _http_listener_policy(resources, policy, key, settings: GatewaySettings, problems: list[str]) -> None:
    """Access logs (Envoy's default text format when a file sink sets none) and tracing onto one Gateway."""
    resolve = TelemetryResolver(resources, policy, settings.telemetry, problems)
    for i, log in enumerate(policy.spec.access_log):
        out = resolve.access_log(log, f"spec.accessLog[{i}]")
        if out is not None:
            settings.access_logs.append(out)
    if policy.spec.tracing is None:
        return
    if settings.tracing is not None:
        problems.append(f"spec.tracing: Gateway {key[0]}/{key[1]} already has tracing from {settings.tracing_from} "
                        "(the oldest policy's applies)")
        return
    tracing = resolve.tracing(policy.spec.tracing, "spec.tracing", key)
    if tracing is not None:
        settings.tracing, settings.tracing_from = tracing, f"HTTPListenerPolicy {policy.namespace}/{policy.name}"


def _client_address(policy, http, settings: GatewaySettings, problems: list[str]) -> None:
    """useRemoteAddress, xffNumTrustedHops and trusted CIDRs decide one thing together: the oldest policy that
    sets any of them decides all of them (mixing two policies' halves could trust what neither meant to)."""
    detection = http.client_ip_detection
    if http.use_remote_address is None and http.xff_num_trusted_hops is None and detection is None:
        return
    if settings.client_address_from:
        problems.append(f"spec.default.httpSettings: the client address is decided by {settings.client_address_from} "
                        "(the oldest policy's settings apply)")
        return
    settings.client_address_from = f"ListenerPolicy {policy.namespace}/{policy.name}"
    settings.use_remote_address, settings.xff_num_trusted_hops = http.use_remote_address, http.xff_num_trusted_hops
    if detection is not None:
        where = "spec.default.httpSettings.clientIPDetection.xForwardedFor.trustedCIDRs"
        for i, text in enumerate(detection.x_forwarded_for.trusted_cidrs):
            try:
                settings.xff_trusted_cidrs.append(str(parse_cidr(text)))
            except ValueError:
                problems.append(f"{where}[{i}]: {text!r} is not an IP address or CIDR with zero host bits")


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
                problems: list[str] = []  # per target: each Gateway resolves (and may conflict) on its own
                if kind == "HTTPListenerPolicy":
                    _http_listener_policy(resources, policy, key, settings, problems)
                else:
                    if settings.buffer_limit_bytes is None:
                        settings.buffer_limit_bytes = policy.spec.per_connection_buffer_limit_bytes
                    http = policy.spec.default.http_settings if policy.spec.default else None
                    if http is not None:
                        _client_address(policy, http, settings, problems)
                anc.add(ref, "; ".join(problems), found=True)
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
