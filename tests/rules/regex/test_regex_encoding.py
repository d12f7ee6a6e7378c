"""Binary form: exact layout, round trips, and a verifier that only ever raises RegexFormatError."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from regex_gen import PATTERNS

from kgw_rules.regex import (
    MAX_GROUPS,
    MAX_INSTRUCTIONS,
    OPCODES,
    RegexFormatError,
    compile_regex,
    decode_regex,
    disassemble_regex,
    encode_regex,
    replace_all,
    search,
)
from kgw_rules.regex.compile import program_size
from kgw_rules.regex.parse import parse

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def blob(*parts) -> bytes:
    return b"".join(bytes(p) if isinstance(p, (list, tuple)) else p for p in parts)


def test_layout_of_a_small_program():
    # (?P<n>a|[bc]): header, one name, one class, then the instructions
    prog = compile_regex("(?P<n>a|[bc])")
    assert encode_regex(prog) == blob(
        [1, 7, 1],  # groups, 7 instructions (varint), 1 class (varint): the version is the program's
        [1], b"n",  # name of group 1
        [1, ord("b"), ord("c")],  # class 0: one range, b-c
        [7, 2],  # SAVE 2
        [5, 2, 4],  # SPLIT 2, 4 (varint targets)
        [1, ord("a")],  # BYTE 'a'
        [6, 5],  # JMP 5
        [2, 0],  # CLASS 0 (varint index)
        [7, 3],  # SAVE 3
        [0],  # MATCH
    )


def test_a_case_insensitive_letter_is_one_two_byte_instruction():
    prog = compile_regex("(?i)json")
    assert encode_regex(prog) == blob([0, 5, 0], [9, ord("j")], [9, ord("s")], [9, ord("o")], [9, ord("n")], [0])
    assert search(prog, b"application/JSoN") and not search(prog, b"j$on")
    assert compile_regex("(?i)[a-c]").classes  # a range stays a class
    with pytest.raises(RegexFormatError, match="not a lower-case ASCII letter"):
        decode_regex(blob([0, 2, 0], [9, ord("J")], [0]))


def test_classes_are_canonical_range_lists():
    prog = compile_regex(r"[a-cx\d]")
    data = encode_regex(prog)
    assert bytes([3, ord("0"), ord("9"), ord("a"), ord("c"), ord("x"), ord("x")]) in data
    for bad, reason in (([2, 5, 9, 9, 12], "overlaps or touches"), ([1, 9, 5], "reversed"), ([129], "ranges")):
        tampered = data.replace(bytes([3, ord("0"), ord("9"), ord("a"), ord("c"), ord("x"), ord("x")]), bytes(bad))
        with pytest.raises(RegexFormatError, match=reason):
            decode_regex(tampered)


def test_opcode_table_is_consistent():
    codes = [op.code for op in OPCODES]
    assert codes == list(range(len(OPCODES)))
    assert len({op.name for op in OPCODES}) == len(OPCODES)
    for op in OPCODES:
        assert op.meaning and all(o.width in (0, 1) for o in op.operands)  # 0: varint
        assert all(o.role in ("byte", "class", "target", "slot", "assert", "letter") for o in op.operands)


@FAST
@given(PATTERNS)
def test_round_trip_is_the_identity(gen):
    prog = compile_regex(gen.ours)
    data = encode_regex(prog)
    back = decode_regex(data)
    assert back == prog
    assert encode_regex(back) == data
    assert disassemble_regex(back) == disassemble_regex(prog)


@FAST
@given(PATTERNS)
def test_program_size_predicts_the_emitted_length(gen):
    assert program_size(parse(gen.ours).tree) + 1 == len(compile_regex(gen.ours).insts)


def _check_decode(data: bytes) -> None:
    try:
        prog = decode_regex(data)
    except RegexFormatError as e:
        assert e.reason and str(e) == e.reason
        return
    # Whatever verifies must encode back to the same bytes and run without crashing.
    assert encode_regex(prog) == data
    for sample in (b"", b"ab\n\xff", b"a" * 20):
        result = search(prog, sample)
        assert result is None or len(result) == prog.ngroups + 1
        replace_all(prog, sample, b"-")


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=80))
def test_random_bytes_only_raise_format_errors(data):
    _check_decode(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60))
def test_random_bodies_behind_a_plausible_header(body):
    # A valid header gets the fuzzer past the first checks into names, classes and instructions.
    _check_decode(bytes([1, body[0] % 3 if body else 0, 6, 0, 1, 0]) + body)


_MUTATIONS = st.lists(st.tuples(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]),
                                st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=255)),
                      min_size=1, max_size=4)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PATTERNS, _MUTATIONS)
def test_mutated_blobs_only_raise_format_errors(gen, mutations):
    data = bytearray(encode_regex(compile_regex(gen.ours)))
    for kind, where, value in mutations:
        i = where % (len(data) + 1)
        if kind == "flip" and i < len(data):
            data[i] ^= 1 << (value % 8)
        elif kind == "set" and i < len(data):
            data[i] = value
        elif kind == "insert":
            data.insert(i, value)
        elif kind == "delete" and i < len(data):
            del data[i]
        elif kind == "truncate":
            del data[i:]
    _check_decode(bytes(data))


GOOD = encode_regex(compile_regex("(?P<n>a|[bc])"))  # layout shown in test_layout_of_a_small_program
CODE = 3 + 2 + 3  # header (groups, varint counts), group name "n", class 0 (one range)


def patch(offset: int, *values: int, data: bytes = GOOD) -> bytes:
    out = bytearray(data)
    out[offset:offset + len(values)] = bytes(values)
    return bytes(out)


@pytest.mark.parametrize("data,reason", [
    (b"", "truncated: header needs 1 bytes at offset 0, only 0 left"),
    (GOOD[:1], "header: truncated varint at offset 1"),
    (GOOD[:4], "truncated: name of group 1 needs 1 bytes at offset 4, only 0 left"),
    (GOOD[:7], "truncated: range 0 of class 0 needs 2 bytes at offset 6, only 1 left"),
    (GOOD[:-1], f"truncated: opcode of instruction 6 needs 1 bytes at offset {len(GOOD) - 1}, only 0 left"),
    (GOOD[:CODE + 3], f"operand of instruction 1 (SPLIT): truncated varint at offset {CODE + 3}"),
    (patch(0, MAX_GROUPS + 1), f"too many capture groups: {MAX_GROUPS + 1} > {MAX_GROUPS}"),
    (patch(1, 0), "empty program: no instructions"),
    (bytes([1, 0x81, 0x10, 1]), f"too many instructions: {MAX_INSTRUCTIONS + 1} > {MAX_INSTRUCTIONS}"),
    (bytes([1, 7, 0x81, 0x10]), f"too many classes: {MAX_INSTRUCTIONS + 1} > {MAX_INSTRUCTIONS}"),
    (bytes([0, 0x81, 0x00, 0]), "header: overlong varint at offset 1"),
    (patch(4, 0xFF), "name of group 1 is not valid UTF-8"),
    (patch(4, ord("1")), "name of group 1 is not a valid group name: '1'"),
    (patch(CODE, 10), f"unknown opcode 10 at instruction 0 (offset {CODE})"),
    (patch(CODE + 3, 7), "jump target 7 out of range at instruction 1 (SPLIT): must be below 7"),
    (patch(CODE + 8, 127), "jump target 127 out of range at instruction 3 (JMP): must be below 7"),
    (patch(CODE + 1, 4), "save slot 4 out of range at instruction 0: slots are 2..3"),
    (patch(CODE + 1, 1), "save slot 1 out of range at instruction 0: slots are 2..3"),
    (patch(CODE + 10, 1), "class index 1 out of range at instruction 4 (CLASS): must be below 1"),
    (patch(len(GOOD) - 1, 4), "last instruction 6 (ANY) falls through past the end of the program"),
    (GOOD + b"\x00", f"1 trailing bytes after the last instruction (offset {len(GOOD)})"),
    (bytes([0, 1, 0, 8, 4]), "assertion kind 4 out of range at instruction 0 (ASSERT): must be below 4"),
    (bytes([0, 2, 0, 7, 2, 0]), "save slot 2 at instruction 0 in a program without groups"),
    (bytes([2, 1, 0, 1, ord("x"), 1, ord("x"), 0]), "duplicate group name 'x' (group 2)"),
])
def test_verifier_reasons(data, reason):
    with pytest.raises(RegexFormatError) as info:
        decode_regex(data)
    assert info.value.reason == reason


def test_format_error_is_a_value_error():
    assert issubclass(RegexFormatError, ValueError)
    with pytest.raises(RegexFormatError, match="expected bytes"):
        decode_regex("not bytes")


def test_decoded_program_matches_like_the_original():
    prog = decode_regex(encode_regex(compile_regex("(?P<user>\\w+)@(\\w+)\\.org\\b")))
    assert prog.group_names == (None, "user", None)
    assert search(prog, b"to: bob@example.org!") == [(4, 19), (4, 7), (8, 15)]
