"""xDS as golden text: deterministic YAML, with every HttpConnectionManager written as its difference from the
edge defaults (tests/controller/hcm-defaults.yaml, one file for every golden), so a change to the defaults
rewrites that one file."""
from __future__ import annotations

import pathlib

import yaml

from kgw_controller.ir import GatewayIR, ListenerIR
from kgw_controller.xdsgen import XdsResources, message_to_dict, xds_to_dict
from kgw_controller.xdsgen.context import XdsContext
from kgw_controller.xdsgen.listeners import http_connection_manager

HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
HCM_DEFAULTS = pathlib.Path(__file__).parent / "controller" / "hcm-defaults.yaml"
DEFAULTS_KEY = "<<tests/controller/hcm-defaults.yaml"


def hcm_defaults() -> dict:
    """The connection manager of a plain HTTP listener with no routes: what every one starts from."""
    gw = GatewayIR("golden", "defaults", "0.0.0.0")
    listener = ListenerIR("0.0.0.0:80", "0.0.0.0", 80, 80, "HTTP")
    return {"@type": HCM_TYPE, **message_to_dict(http_connection_manager(XdsContext.of(gw), listener))}


# Protobuf maps: their iteration order changes from process to process; dumps sort them.
_MAPS = {"typedPerFilterConfig", "typedExtensionProtocolOptions", "filterMetadata", "providers", "requirementMap",
         "policies", "contextExtensions"}


def _factor(node, defaults: dict):
    if isinstance(node, dict):
        node = {k: dict(sorted(v.items())) if k in _MAPS and isinstance(v, dict) else v for k, v in node.items()}
        if node.get("@type") == HCM_TYPE:
            diff = {k: _factor(v, defaults) for k, v in node.items() if defaults.get(k) != v and k != "@type"}
            missing = sorted(k for k in defaults if k not in node)
            out = {DEFAULTS_KEY: "the edge defaults, except:", **diff}
            if missing:
                out["<<without"] = missing
            return out
        return {k: _factor(v, defaults) for k, v in node.items()}
    if isinstance(node, list):
        return [_factor(v, defaults) for v in node]
    return node


def xds_dump(xds: dict[str, XdsResources], scrub=lambda d: d) -> dict:
    defaults = hcm_defaults()
    return {key: _factor(scrub(xds_to_dict(res)), defaults) for key, res in xds.items()}


def dump_yaml(doc) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=120)


def check_hcm_defaults() -> None:
    from tests.golden import check_golden
    check_golden(HCM_DEFAULTS, dump_yaml(hcm_defaults()))
