"""Statement and branch coverage of rules programs run by their cases (`kgw test --coverage`, the pytest
plugin's `--kgw-coverage`), as text, LCOV and Cobertura XML.

Coverage is measured on the reference VM (kgw_rules.vm.Probe): the engines agree on every behaviour vector,
so the reference VM takes the path the filter takes. A *statement* is an entry of the compiler's line table
(every statement, nested ones included; top-level `let`s are constants computed at compile time and are not
counted). A *branch* is one outcome of an `if` or `else if` condition: each condition has two, true (its
block runs) and false (the next `else if`, the `else`, or nothing runs). LCOV and Cobertura count lines: the
lines that start a statement or hold a condition, each hit as often as the one of those that ran most.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from .bytecode import Decision, Program
from .vm import Probe


@dataclass
class Statement:
    line: int
    col: int
    count: int = 0


@dataclass
class Branch:
    decision: Decision
    true: int = 0  # times the condition held (its block ran)
    false: int = 0


@dataclass
class FileCoverage:
    filename: str
    source: str
    statements: dict[tuple[int, int], Statement] = field(default_factory=dict)  # (phase, pc) -> statement
    branches: dict[tuple[int, int], Branch] = field(default_factory=dict)  # (phase, JMPF pc) -> branch

    @classmethod
    def of(cls, program: Program) -> FileCoverage:
        """An empty record for a program compiled from source (it needs the line table and decisions)."""
        cov = cls(program.filename, program.source or "")
        for e in sorted(program.lines or [], key=lambda e: (e.line, e.col)):
            cov.statements[(e.phase, e.pc)] = Statement(e.line, e.col)
        for d in program.decisions:
            cov.branches[(d.phase, d.pc)] = Branch(d)
        return cov

    def record(self, probe: Probe, index: int = 0) -> None:
        """Add what the program at `index` of the run's program list did."""
        for (i, phase, pc), n in probe.statements.items():
            if i == index and (phase, pc) in self.statements:
                self.statements[(phase, pc)].count += n
        for (i, phase, pc, jumped), n in probe.jumps.items():
            branch = self.branches.get((phase, pc)) if i == index else None
            if branch is not None and jumped:
                branch.false += n
            elif branch is not None:
                branch.true += n

    @property
    def statement_totals(self) -> tuple[int, int]:
        return sum(1 for s in self.statements.values() if s.count), len(self.statements)

    @property
    def branch_totals(self) -> tuple[int, int]:
        return sum((b.true > 0) + (b.false > 0) for b in self.branches.values()), 2 * len(self.branches)

    def line_hits(self) -> dict[int, int]:
        """Hits per line that starts a statement or holds a condition (an `else if` line has no statement)."""
        hits: dict[int, int] = {}
        for line, count in [(s.line, s.count) for s in self.statements.values()] + \
                [(b.decision.line, b.true + b.false) for b in self.branches.values()]:
            hits[line] = max(hits.get(line, 0), count)
        return hits

    def source_line(self, line: int) -> str:
        lines = self.source.splitlines()
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""


class CoverageData:
    """Coverage of many files, merged by file name (a file run by several tests adds up)."""

    def __init__(self) -> None:
        self.files: dict[str, FileCoverage] = {}

    def file(self, program: Program) -> FileCoverage:
        existing = self.files.get(program.filename)
        if existing is None or existing.source != (program.source or ""):
            existing = self.files[program.filename] = FileCoverage.of(program)
        return existing


def _pct(covered: int, total: int) -> str:
    return f"{100.0 * covered / total:5.1f}%" if total else "    -  "


def text_report(data: CoverageData) -> str:
    """A table per file (statements run, branch outcomes taken), then what was missed, with positions."""
    files = [data.files[k] for k in sorted(data.files)]
    width = max([len(f.filename) for f in files] + [5])
    out = [f"{'file':<{width}}  {'statements':>16}  {'branches':>16}"]
    totals = [0, 0, 0, 0]
    missed: list[str] = []
    for f in files:
        (sc, st), (bc, bt) = f.statement_totals, f.branch_totals
        totals = [totals[0] + sc, totals[1] + st, totals[2] + bc, totals[3] + bt]
        out.append(f"{f.filename:<{width}}  {sc:>4}/{st:<4} {_pct(sc, st)}  {bc:>4}/{bt:<4} {_pct(bc, bt)}")
        for s in sorted(f.statements.values(), key=lambda s: (s.line, s.col)):
            if not s.count:
                missed.append(f"{f.filename}:{s.line}:{s.col}: statement never ran: {f.source_line(s.line)}")
        for b in sorted(f.branches.values(), key=lambda b: (b.decision.line, b.decision.col)):
            d = b.decision
            for outcome, count in (("true", b.true), ("false", b.false)):
                if not count:
                    missed.append(f"{f.filename}:{d.line}:{d.col}: `{d.keyword}` condition never {outcome}")
    out.append(f"{'total':<{width}}  {totals[0]:>4}/{totals[1]:<4} {_pct(totals[0], totals[1])}  "
               f"{totals[2]:>4}/{totals[3]:<4} {_pct(totals[2], totals[3])}")
    return "\n".join(out + missed) + "\n"


