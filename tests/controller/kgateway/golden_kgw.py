"""Golden cases for kgateway kinds: `<case>.in.yaml` -> `<case>.ir.yaml` (errors, statuses of every kind,
programs, IR) and `<case>.xds.yaml` (xDS, HttpConnectionManagers as their difference from the defaults).
Bytecode and the filter's path are replaced by digests/placeholders so goldens survive compiler changes and
checkouts. A case may start with `# last_good: {id: rules source}`."""
from __future__ import annotations

import base64
import functools
import hashlib
import pathlib

import yaml

import kgw_rules
from kgw_controller.sources.files import parse_files
from kgw_controller.translate import TranslateOptions, translate
from kgw_controller.xdsgen import to_xds
from tests.xds_golden import xds_dump

TESTDATA = pathlib.Path(__file__).parent / "testdata"


def cases() -> list[str]:
    return sorted(p.name.removesuffix(".in.yaml") for p in TESTDATA.glob("*.in.yaml"))


@functools.cache
def _wasm_builds() -> dict[str, str]:
    """base64 of each shipped build of the wasm filter -> its file name."""
    data = pathlib.Path(kgw_rules.filter_wasm_path()).parent
    return {base64.b64encode(p.read_bytes()).decode(): p.name for p in data.glob("*.wasm")}


def _scrub(value):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "configuration" and isinstance(v, dict) and "value" in v:
                v = {**v, "value": "sha256:" + hashlib.sha256(v["value"].encode()).hexdigest()[:12]}
            elif k == "inlineBytes" and v in _wasm_builds():
                v = f"<{_wasm_builds()[v]}>"  # the filter travels inline; the golden names the build
            out[k] = _scrub(v)
        return out
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def translate_case(name: str):
    """(parse errors, Translation) of a case, with the last good programs its first line names."""
    text = (TESTDATA / f"{name}.in.yaml").read_text()
    last_good = {}
    first = text.splitlines()[0]
    if first.startswith("# last_good:"):
        for pid, src in yaml.safe_load(first.removeprefix("# last_good:")).items():
            last_good[pid] = kgw_rules.compile(src).to_bytes(strip=True)
    resources, errors = parse_files({f"{name}.in.yaml": text})
    return errors, translate(resources, TranslateOptions(last_good_programs=last_good))


def run_case(name: str) -> tuple[dict, dict]:
    """(inputs -> IR golden: errors, statuses of the kgateway kinds and HTTPRoutes, programs, IR;
    IR -> xDS golden)."""
    errors, result = translate_case(name)
    irs = {k: ir.to_dict() for k, ir in result.gateways.items()}
    for ir in irs.values():  # program digests depend on the compiler's output: not part of the golden
        for p in (ir.get("ext") or {}).get("programs", ()):
            p["sha256"] = "<digest>"
    ir_doc = {
        "errors": [str(e) for e in errors],
        "statuses": [s for s in result.statuses if s["apiVersion"].startswith("gateway.kgateway.dev")
                     or s["kind"] == "HTTPRoute"],
        "programs": sorted(result.programs),
        "gateways": irs,
    }
    return ir_doc, xds_dump({k: to_xds(ir) for k, ir in result.gateways.items()}, scrub=_scrub)
