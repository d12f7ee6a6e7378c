"""Envoy command-line flags that both modes give their proxies (local processes in `kgw up`, the proxy
Deployment's container args in a cluster), so GatewayParameters mean the same thing in both."""
from __future__ import annotations

from collections.abc import Mapping

# HTTPListenerPolicy file access logs reach disk within 250 ms, not Envoy's default of 10 s.
ACCESS_LOG_FLUSH = ("--file-flush-interval-msec", "250")


def settings_args(component_log_levels: Mapping[str, str] | None, concurrency: int | None) -> tuple[str, ...]:
    """GatewayParameters' envoyContainer.bootstrap settings other than the log level."""
    args: tuple[str, ...] = ()
    if concurrency:
        args += ("--concurrency", str(concurrency))
    if component_log_levels:
        args += ("--component-log-level", ",".join(f"{k}:{v}" for k, v in sorted(component_log_levels.items())))
    return args
