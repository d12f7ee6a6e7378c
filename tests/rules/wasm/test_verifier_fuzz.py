"""Random and mutated bytecode: proxy_on_configure accepts exactly what Program.from_bytes accepts,
refuses the rest cleanly, and never traps (a trap raises WasmTrap and fails the test)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kgw_rules
from kgw_rules.regex import decode_regex, encode_regex
from kgw_rules.wire.flags import FLAG_WIDE
from kgw_rules.wire.opcodes import OPS
from kgw_rules.wire.program import ProgramImage, encode_program

from .helpers import BLOBS, Configurer, python_accepts, with_bundle_crc, with_crc

CFG = Configurer()
SEEDS = sorted(BLOBS.values(), key=len)
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def agree(blob: bytes) -> bool:
    expected = python_accepts(blob)
    got = CFG.configure(blob)
    assert got == expected, (expected, CFG.last_error(), blob.hex())
    return got


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data):
    agree(data)
    agree(with_crc(b"KGW\x02" + data))  # past the magic, version and checksum


@FUZZ
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_programs_with_fixed_checksum(seed, edits):
    body = bytearray(seed[:-2])
    for at, value in edits:
        body[at % len(body)] = value
    agree(with_crc(bytes(body)))


@FUZZ
@given(st.sampled_from(SEEDS), st.integers(0, 10_000), st.integers(1, 40), st.binary(max_size=20))
def test_spliced_programs(seed, at, cut, insert):
    body = seed[:-2]
    at %= len(body)
    agree(with_crc(body[:at] + insert + body[at + cut:]))


def _program(code_req: bytes, code_resp: bytes, consts: list, nvars: int, regexes: list[bytes],
             flags: int | None = None) -> bytes:
    """A blob around hand-made code (WIDE when it has more than 256 constants)."""
    if flags is None:
        flags = (1 if code_req else 0) | (2 if code_resp else 0) | (FLAG_WIDE if len(consts) > 256 else 0)
    prog = ProgramImage(flags, nvars, consts, [decode_regex(r) for r in regexes], (code_req, code_resp), 0)
    return encode_program(prog)


_OPS = st.sampled_from([op.code for op in OPS] + [0x00, 0x07, 0x7F, 0xFF])
_INSN = st.tuples(_OPS, st.binary(min_size=4, max_size=4)).map(
    lambda t: bytes([t[0]]) + t[1][: {op.code: op.size() - 1 for op in OPS}.get(t[0], 0)])
_REGEX = encode_regex(kgw_rules.regex.compile_regex(r"(?P<a>x+)(y)?"))


@FUZZ
@given(st.lists(_INSN, max_size=25).map(b"".join), st.lists(_INSN, max_size=10).map(b"".join),
       st.integers(0, 4), st.booleans(), st.booleans())
def test_random_instruction_streams(req, resp, nvars, small_operands, wide):
    if small_operands:  # keep operands mostly in range so deeper checks get exercised
        req = bytes(b if i % 3 == 0 else b % 5 for i, b in enumerate(req))
        resp = bytes(b if i % 3 == 0 else b % 5 for i, b in enumerate(resp))
    # b":p" (index 4): header opcodes must refuse it in both verifiers; 300 constants make the program WIDE
    consts = [b"x-a", 7, b"a.b", b"", b":p"] + ([b"w"] * 295 if wide else [])
    blob = _program(req, resp, consts, nvars, [_REGEX])
    agree(blob)


def test_the_fuzzers_reach_acceptance():
    """Some hand-made streams verify: the differential test is not only comparing refusals."""
    code = bytes([0x10, 0, 0x10, 3, 0x47, 2, 0x60, 0])  # CONST, CONST, CONCAT 2, SET_HDR (one-byte indexes)
    assert agree(_program(code, b"", [b"x-a", 7, b"a.b", b""], 0, []))
    assert not agree(_program(code[:-2], b"", [b"x-a", 7, b"a.b", b""], 0, []))  # leaves a value: refused
    wide = bytes([0x10, 0, 0, 0x10, 0x2B, 0x01, 0x47, 2, 0x60, 0x2B, 0x01])  # the same, two-byte indexes
    assert agree(_program(wide, b"", [b"x-a", 7, b"a.b", b""] + [b"w"] * 296, 0, []))


def test_pseudo_header_names_are_refused_by_both_verifiers():
    consts = [b"x-a", 7, b"a.b", b"", b":p"]
    for code in (bytes([0x21, 4, 0x05]), bytes([0x62, 4]), bytes([0x63, 0, 4])):  # HDR, DEL_HDR, REN_HDR
        assert not agree(_program(code, b"", consts, 0, []))
        assert "pseudo-header" in CFG.last_error()
    assert agree(_program(bytes([0x27, 4, 0x05]), b"", consts, 0, []))  # ENV ":p": not a header, accepted


def _config_accepted(data: bytes) -> bool:
    from kgw_rules.wire import BundleError, decode_config

    try:
        decode_config(data)
    except (BundleError, kgw_rules.VerifyError):
        return False
    return True



def _seed_bundle() -> bytes:
    from kgw_rules.wire import BundleRoute, encode_bundle

    return encode_bundle({"a": SEEDS[0], "bb": SEEDS[1]}, [BundleRoute(b"r1", b"ns/n/0", ("a", "bb")),
                                                         BundleRoute(b"", b"ns/n/1", ("bb",))])


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 100_000), st.integers(0, 255)), min_size=1, max_size=3), st.booleans())
def test_mutated_bundles_agree_with_the_python_decoder(edits, fix_crc):
    body = bytearray(_seed_bundle()[:-4])
    for at, value in edits:
        body[at % len(body)] = value
    blob = with_bundle_crc(bytes(body)) if fix_crc else bytes(body) + b"\0\0\0\0"
    expected = _config_accepted(blob)
    assert CFG.configure(blob) == expected, CFG.last_error()


def test_seed_bundle_is_accepted_by_both():
    assert _config_accepted(_seed_bundle()) and CFG.configure(_seed_bundle())
