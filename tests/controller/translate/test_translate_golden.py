"""Golden tests for translate() (inputs -> IR and statuses) and to_xds() (IR -> xDS), one file per stage.
Regenerate: KGW_UPDATE_GOLDEN=1 pytest tests/controller/translate"""
from __future__ import annotations

import pytest
from golden_cases import TESTDATA, cases, run_case

from tests.golden import check_golden, stale_goldens
from tests.xds_golden import check_hcm_defaults
from tests.xds_golden import dump_yaml as dump


def test_there_are_enough_cases():
    assert len(cases()) >= 30


def test_no_stale_goldens():
    assert stale_goldens(TESTDATA, ".in.yaml", (".ir.yaml", ".xds.yaml", ".out.yaml")) == []


def test_hcm_defaults_golden():
    check_hcm_defaults()


@pytest.mark.parametrize("name", cases())
def test_golden(name):
    ir_doc, xds_doc, _ = run_case(name)
    check_golden(TESTDATA / f"{name}.ir.yaml", dump(ir_doc))
    check_golden(TESTDATA / f"{name}.xds.yaml", dump(xds_doc))


@pytest.mark.parametrize("name", cases())
def test_translation_is_deterministic(name):
    first, second = run_case(name), run_case(name)
    assert dump(list(first[:2])) == dump(list(second[:2]))