def lcov_report(data: CoverageData) -> str:
    """LCOV tracefile: DA per line with statements, BRDA per condition outcome (0 true, 1 false)."""
    out: list[str] = []
    for name in sorted(data.files):
        f = data.files[name]
        out += ["TN:", f"SF:{f.filename}"]
        branches = sorted(f.branches.values(), key=lambda b: (b.decision.line, b.decision.col))
        for block, b in enumerate(branches):
            ran = b.true + b.false > 0
            for outcome, count in enumerate((b.true, b.false)):
                out.append(f"BRDA:{b.decision.line},{block},{outcome},{count if ran else '-'}")
        out += [f"BRF:{2 * len(branches)}", f"BRH:{f.branch_totals[0]}"]
        hits = f.line_hits()
        out += [f"DA:{line},{hits[line]}" for line in sorted(hits)]
        out += [f"LF:{len(hits)}", f"LH:{sum(1 for n in hits.values() if n)}", "end_of_record"]
    return "\n".join(out) + "\n"


def _rate(covered: int, total: int) -> str:
    return f"{covered / total:.4g}" if total else "1"


def cobertura_report(data: CoverageData, timestamp_ms: int | None = None) -> str:
    """Cobertura XML (coverage-04.dtd), one <class> per rules file."""
    stamp = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    totals = [0, 0, 0, 0]  # lines covered, lines, branches covered, branches
    classes = ET.Element("classes")
    for name in sorted(data.files):
        f = data.files[name]
        hits = f.line_hits()
        per_line: dict[int, list[int]] = {}
        for b in f.branches.values():
            per_line.setdefault(b.decision.line, []).extend([b.true, b.false])
        lc, lt = sum(1 for n in hits.values() if n), len(hits)
        bc, bt = f.branch_totals
        totals = [totals[0] + lc, totals[1] + lt, totals[2] + bc, totals[3] + bt]
        cls = ET.SubElement(classes, "class", {"name": f.filename, "filename": f.filename,
                                               "line-rate": _rate(lc, lt), "branch-rate": _rate(bc, bt),
                                               "complexity": "0"})
        ET.SubElement(cls, "methods")
        lines = ET.SubElement(cls, "lines")
        for line in sorted(set(hits) | set(per_line)):
            attrs = {"number": str(line), "hits": str(hits.get(line, 0)), "branch": "false"}
            if line in per_line:
                outcomes = per_line[line]
                taken = sum(1 for n in outcomes if n)
                attrs.update({"branch": "true", "condition-coverage":
                              f"{100 * taken // len(outcomes)}% ({taken}/{len(outcomes)})"})
            ET.SubElement(lines, "line", attrs)
    root = ET.Element("coverage", {
        "version": "kgw", "timestamp": stamp, "lines-valid": str(totals[1]), "lines-covered": str(totals[0]),
        "line-rate": _rate(totals[0], totals[1]), "branches-valid": str(totals[3]),
        "branches-covered": str(totals[2]), "branch-rate": _rate(totals[2], totals[3]), "complexity": "0"})
    ET.SubElement(ET.SubElement(root, "sources"), "source").text = "."
    package = ET.SubElement(ET.SubElement(root, "packages"), "package", {
        "name": "rules", "line-rate": _rate(totals[0], totals[1]), "branch-rate": _rate(totals[2], totals[3]),
        "complexity": "0"})
    package.append(classes)
    ET.indent(root)
    return ('<?xml version="1.0" ?>\n<!DOCTYPE coverage SYSTEM '
            '"http://cobertura.sourceforge.net/xml/coverage-04.dtd">\n' + ET.tostring(root, encoding="unicode") + "\n")
