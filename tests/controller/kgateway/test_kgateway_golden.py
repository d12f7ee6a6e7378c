"""Golden translator tests for every kgateway kind and each error. Regenerate:
KGW_UPDATE_GOLDEN=1 pytest tests/controller/kgateway/test_kgateway_golden.py"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from golden_kgw import TESTDATA, cases, run_case, translate_case
from google.protobuf import json_format

from kgw_controller.xdsgen import EXTENSION_CONFIG, to_xds
from tests.golden import check_golden, stale_goldens
from tests.xds_golden import dump_yaml as dump


def test_every_kind_and_error_has_a_case():
    names = set(cases())
    for needed in ("directresponse", "directresponse-conflict", "backend-static", "backend-lambda",
                   "backend-lambda-missing-secret", "routepolicy-rules", "routepolicy-inja",
                   "routepolicy-bad-rules", "routepolicy-bad-template", "routepolicy-unknown-target",
                   "routepolicy-last-good", "routepolicy-gateway-order", "listener-policies", "gateway-parameters",
                   "trafficpolicy-route", "trafficpolicy-precedence", "trafficpolicy-invalid", "backendconfigpolicy"):
        assert needed in names, needed


def test_no_stale_goldens():
    assert stale_goldens(TESTDATA, ".in.yaml", (".ir.yaml", ".xds.yaml", ".out.yaml")) == []


@pytest.mark.parametrize("name", cases())
def test_golden(name):
    ir_doc, xds_doc = run_case(name)
    check_golden(TESTDATA / f"{name}.ir.yaml", dump(ir_doc))
    check_golden(TESTDATA / f"{name}.xds.yaml", dump(xds_doc))


ENVOY = os.path.join(os.path.dirname(sys.executable), "envoy")


@pytest.mark.e2e
@pytest.mark.skipif(not os.path.exists(ENVOY), reason="envoy binary not installed")
@pytest.mark.parametrize("name", [c for c in cases() if not c.startswith(("routepolicy", "backend-lambda"))])
def test_envoy_accepts_xds(name, tmp_path):
    """Envoy itself checks what the kgateway cases generate (`--mode validate`; cases with rules programs and
    Lambdas need ECDS or credentials a static bootstrap cannot stand in for, and are left to the e2e tests)."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "translate"))
    from static_bootstrap import static_bootstrap
    _, result = translate_case(name)
    for key, ir in result.gateways.items():
        xds = to_xds(ir)
        assert EXTENSION_CONFIG not in xds
        config = tmp_path / "bootstrap.json"
        config.write_text(json_format.MessageToJson(static_bootstrap(xds)))
        proc = subprocess.run([ENVOY, "--mode", "validate", "-c", str(config), "-l", "error"],
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, f"{name} {key}: Envoy rejected the config:\n{proc.stdout}\n{proc.stderr}"
