"""Every behaviour vector through real Envoy 1.40, with the wasm filter and with the native dynamic module:
the outcome Envoy produces (what the upstream received, what the client got, which writes the filter
skipped) must equal the reference VM's and the wasmtime harness's, on the same (mapped, see mapping.py)
input. One Envoy per build serves all cases."""
from __future__ import annotations

import functools

import pytest

import kgw_rules
from kgw_rules.engines import get_engine, native_comparable, outcome_difference, reference_engine
from kgw_rules.exchange import LocalResponse, Outcome
from tests.vectors.test_vectors import ITEMS

from .envoy import ENVOY
from .mapping import exclusion, map_request, map_response
from .runner import VectorEnvoy, normalise

pytestmark = pytest.mark.e2e


@functools.cache
def _blobs(sources: tuple[str, ...], name: str) -> tuple[bytes, ...]:
    return tuple(kgw_rules.compile(src, f"{name}#{i}").to_bytes(strip=True) for i, src in enumerate(sources))


def _mapped(item):
    req = item.case.request.build()
    reason = exclusion(item.id, req, item.vector.sources)
    if reason:
        return None, reason
    resp = item.case.response.build() if item.case.response else None
    return (list(_blobs(tuple(item.vector.sources), item.vector.name)), map_request(req), map_response(resp)), None


RUNNABLE = [(item, m) for item in ITEMS for m, _ in [_mapped(item)] if m is not None]


@pytest.fixture(scope="module", params=["wasm", "native"])
def envoy_outcomes(request, tmp_path_factory):
    """Run every case once through one Envoy per build; tests below compare case by case."""
    import pathlib
    if not pathlib.Path(ENVOY).exists():
        pytest.skip("envoy is not installed")
    out = {"engine": request.param}
    with VectorEnvoy([m for _, m in RUNNABLE], tmp_path_factory.mktemp("envoy"),
                     native=request.param == "native") as ve:
        for i, (item, _) in enumerate(RUNNABLE):
            try:
                out[item.id] = ve.run(i)
            except Exception as e:  # reported by that case's test, the others still run
                out[item.id] = e
    return out


def _comparable(o: Outcome, ref: Outcome) -> Outcome:
    # A response-phase `respond` replaces the upstream's answer: on the wire it is just the answer.
    if ref.local_response and ref.local_response.phase == "response" and o.response is not None:
        r = o.response
        headers = [(k, v) for k, v in r.headers if k != b"content-length" or (k, v) in ref.local_response.headers]
        o = Outcome(o.request, None, LocalResponse(r.status, headers, r.body or b"", "response"), o.skipped)
    for m in (o.request, o.response):
        if m is not None:
            normalise(m)
    return o


def _params():
    out = []
    for item in ITEMS:
        marks = [pytest.mark.xfail(reason=item.xfail, strict=True)] if item.xfail else []
        reason = _mapped(item)[1]
        if reason:
            marks.append(pytest.mark.skip(reason=f"not expressible over real HTTP: {reason}"))
        out.append(pytest.param(item, id=item.id, marks=marks))
    return out


@functools.lru_cache(maxsize=1)
def _wasm():
    return get_engine("wasm")


@pytest.mark.parametrize("item", _params())
def test_envoy_matches_reference_and_wasm(item, envoy_outcomes):
    (blobs, req, resp), _ = _mapped(item)
    got = envoy_outcomes[item.id]
    if isinstance(got, Exception):
        raise got
    ref = _comparable(reference_engine(blobs, req, resp), Outcome(None, None, None))
    wasm = _comparable(_wasm()(blobs, req, resp), ref)
    got = _comparable(got, ref)
    expected = ref
    if envoy_outcomes["engine"] == "native" and "empty_value" in got.skipped:
        expected, got = native_comparable(ref), native_comparable(got)  # Envoy's ABI limit, docs/data-plane.md
    problems = outcome_difference(ref, wasm) + [p.replace("vs wasm", "vs envoy")
                                                for p in outcome_difference(expected, got)]
    assert not problems, f"{item.file}:{item.line}: " + "\n".join(problems)


def test_exclusions_are_few():
    # the brief: keep exclusions minimal; each has a reason in mapping.py and docs/e2e.md
    assert len(ITEMS) - len(RUNNABLE) <= 14, len(ITEMS) - len(RUNNABLE)
