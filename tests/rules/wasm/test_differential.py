"""The wasm filter and the reference VM give the same Outcome for every program and exchange."""
from __future__ import annotations

import pytest

import kgw_rules
from kgw_rules.engines import outcome_difference, reference_engine
from kgw_rules.harness import WasmEngine

from .corpus import PROGRAMS, requests

ENGINE = WasmEngine()
BLOBS = {name: kgw_rules.compile(src, f"{name}.kgw").to_bytes(strip=True) for name, src in PROGRAMS.items()}
CASES = requests()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_engines_agree_on_every_exchange(name):
    blob = BLOBS[name]
    for label, req, resp in CASES:
        ref = reference_engine([blob], req, resp)
        wasm = ENGINE.run([blob], req, resp)
        assert outcome_difference(ref, wasm) == [], f"{name} / {label}"


def test_several_programs_run_in_order_and_respond_ends_all():
    blobs = [BLOBS["headers"], BLOBS["bodies"], BLOBS["first"]]
    for label, req, resp in CASES:
        assert outcome_difference(reference_engine(blobs, req, resp), ENGINE.run(blobs, req, resp)) == [], label


def test_corpus_reaches_every_outcome_kind():
    """Guard against a corpus that compares nothing interesting: locals, skips, bodies all occur."""
    kinds = set()
    for blob in BLOBS.values():
        for _, req, resp in CASES:
            out = ENGINE.run([blob], req, resp)
            if out.local_response:
                kinds.add("local_" + out.local_response.phase)
            if out.skipped:
                kinds.update(out.skipped)
            if out.request and out.request.body not in (None, req.body):
                kinds.add("request_body_edit")
            if out.response and resp and out.response.body not in (None, resp.body):
                kinds.add("response_body_edit")
    assert {"local_request", "local_response", "header_value", "path", "method", "host", "status", "no_body",
            "grpc", "encoded_body", "upgrade", "request_body_edit", "response_body_edit"} <= kinds
