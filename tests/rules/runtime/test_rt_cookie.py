"""Table tests for kgw_rules.runtime.cookie (docs/runtime.md section 4)."""
import pytest

from kgw_rules.runtime import cookie_get


@pytest.mark.parametrize("values, name, out", [
    ([b"a=1; b=2"], b"b", b"2"), ([b"a=1", b"b=2; a=3"], b"a", b"1"), ([b"a=1", b"b=2; a=3"], b"b", b"2"),
    ([b"  b = 2 ;c=3"], b"b", b"2"), ([b"\tb=2\t"], b"b", b"2"),
    ([b'q="x y"'], b"q", b"x y"), ([b'q=""'], b"q", b""), ([b'q="'], b"q", b'"'),
    ([b'q=""x""'], b"q", b'"x"'), ([b'q="x'], b"q", b'"x'), ([b'q= "x" '], b"q", b"x"),
    ([b"flag; a=1"], b"flag", None), ([b"flag; a=1"], b"a", b"1"), ([b"t=a=b"], b"t", b"a=b"),
    ([b"A=1"], b"a", None), ([], b"a", None), ([b"a="], b"a", b""), ([b"a=1, b=2"], b"b", None),
    ([b"a=1, b=2"], b"a", b"1, b=2"), ([b";;a=%41;"], b"a", b"%41"), ([b"=x"], b"", b"x"),
    ([b"ab=1"], b"a", None),
])
def test_cookie_get(values, name, out):
    assert cookie_get(values, name) == out
