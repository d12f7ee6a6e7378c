"""What the filter tells Envoy beyond the exchange: the names of its counters and of its access-log fields.

The controller configures Envoy from these (stats_tags that turn name segments into Prometheus labels,
access-log formats that read the fields); the filter's constants are generated from them (wire.zig).

Counters: the totals are `kgw.<counter>`; in a bundle each (program, route) pair also has
`kgw.rules.policy=.=<program id>;.;route=.=<route>;.;<counter>` (the `NAME=.=VALUE;.;` segments are
the convention Istio's wasm stats use). Envoy prefixes custom metrics with `wasmcustom.`, so with the
tags taken out the Prometheus name is `kgw_rules_<counter>` with labels `policy_kind`, `policy`
(namespace/name) and `route` (namespace/name/rule-index).

Log fields: `set log NAME = ...` sets the filter state `wasm.kgw.NAME` (proxy_set_property on `kgw.NAME`).
"""
from __future__ import annotations

import re

COUNTERS = ("programs_run", "local_responses", "skipped_writes", "verifier_refusals", "runtime_errors")
# verifier refusals belong to a configuration, not to a program
POLICY_COUNTERS = tuple(c for c in COUNTERS if c != "verifier_refusals")
TOTAL_PREFIX = "kgw."
POLICY_COUNTER_PREFIX = "kgw.rules."
POLICY_TAG = "policy=.="
ROUTE_TAG = "route=.="
TAG_END = ";.;"
ENVOY_CUSTOM_PREFIX = "wasmcustom."  # Envoy's namespace for metrics a wasm module defines

LOG_FIELD_PREFIX = "kgw."  # the property the filter sets
# Envoy reads a field as %FILTER_STATE(wasm.kgw.NAME:PLAIN)%, so NAME may not hold the format parser's
# delimiters (`:` `(` `)` `%`); kgateway's dynamicMetadata NAMESPACE.KEY names fit.
LOG_FIELD_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,128}\Z")
ENVOY_FILTER_STATE_PREFIX = "wasm."  # Envoy's prefix for filter state a wasm module sets


def policy_counter_name(program_id: str, route: str, counter: str) -> str:
    """The name the filter defines (without Envoy's `wasmcustom.`)."""
    return f"{POLICY_COUNTER_PREFIX}{POLICY_TAG}{program_id}{TAG_END}{ROUTE_TAG}{route}{TAG_END}{counter}"


def prometheus_name(counter: str, per_policy: bool) -> str:
    return ("kgw_rules_" if per_policy else "kgw_") + counter


def stats_tags() -> list[dict[str, str]]:
    """Envoy `stats_config.stats_tags` that turn the segments into labels. Each regex's first group is
    taken out of the name, its second is the value; program ids are `<Kind>/<namespace>/<name>`."""
    prefix = re.escape(ENVOY_CUSTOM_PREFIX + POLICY_COUNTER_PREFIX + POLICY_TAG)
    end = re.escape(TAG_END)
    return [
        {"tag_name": "policy_kind", "regex": f"^{prefix}(([A-Za-z]+)/)"},
        {"tag_name": "policy", "regex": f"^{re.escape(ENVOY_CUSTOM_PREFIX + POLICY_COUNTER_PREFIX)}"
                                        f"({re.escape(POLICY_TAG)}(?:[A-Za-z]+/)?(.*?){end})"},
        {"tag_name": "route", "regex": f"({re.escape(ROUTE_TAG)}(.*?){end})"},
    ]


def log_field_filter_state(name: str) -> str:
    """The filter state key Envoy keeps a `set log NAME` field under."""
    return f"{ENVOY_FILTER_STATE_PREFIX}{LOG_FIELD_PREFIX}{name}"


def log_field_format(name: str) -> str:
    """The access-log format command that prints the field (`-` when no rule set it)."""
    return f"%FILTER_STATE({log_field_filter_state(name)}:PLAIN)%"
