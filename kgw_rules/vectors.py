"""Behaviour vectors (tests/vectors/*.yaml): rules plus cases that every engine must agree on.

A vector file is a YAML list of vectors. Each vector has a `name`, `rules` (one program's source, or a
list of sources run on one route in that order) and `cases` in the case-file format of
`kgw_rules.cases`, where a case may also say which writes are `skipped` (reason codes of
`kgw_rules.skips`; when left out, no write may be skipped) and a vector or a case may carry
`xfail: "why"` for a known reference-VM bug. Loading reuses the case-file loader, so every problem is
reported as `file:line:col: error: ...`. docs/vectors.md describes the format.
"""
from __future__ import annotations

import pathlib
from dataclasses import dataclass

from pydantic import RootModel, field_validator, model_validator

from .cases import Case, CaseFileError, Marks, _plain, _Strict, compose, validate
from .skips import SKIP_REASONS


class VectorCase(Case):
    skipped: list[str] = []  # exact, in order: what the outcome's `skipped` must be
    xfail: str | None = None

    @field_validator("skipped")
    @classmethod
    def _known(cls, codes: list[str]) -> list[str]:
        unknown = [c for c in codes if c not in SKIP_REASONS]
        if unknown:
            raise ValueError(f"unknown skip reason {unknown[0]!r}; known: {', '.join(SKIP_REASONS)}")
        return codes


class Vector(_Strict):
    name: str
    rules: str | list[str]
    cases: list[VectorCase]
    xfail: str | None = None

    @property
    def sources(self) -> list[str]:
        return [self.rules] if isinstance(self.rules, str) else self.rules

    @model_validator(mode="after")
    def _cases(self) -> Vector:
        if not self.cases:
            raise ValueError("a vector needs at least one case")
        names = [c.name for c in self.cases]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise ValueError(f"case name {dup!r} appears twice in this vector")
        return self


class VectorFile(RootModel[list[Vector]]):
    @model_validator(mode="after")
    def _unique(self) -> VectorFile:
        names = [v.name for v in self.root]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise ValueError(f"vector name {dup!r} appears twice in this file")
        return self


@dataclass
class VectorItem:
    """One case of one vector, ready to run: what the test parametrization iterates over."""

    file: str
    vector: Vector
    case: VectorCase
    line: int  # 1-based line of the case in the file, for messages

    @property
    def id(self) -> str:
        return f"{pathlib.Path(self.file).stem}::{self.vector.name}::{self.case.name}"

    @property
    def xfail(self) -> str | None:
        return self.case.xfail or self.vector.xfail


def load_vectors(path: str, text: str | None = None) -> list[VectorItem]:
    root = compose(path, text)
    if root is None:
        raise CaseFileError(f"{path}:1:1: error: empty vector file; expected a list of vectors")
    marks: Marks = {}
    data = _plain(root, marks, ())
    if not isinstance(data, list):
        raise CaseFileError(f"{path}:1:1: error: a vector file is a list of vectors (`- name: ...`)")
    vectors = validate(VectorFile, data, marks, path).root
    return [VectorItem(path, v, c, marks[(i, "cases", j)].line + 1)
            for i, v in enumerate(vectors) for j, c in enumerate(v.cases)]


def discover_vectors(folder: str | pathlib.Path) -> list[VectorItem]:
    """Every case of every `*.yaml` file in `folder`, files in name order."""
    items: list[VectorItem] = []
    for f in sorted(pathlib.Path(folder).glob("*.yaml")):
        items += load_vectors(str(f))
    return items


def skipped_mismatch(item: VectorItem, skipped: list[str]) -> list[str]:
    if list(skipped) != item.case.skipped:
        return [f"skipped: expected {item.case.skipped}, got {list(skipped)}"]
    return []
