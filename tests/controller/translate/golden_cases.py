"""Golden-case helpers, one file per stage as Envoy Gateway splits its translator tests: `<case>.in.yaml`
(manifests) -> `<case>.ir.yaml` (errors, statuses, IR) and IR -> `<case>.xds.yaml` (xDS per Gateway, each
HttpConnectionManager written as its difference from `hcm-defaults.yaml`).

A case may start with a comment line `# options: {port_offset: 10000}` giving TranslateOptions fields.
"""
from __future__ import annotations

import functools
import json
import pathlib

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from static_bootstrap import throwaway_certificate

from kgw_controller.sources.files import parse_files
from kgw_controller.translate import TranslateOptions, translate
from kgw_controller.xdsgen import to_xds
from tests.xds_golden import xds_dump

TESTDATA = pathlib.Path(__file__).parent / "testdata"


def cases() -> list[str]:
    return sorted(p.name.removesuffix(".in.yaml") for p in TESTDATA.glob("*.in.yaml"))


def options_for(text: str) -> TranslateOptions:
    first = text.splitlines()[0] if text else ""
    if first.startswith("# options:"):
        return TranslateOptions(**yaml.safe_load(first.removeprefix("# options:")))
    return TranslateOptions()


def _test_pem() -> dict[str, str]:
    """Placeholder -> PEM made at test time: Envoy takes only real certificates, and none is committed."""
    cert, key = throwaway_certificate()
    return {"@test-cert@": cert, "@test-key@": key, "@other-test-key@": _other_key()}


@functools.lru_cache(maxsize=1)
def _other_key() -> str:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def with_test_pem(text: str) -> tuple[str, dict[str, str]]:
    """A case's input with its PEM placeholders replaced; the placeholder -> PEM map, for placeholders_back."""
    pem = _test_pem() if "@test-" in text or "@other-test-" in text else {}
    for placeholder, value in pem.items():
        text = text.replace(f'"{placeholder}"', json.dumps(value))
    return text, pem


def placeholders_back(value, pem: dict[str, str]):
    if isinstance(value, dict):
        return {k: placeholders_back(v, pem) for k, v in value.items()}
    if isinstance(value, list):
        return [placeholders_back(v, pem) for v in value]
    exact = next((name for name, text in pem.items() if value == text), None)
    if exact is not None or not isinstance(value, str):
        return value if exact is None else exact
    for name, text in pem.items():  # a bundle of several PEM blocks (CA certificates)
        value = value.replace(text.strip(), name)
    return value


def run_case(name: str) -> tuple[dict, dict, dict]:
    """(inputs -> IR golden: errors, statuses, IR; IR -> xDS golden; {gateway key: xDS resources})."""
    text = (TESTDATA / f"{name}.in.yaml").read_text()
    text, pem = with_test_pem(text)
    resources, errors = parse_files({f"{name}.in.yaml": text})
    result = translate(resources, options_for(text))
    xds = {key: to_xds(ir) for key, ir in result.gateways.items()}
    ir_doc = {
        "errors": [str(e) for e in errors],
        "statuses": result.statuses,
        "gateways": {key: ir.to_dict() for key, ir in result.gateways.items()},
    }
    return placeholders_back(ir_doc, pem), placeholders_back(xds_dump(xds), pem), xds
