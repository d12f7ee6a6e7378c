"""Golden-case helpers: `<case>.in.yaml` (manifests) -> `<case>.out.yaml` (errors, statuses, IR, xDS).

A case may start with a comment line `# options: {port_offset: 10000}` giving TranslateOptions fields.
"""
from __future__ import annotations

import pathlib

import yaml

from kgw_controller.sources.files import parse_files
from kgw_controller.translate import TranslateOptions, translate
from kgw_controller.xdsgen import to_xds, xds_to_dict

TESTDATA = pathlib.Path(__file__).parent / "testdata"


def cases() -> list[str]:
    return sorted(p.name.removesuffix(".in.yaml") for p in TESTDATA.glob("*.in.yaml"))


def options_for(text: str) -> TranslateOptions:
    first = text.splitlines()[0] if text else ""
    if first.startswith("# options:"):
        return TranslateOptions(**yaml.safe_load(first.removeprefix("# options:")))
    return TranslateOptions()


def run_case(name: str) -> tuple[dict, dict]:
    """Returns (golden document, {gateway key: xDS resources}) for one case."""
    text = (TESTDATA / f"{name}.in.yaml").read_text()
    resources, errors = parse_files({f"{name}.in.yaml": text})
    result = translate(resources, options_for(text))
    xds = {key: to_xds(ir) for key, ir in result.gateways.items()}
    doc = {
        "errors": [str(e) for e in errors],
        "statuses": result.statuses,
        "gateways": {key: ir.to_dict() for key, ir in result.gateways.items()},
        "xds": {key: xds_to_dict(res) for key, res in xds.items()},
    }
    return doc, xds


def dump(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=120)
