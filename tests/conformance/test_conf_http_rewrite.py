"""URLRewrite: hostname, ReplaceFullPath (query string kept), ReplacePrefixMatch with the spec's slash rules."""
import pytest
from conf_cases import Case, check

pytestmark = pytest.mark.e2e
H = "rewrite.example.com"

CASES = [
    Case("hostname", H, "/hostname", backend_host="one.example.org"),
    Case("full path", H, "/full/x/y", backend_path="/one"),
    Case("full path keeps the query", H, "/full?a=b", backend_path="/one?a=b"),
    Case("prefix /prefix/one -> /xyz", H, "/prefix/one/two", backend_path="/xyz/two"),
    Case("prefix, whole path", H, "/prefix/one", backend_path="/xyz"),
    Case("prefix, trailing slash kept", H, "/prefix/one/", backend_path="/xyz/"),
    Case("prefix and replacement with trailing slashes", H, "/trailing/bar", backend_path="/xyz/bar"),
    Case("prefix replaced by / strips it", H, "/strip-prefix/three", backend_path="/three",
         backend_host="two.example.org"),
    Case("prefix replaced by /, bare prefix", H, "/strip-prefix", backend_path="/", backend_host="two.example.org"),
    Case("prefix replaced by /, query kept", H, "/strip-prefix/x?q=1", backend_path="/x?q=1",
         backend_host="two.example.org"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rewrites(gw, case):
    check(gw, case)
