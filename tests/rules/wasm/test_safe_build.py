"""The differential suites again on a ReleaseSafe build of the same sources: an out-of-bounds access or
an integer overflow there traps (and fails the test) where the shipped ReleaseSmall build would silently
corrupt memory."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import kgw_rules
from kgw_rules import build_filter
from kgw_rules.engines import outcome_difference, reference_engine
from kgw_rules.exchange import Request
from kgw_rules.harness import WasmEngine

from ..strategies import host, programs, requests, responses
from .corpus import PROGRAMS
from .corpus import requests as corpus_requests
from .helpers import BLOBS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def safe_engine(tmp_path_factory):
    pytest.importorskip("ziglang")
    wasm = build_filter.build(tmp_path_factory.mktemp("safe") / "kgw_filter.wasm", optimize="ReleaseSafe")
    assert wasm != kgw_rules.filter_wasm_bytes()
    return WasmEngine(wasm=wasm, fuel=False)


def test_corpus_on_the_checked_build(safe_engine):
    cases = corpus_requests()
    for name in PROGRAMS:
        for label, req, resp in cases:
            ref = reference_engine([BLOBS[name]], req, resp)
            assert outcome_difference(ref, safe_engine.run([BLOBS[name]], req, resp)) == [], f"{name} / {label}"


def test_hostile_sizes_on_the_checked_build(safe_engine):
    blob = BLOBS["strings"]
    big = Request(url=b"/v1/" + b"%41" * 50_000,
                  headers=[(b"x-in", b"a," * 300_000), (b"cookie", b"sid=" + b"x" * 100_000)])
    out = safe_engine.run([blob], big, None)
    assert dict(out.request.headers)[b"x-split"] == b"a"


def test_random_programs_on_the_checked_build(safe_engine):
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(programs(), requests(), responses())
    def check(source, request, response):
        blob = kgw_rules.compile(source, "random.kgw").to_bytes(strip=True)
        ref = reference_engine([blob], request, response, host())
        assert outcome_difference(ref, safe_engine.run([blob], request, response, host=host())) == []

    check()
