"""kgw's own xDS for a benchmark's manifest, as the static listeners and clusters of an Envoy under test: the
manifest goes through parse_files, translate and to_xds, then tests/controller/translate/static_bootstrap.py
inlines what ADS would send (routes into the HCM, endpoints into STATIC clusters), so the filters, their
order and their configs are exactly what a Gateway gets."""
from __future__ import annotations

from google.protobuf import json_format

from kgw_controller.sources.files import parse_files
from kgw_controller.translate import translate
from kgw_controller.xdsgen import to_xds
from tests.controller.translate.static_bootstrap import static_bootstrap


def static_config(manifest: str, port: int) -> tuple[list[dict], list[dict]]:
    """(listeners, clusters) for the one Gateway in `manifest`, its one listener moved to 127.0.0.1:`port`."""
    resources, errors = parse_files({"bench.yaml": manifest})
    assert not errors, errors
    (ir,) = translate(resources).gateways.values()
    boot = json_format.MessageToDict(static_bootstrap(to_xds(ir)), preserving_proto_field_name=True)
    listeners, clusters = boot["static_resources"]["listeners"], boot["static_resources"]["clusters"]
    assert len(listeners) == 1, listeners
    listeners[0]["address"] = {"socket_address": {"address": "127.0.0.1", "port_value": port}}
    return listeners, clusters
