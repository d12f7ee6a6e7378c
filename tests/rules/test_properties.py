"""Properties of the compiler, the bytecode and the verifier, over generated programs and bytes."""
import contextlib

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import kgw_rules
from kgw_rules import VerifyError
from kgw_rules.vm import run_exchange
from kgw_rules.wire.program import CHECKSUM, checksum
from tests.rules.strategies import programs, requests, responses

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(programs())
def test_generated_programs_compile(source):
    program, diags = kgw_rules.compile_with_diagnostics(source)
    assert program is not None, "\n".join(d.message for d in diags)


@SETTINGS
@given(programs(), st.booleans())
def test_encode_decode_encode_is_the_identity(source, strip):
    blob = kgw_rules.compile(source).to_bytes(strip=strip)
    assert kgw_rules.Program.from_bytes(blob).to_bytes(strip=strip) == blob


@SETTINGS
@given(programs(), requests(), responses())
def test_generated_programs_run_without_errors(source, request, response):
    program = kgw_rules.Program.from_bytes(kgw_rules.compile(source).to_bytes(strip=True))
    outcome = run_exchange([program], request, response)
    answered_request = outcome.local_response is not None and outcome.local_response.phase == "request"
    assert (outcome.request is None) == answered_request


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_only_raise_the_verifier_error(data):
    with contextlib.suppress(VerifyError):
        kgw_rules.Program.from_bytes(data)


def _with_crc(body: bytes) -> bytes:
    return body + CHECKSUM.pack(checksum(body))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.data())
def test_mutated_bytecode_is_refused_cleanly_or_runs_safely(source, data):
    """Mutations with a recomputed checksum reach the deep checks; whatever passes must run."""
    blob = bytearray(kgw_rules.compile(source).to_bytes(strip=True)[:-2])
    assume(len(blob) > 16)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "set", "cut", "insert"]))
        at = data.draw(st.integers(0, len(blob) - 1))
        if kind == "flip":
            blob[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "set":
            blob[at] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del blob[at:at + data.draw(st.integers(1, 4))]
        else:
            blob[at:at] = data.draw(st.binary(min_size=1, max_size=3))
        if not blob:
            return
    try:
        program = kgw_rules.Program.from_bytes(_with_crc(bytes(blob)))
    except VerifyError:
        return
    request = data.draw(requests())
    run_exchange([program], request, data.draw(responses()))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=126), max_size=120))
def test_random_ascii_gives_diagnostics_never_a_traceback(text):
    program, diags = kgw_rules.compile_with_diagnostics(text, "fuzz.kgw")
    if program is None:
        assert any(d.severity == "error" for d in diags)
    for d in diags:
        assert d.span.line >= 1 and d.span.col >= 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(
    ["on", "request", "response", "{", "}", "(", ")", "[", "]", "if", "else", "let", "x", "=", "==", "set",
     "header", "x-a", '"s"', '"{x}"', '"{"', "r\"a\"", "~", "and", "or", "not", "1", "\n", ";", "respond", "200",
     "stop", "json", "query", "body", "replace", "with", "in", ",", "+", "rename", "to", "#c\n"]), max_size=40))
def test_token_soup_gives_diagnostics_never_a_traceback(tokens):
    program, diags = kgw_rules.compile_with_diagnostics(" ".join(tokens), "soup.kgw")
    assert program is not None or diags
