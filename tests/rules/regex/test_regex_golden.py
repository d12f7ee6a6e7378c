"""Golden disassembly listings; regenerate with KGW_UPDATE_GOLDEN=1 after a deliberate change."""
import pathlib

from kgw_rules.regex import OPCODES, compile_regex, disassemble_regex
from tests.golden import check_golden

GOLDEN = pathlib.Path(__file__).parent / "golden" / "disassembly.txt"

PATTERNS = [
    r"^/v1/(?P<rest>.*)$",
    r"a|b|c",
    r"(a|ab)(c|bcd)(d*)",
    r"x*?y+z??",
    r"(a*)*",
    r"\bfoo\B",
    r"(?i)kgw[0-9]{2,4}",
    r"[^\s]+@[\w.-]+",
    r"(?s).\x00é",
    r"a{2,}b{0,2}?",
    r"\Aab\z",
]


def render() -> str:
    blocks = []
    for pattern in PATTERNS:
        blocks.append(f"# {pattern}\n" + "\n".join(disassemble_regex(compile_regex(pattern))) + "\n")
    return "\n".join(blocks)


def test_disassembly_matches_golden():
    check_golden(GOLDEN, render())


def test_golden_listings_exercise_every_opcode():
    listed = {line.split()[1] for line in GOLDEN.read_text().splitlines() if line and not line.startswith("#")}
    assert listed == {op.name for op in OPCODES}
