"""`kgw test`: run the cases of `api.test.yaml` through an engine and report a diff per failing case."""
from __future__ import annotations

import pathlib
from dataclasses import dataclass, field

from .api import compile as compile_rules
from .cases import Case, CaseFileError, CaseResult, compare, load_cases
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


def run_case(blob: bytes, case: Case, engine: Engine) -> CaseResult:
    try:
        outcome = engine([blob], case.request.build(), case.response.build() if case.response else None,
                         host=case.host())
    except EngineMismatch as err:
        return CaseResult(case, err.differences)
    return CaseResult(case, compare(case, outcome), outcome)


def run_file(rules: pathlib.Path, engine: Engine) -> FileReport:
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
    report.results = [run_case(blob, case, engine) for case in cases]
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
