"""Golden translator tests for every kgateway kind and each error. Regenerate:
KGW_UPDATE_GOLDEN=1 pytest tests/controller/kgateway/test_kgateway_golden.py"""
from __future__ import annotations

import os

import pytest

from golden_kgw import TESTDATA, cases, dump, run_case

UPDATE = os.environ.get("KGW_UPDATE_GOLDEN") == "1"


def test_every_kind_and_error_has_a_case():
    names = set(cases())
    for needed in ("directresponse", "directresponse-conflict", "backend-static", "backend-lambda",
                   "backend-lambda-missing-secret", "routepolicy-rules", "routepolicy-inja",
                   "routepolicy-bad-rules", "routepolicy-bad-template", "routepolicy-unknown-target",
                   "routepolicy-last-good", "routepolicy-gateway-order", "listener-policies", "gateway-parameters"):
        assert needed in names, needed


@pytest.mark.parametrize("name", cases())
def test_golden(name):
    text = dump(run_case(name))
    out = TESTDATA / f"{name}.out.yaml"
    if UPDATE:
        out.write_text(text)
    assert out.exists(), f"missing {out.name}; run with KGW_UPDATE_GOLDEN=1"
    assert text == out.read_text(), f"{name} differs from its golden file; run with KGW_UPDATE_GOLDEN=1 and review"
