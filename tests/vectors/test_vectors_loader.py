"""kgw_rules.vectors: the loader reports problems at file:line:col, like case files, and keeps the
case-file format exactly (plus `skipped` and `xfail`)."""
from __future__ import annotations

import pytest

from kgw_rules.cases import CaseFileError, load_cases
from kgw_rules.vectors import load_vectors, skipped_mismatch

GOOD = """\
- name: one
  rules: |
    on request { set header x = "1" }
  cases:
    - name: a
      expect: {request: {headers: {x: "1"}}}
    - name: b
      skipped: [no_body, header_value]
      xfail: known bug
      request: {method: POST, body: yes}
- name: two programs
  xfail: whole vector
  rules:
    - on request { stop }
    - on response { stop }
  cases:
    - name: c
      response: {status: "201"}
"""


def _error(text: str) -> str:
    with pytest.raises(CaseFileError) as info:
        load_vectors("v.yaml", text)
    return str(info.value)


def test_good_file_loads_every_case_with_its_line():
    items = load_vectors("v.yaml", GOOD)
    assert [(i.vector.name, i.case.name, i.line) for i in items] == [
        ("one", "a", 5), ("one", "b", 7), ("two programs", "c", 17)]
    assert items[0].case.skipped == [] and items[0].xfail is None
    assert items[1].case.skipped == ["no_body", "header_value"] and items[1].xfail == "known bug"
    assert items[1].case.request.body == "yes"  # scalars stay strings, as in case files
    assert items[2].vector.sources == ["on request { stop }", "on response { stop }"]
    assert items[2].xfail == "whole vector" and items[2].case.response.status == 201
    assert items[0].id == "v::one::a"


def test_unknown_key_points_at_it():
    text = GOOD.replace("      expect: {request: {headers:", "      expect: {request: {header:")
    assert _error(text) == "v.yaml:6:34: error: 0.cases.0.expect.request.header: unknown key `header`"


def test_unknown_vector_key():
    assert "v.yaml:2:9: error: 0.rule: unknown key `rule`" in _error(GOOD.replace("  rules: |", "  rule: |", 1))


def test_unknown_skip_reason():
    text = GOOD.replace("[no_body, header_value]", "[no_body, bogus]")
    assert _error(text).startswith("v.yaml:8:16: error: 0.cases.1.skipped: unknown skip reason 'bogus'")


def test_duplicate_names():
    assert "case name 'a' appears twice" in _error(GOOD.replace("- name: b", "- name: a"))
    assert "vector name 'one' appears twice" in _error(GOOD.replace("- name: two programs", "- name: one"))


def test_a_vector_needs_cases():
    assert "a vector needs at least one case" in _error("- name: x\n  rules: ''\n  cases: []\n")


def test_not_a_list_and_empty_and_syntax():
    assert _error("cases: []\n") == "v.yaml:1:1: error: a vector file is a list of vectors (`- name: ...`)"
    assert _error("") == "v.yaml:1:1: error: empty vector file; expected a list of vectors"
    assert _error("- name: [x\n").startswith("v.yaml:2:1: error:")


def test_skipped_mismatch_is_exact_and_ordered():
    item = load_vectors("v.yaml", GOOD)[1]
    assert skipped_mismatch(item, ["no_body", "header_value"]) == []
    assert skipped_mismatch(item, ["header_value", "no_body"])
    assert skipped_mismatch(item, ["no_body"])
    assert skipped_mismatch(load_vectors("v.yaml", GOOD)[0], ["path"])


def test_case_files_load_as_before():
    cases = load_cases("examples/rules/api.test.yaml")
    assert [c.name for c in cases] == ["v1 is moved to v2", "no credentials"]
    with pytest.raises(CaseFileError) as info:
        load_cases("t.yaml", "cases:\n  - name: x\n    skipped: [path]\n")
    assert str(info.value) == "t.yaml:3:14: error: cases.0.skipped: unknown key `skipped`"
