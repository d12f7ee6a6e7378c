"""Golden translator tests for every kgateway kind and each error. Regenerate:
KGW_UPDATE_GOLDEN=1 pytest tests/controller/kgateway/test_kgateway_golden.py"""
from __future__ import annotations

import pytest
from golden_kgw import TESTDATA, cases, run_case

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

