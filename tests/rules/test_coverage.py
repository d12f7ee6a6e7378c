"""Coverage of rules by their cases: exact numbers for hand-checked programs, the three report formats,
`kgw test --coverage/--lcov/--cobertura/--junit`, and the pytest plugin's --kgw-coverage."""
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from kgw_rules.coverage import CoverageData, cobertura_report, lcov_report, text_report
from kgw_rules.engines import get_engine
from kgw_rules.testing import discover, run_file
from tests.golden import check_golden

HERE = pathlib.Path(__file__).parent / "coverage"
ROOT = pathlib.Path(__file__).resolve().parents[2]

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def measured():
    data = CoverageData()
    files = discover([str(HERE.relative_to(ROOT))]) if pathlib.Path.cwd() == ROOT else discover([str(HERE)])
    reports = [run_file(f, get_engine("ref"), data) for f in files]
    assert all(r.results and all(c.passed for c in r.results) for r in reports)
    return {pathlib.Path(k).name: v for k, v in data.files.items()}, data


# Worked out by hand from the sources and their cases (each file's comment says how):
# (statements run, statements), (branch outcomes taken, outcomes), {line: hits}, {condition line: (true, false)}
EXPECTED = {
    "branches.kgw": ((7, 8), (5, 6), {3: 2, 4: 1, 5: 1, 6: 0, 8: 1, 10: 2, 11: 1, 13: 1, 17: 1},
                     {3: (1, 1), 5: (0, 1), 10: (1, 1)}),
    "nested.kgw": ((7, 7), (6, 6), {5: 3, 6: 2, 7: 1, 9: 1, 14: 2, 15: 1, 17: 1},
                   {5: (2, 1), 6: (1, 1), 14: (1, 1)}),
    "untested.kgw": ((1, 4), (0, 2), {3: 1, 7: 0, 8: 0, 9: 0}, {8: (0, 0)}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_numbers_are_exact(measured, name):
    files, _ = measured
    statements, branches, lines, conditions = EXPECTED[name]
    f = files[name]
    assert f.statement_totals == statements
    assert f.branch_totals == branches
    assert f.line_hits() == lines
    assert {b.decision.line: (b.true, b.false) for b in f.branches.values()} == conditions


def test_report_formats_are_golden(measured):
    _, data = measured
    relative = CoverageData()
    relative.files = {str(pathlib.Path(k).relative_to(ROOT)) if pathlib.Path(k).is_absolute() else k: v
                      for k, v in data.files.items()}
    for f in relative.files.values():
        f.filename = str(pathlib.Path(f.filename).relative_to(ROOT)) if pathlib.Path(f.filename).is_absolute() \
            else f.filename
    check_golden(HERE / "report.txt", text_report(relative))
    check_golden(HERE / "report.lcov", lcov_report(relative))
    check_golden(HERE / "report.cobertura.xml", cobertura_report(relative, timestamp_ms=0))


def test_cobertura_totals_agree_with_the_lines(measured):
    _, data = measured
    root = ET.fromstring(cobertura_report(data, 0).split("\n", 2)[2])
    lines = root.findall(".//line")
    assert int(root.get("lines-valid")) == len(lines) == 20
    assert int(root.get("lines-covered")) == sum(1 for e in lines if int(e.get("hits")) > 0) == 16
    assert root.get("branches-valid") == "14" and root.get("branches-covered") == "11"


def _kgw(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "kgw_controller.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_cli_writes_every_report(tmp_path):
    r = _kgw("test", "--engine", "ref", "tests/rules/coverage", "--coverage", "--lcov", str(tmp_path / "c.lcov"),
             "--cobertura", str(tmp_path / "c.xml"), "--junit", str(tmp_path / "j.xml"))
    assert r.returncode == 0, r.stderr
    assert "tests/rules/coverage/branches.kgw     7/8     87.5%     5/6     83.3%" in r.stdout
    assert "tests/rules/coverage/branches.kgw:6:5: statement never ran: set header x-m = \"put\"" in r.stdout
    assert (tmp_path / "c.lcov").read_text() == (HERE / "report.lcov").read_text()
    assert ET.parse(tmp_path / "c.xml").getroot().get("branch-rate") == "0.7857"
    suites = ET.parse(tmp_path / "j.xml").getroot()
    assert suites.get("tests") == "6" and suites.get("failures") == "0"
    assert [s.get("name") for s in suites] == [f"tests/rules/coverage/{n}.kgw" for n in ("branches", "nested",
                                                                                      "untested")]


def test_junit_reports_failures_and_unusable_files(tmp_path):
    (tmp_path / "a.kgw").write_text('on request {\n  set header x = "1"\n}\n')
    (tmp_path / "a.test.yaml").write_text(
        "cases:\n  - name: right\n    expect: {request: {headers: {x: '1'}}}\n"
        "  - name: wrong\n    expect: {request: {headers: {x: '2'}}}\n")
    (tmp_path / "b.kgw").write_text("on request {\n  set header x = lowr(path)\n}\n")
    (tmp_path / "b.test.yaml").write_text("cases:\n  - name: any\n")
    r = _kgw("test", "--engine", "ref", str(tmp_path), "--junit", str(tmp_path / "j.xml"))
    assert r.returncode == 1
    suites = ET.parse(tmp_path / "j.xml").getroot()
    assert (suites.get("tests"), suites.get("failures"), suites.get("errors")) == ("3", "1", "1")
    failure = suites.find(".//testcase[@name='wrong']/failure")
    assert failure is not None and "x" in failure.get("message")
    error = suites.find(".//testsuite[@name='%s']/testcase/error" % (tmp_path / "b.kgw"))
    assert error is not None and "unknown function `lowr`" in error.text


def test_pytest_plugin_measures_coverage(pytester, tmp_path):
    pytester.makefile(".kgw", api='on request {\n  if method == "GET" {\n    set header x = "g"\n  } else {\n'
                                  '    set header x = "o"\n  }\n}\n')
    pytester.makepyfile('''
def test_get(kgw_rules_filter):
    r = kgw_rules_filter("api.kgw", engine="ref").request("GET", "/")
    assert r.request.headers["x"] == "g"
''')
    lcov = tmp_path / "out.lcov"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--kgw-coverage", f"--kgw-lcov={lcov}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*kgw rules coverage*", "*api.kgw*2/3*66.7%*1/2*50.0%*",
                                 "*api.kgw:5:5: statement never ran: set header x = \"o\""])
    assert "BRDA:2,0,0,1\nBRDA:2,0,1,0\n" in lcov.read_text()
