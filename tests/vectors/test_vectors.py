"""The shared behaviour vectors, run on the reference VM and (when the filters are installed) on the wasm
filter and the native module, which must give the very same outcome (the native one modulo Envoy 1.40's
empty header values, kgw_rules.engines.native_comparable). Expected values come from the spec and docs/runtime.md;
`xfail` marks a vector the reference VM gets wrong (strict: a fix makes it XPASS and fail, so the mark
gets removed)."""
from __future__ import annotations

import functools
import pathlib

import pytest

import kgw_rules
from kgw_rules.cases import compare
from kgw_rules.engines import (
    get_engine,
    native_available,
    native_comparable,
    outcome_difference,
    reference_engine,
    wasm_available,
)
from kgw_rules.vectors import VectorItem, discover_vectors, skipped_mismatch

from .generated import generated_items

HERE = pathlib.Path(__file__).parent
ITEMS = discover_vectors(HERE) + generated_items()


@functools.cache
def _blobs(sources: tuple[str, ...], name: str) -> list[bytes]:
    # stripped, as the controller ships it; compiled once per vector, not per case
    return [kgw_rules.compile(src, f"{name}#{i}").to_bytes(strip=True) for i, src in enumerate(sources)]


@functools.lru_cache(maxsize=1)
def _wasm():
    return get_engine("wasm")


@functools.lru_cache(maxsize=1)
def _native():
    return get_engine("native")


def _run(item: VectorItem, engine):
    blobs = _blobs(tuple(item.vector.sources), item.vector.name)
    case = item.case
    # seeded per case: both engines see the same random bytes, and a rerun the same outcome
    return engine(blobs, case.request.build(), case.response.build() if case.response else None,
                  host=case.host(seed=item.id))


def _params(engine: str):
    out = []
    for item in ITEMS:
        marks = [pytest.mark.xfail(reason=item.xfail, strict=True)] if item.xfail else []
        if engine == "wasm" and not wasm_available():
            marks.append(pytest.mark.skip(reason="the wasm filter (kgw_rules/data/kgw_filter.wasm) is not installed"))
        if engine == "native" and not native_available():
            marks.append(pytest.mark.skip(reason="the native module needs Linux/glibc and the pinned ziglang"))
        out.append(pytest.param(item, id=item.id, marks=marks))
    return out


@pytest.mark.parametrize("item", _params("ref"))
def test_reference(item: VectorItem):
    outcome = _run(item, reference_engine)
    problems = compare(item.case, outcome) + skipped_mismatch(item, outcome.skipped)
    assert not problems, f"{item.file}:{item.line}: " + "\n".join(problems)


@pytest.mark.parametrize("item", _params("wasm"))
def test_wasm_matches_reference(item: VectorItem):
    ref = _run(item, reference_engine)
    wasm = _run(item, _wasm())
    problems = outcome_difference(ref, wasm) + compare(item.case, wasm) + skipped_mismatch(item, wasm.skipped)
    assert not problems, f"{item.file}:{item.line}: " + "\n".join(problems)


@pytest.mark.parametrize("item", _params("native"))
def test_native_matches_reference(item: VectorItem):
    ref = _run(item, reference_engine)
    native = _run(item, _native())
    if "empty_value" in native.skipped:  # Envoy 1.40's dynamic-module ABI, docs/data-plane.md "Native"
        ref, native = native_comparable(ref), native_comparable(native)
        problems = outcome_difference(ref, native)
    else:
        problems = outcome_difference(ref, native) + compare(item.case, native) + skipped_mismatch(item, native.skipped)
    assert not problems, f"{item.file}:{item.line}: " + "\n".join(p.replace("vs wasm", "vs native") for p in problems)


def test_enough_vectors():
    # the brief: at least 150 vectors covering the whole language
    vectors = {(i.file, i.vector.name) for i in ITEMS if i.file.endswith(".yaml")}
    assert len(vectors) >= 150, len(vectors)
