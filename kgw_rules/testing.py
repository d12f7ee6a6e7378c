"""`kgw test`: run the cases of `api.test.yaml` through an engine and report a diff per failing case."""
from __future__ import annotations

import pathlib
import time
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from .api import compile as compile_rules
from .bytecode import Program
from .cases import Case, CaseFileError, CaseResult, compare, load_cases
from .coverage import CoverageData
from .diagnostics import CompileError
from .engines import Engine, EngineMismatch


def case_file_for(rules: pathlib.Path) -> pathlib.Path:
    return rules.with_name(rules.stem + ".test.yaml")


def discover(paths: list[str]) -> list[pathlib.Path]:
    """Rules files to test: the given .kgw files, and every .kgw with a case file under given folders."""
    found: list[pathlib.Path] = []
    for raw in paths:
        p = pathlib.Path(raw)
        if p.is_dir():
            found += sorted(f for f in p.rglob("*.kgw") if case_file_for(f).exists())
        else:
            found.append(p)
    return found


@dataclass
class FileReport:
    rules: pathlib.Path
    results: list[CaseResult] = field(default_factory=list)
    error: str | None = None  # the rules or the case file could not be used
    seconds: list[float] = field(default_factory=list)  # per case, for JUnit


def run_case(blob: bytes, case: Case, engine: Engine) -> CaseResult:
    try:
        outcome = engine([blob], case.request.build(), case.response.build() if case.response else None,
                         host=case.host())
    except EngineMismatch as err:
        return CaseResult(case, err.differences)
    return CaseResult(case, compare(case, outcome), outcome)


def measure(program: Program, case: Case, coverage: CoverageData) -> None:
    """Run the case once more on the reference VM, recording which statements and branches ran."""
    from .vm import Probe, run_exchange

    probe = Probe()
    run_exchange([program], case.request.build(), case.response.build() if case.response else None,
                 case.host(seed=case.name), probe)
    coverage.file(program).record(probe)


def run_file(rules: pathlib.Path, engine: Engine, coverage: CoverageData | None = None) -> FileReport:
    report = FileReport(rules)
    cases_path = case_file_for(rules)
    try:
        source = rules.read_text(encoding="utf-8")
        program = compile_rules(source, str(rules))
        cases = load_cases(str(cases_path))
    except OSError as err:
        report.error = f"{err.filename}: error: {err.strerror}"
        return report
    except (CompileError, CaseFileError) as err:
        report.error = str(err)
        return report
    blob = program.to_bytes(strip=True)  # what the controller ships
    if coverage is not None:
        coverage.file(program)  # a file whose cases run nothing still shows, at 0%
    for case in cases:
        start = time.perf_counter()
        report.results.append(run_case(blob, case, engine))
        report.seconds.append(time.perf_counter() - start)
        if coverage is not None:
            measure(program, case, coverage)
    return report


def render(reports: list[FileReport]) -> tuple[str, int, int]:
    lines: list[str] = []
    passed = failed = 0
    for report in reports:
        lines.append(str(report.rules))
        if report.error:
            failed += 1
            lines += ["  " + line for line in report.error.splitlines()]
            continue
        for result in report.results:
            if result.passed:
                passed += 1
                lines.append(f"  ok    {result.case.name}")
            else:
                failed += 1
                lines.append(f"  FAIL  {result.case.name}")
                lines += [f"        {m}" for m in result.mismatches]
    lines.append(f"{passed} passed, {failed} failed")
    return "\n".join(lines), passed, failed


def junit_xml(reports: list[FileReport]) -> str:
    """JUnit XML for CI systems: a testsuite per rules file, a testcase per case; a rules or case file
    that cannot be used is one testcase with an <error>."""
    suites = ET.Element("testsuites", {"name": "kgw test"})
    for report in reports:
        failures = sum(1 for r in report.results if not r.passed)
        suite = ET.SubElement(suites, "testsuite", {
            "name": str(report.rules), "tests": str(len(report.results) or 1), "failures": str(failures),
            "errors": "1" if report.error else "0", "skipped": "0", "time": f"{sum(report.seconds):.3f}"})
        if report.error:
            case = ET.SubElement(suite, "testcase", {"name": "(load)", "classname": str(report.rules), "time": "0"})
            first = report.error.splitlines()[0] if report.error else ""
            ET.SubElement(case, "error", {"message": first, "type": "error"}).text = report.error
        for result, seconds in zip(report.results, report.seconds, strict=True):
            case = ET.SubElement(suite, "testcase", {"name": result.case.name, "classname": str(report.rules),
                                                     "time": f"{seconds:.3f}"})
            if not result.passed:
                ET.SubElement(case, "failure", {"message": result.mismatches[0], "type": "mismatch"}).text = \
                    "\n".join(result.mismatches)
    for key in ("tests", "failures", "errors"):
        suites.set(key, str(sum(int(s.get(key, "0")) for s in suites)))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
