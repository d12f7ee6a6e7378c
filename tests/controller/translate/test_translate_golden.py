"""Golden tests for translate() and to_xds(). Regenerate: KGW_UPDATE_GOLDEN=1 pytest tests/controller/translate"""
from __future__ import annotations

import os

import pytest

from golden_cases import TESTDATA, cases, dump, run_case

UPDATE = os.environ.get("KGW_UPDATE_GOLDEN") == "1"


def test_there_are_enough_cases():
    assert len(cases()) >= 30


@pytest.mark.parametrize("name", cases())
def test_golden(name):
    doc, _ = run_case(name)
    out = TESTDATA / f"{name}.out.yaml"
    text = dump(doc)
    if UPDATE:
        out.write_text(text)
    assert out.exists(), f"missing {out.name}; run with KGW_UPDATE_GOLDEN=1"
    assert text == out.read_text(), f"{name} differs from its golden file; run with KGW_UPDATE_GOLDEN=1 and review"


@pytest.mark.parametrize("name", cases())
def test_translation_is_deterministic(name):
    first, _ = run_case(name)
    second, _ = run_case(name)
    assert dump(first) == dump(second)
