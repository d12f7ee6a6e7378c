"""RequestRedirect: scheme, hostname, port (with the spec's default-port rules), path
(ReplaceFullPath / ReplacePrefixMatch) and every allowed status code. No backend ever answers."""
import pytest
from conf_cases import Case, check

pytestmark = pytest.mark.e2e
H = "redirect.example.com"


def redirect(name, path, location, status=302, host=H, **kw):
    return Case(name, host, path, status=status, backend=None, response_headers={"location": location}, **kw)


CASES = [
    redirect("scheme https: the https port 443 is left out", "/scheme", "https://redirect.example.com/scheme"),
    redirect("hostname: listener port 80 is left out for http", "/hostname", "http://example.org/hostname"),
    redirect("explicit port is kept", "/port", "http://redirect.example.com:8083/port"),
    redirect("scheme with a non-default port", "/scheme-port", "https://redirect.example.com:8443/scheme-port"),
    redirect("https with port 443 leaves the port out", "/https-443", "https://redirect.example.com/https-443"),
    redirect("status 301", "/status-301", "http://redirect.example.com/status-301", 301),
    redirect("status 303", "/status-303", "http://redirect.example.com/status-303", 303),
    redirect("status 307", "/status-307", "http://redirect.example.com/status-307", 307),
    redirect("status 308", "/status-308", "http://redirect.example.com/status-308", 308),
    redirect("ReplaceFullPath", "/full/x", "http://redirect.example.com/full-path-replaced"),
    redirect("ReplacePrefixMatch", "/prefix/one/two", "http://redirect.example.com/one/two"),
    redirect("ReplacePrefixMatch of the whole path", "/prefix/one", "http://redirect.example.com/one"),
    redirect("ReplacePrefixMatch with / strips the prefix", "/strip-prefix/three", "http://redirect.example.com/three"),
    redirect("ReplacePrefixMatch with / on the bare prefix", "/strip-prefix", "http://redirect.example.com/"),
    redirect("scheme, hostname, port, path and status together", "/everything",
             "https://example.org:8443/done", 301),
    # A port the client sent in Host never leaks into Location: replaced by the derived port, named explicitly
    # when it is the scheme's default (the only way Envoy drops the client's; the URL means the same).
    redirect("scheme https with a port in Host", "/scheme", "https://redirect.example.com:443/scheme",
             host=H + ":8080"),
    redirect("path only, with a port in Host: the listener port", "/full/x",
             "http://redirect.example.com:80/full-path-replaced", host=H + ":8080"),
    redirect("explicit port with a port in Host", "/port", "http://redirect.example.com:8083/port", host=H + ":8080"),
    redirect("hostname with a port in Host", "/hostname", "http://example.org/hostname", host=H + ":8080"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_redirects(gw, case):
    check(gw, case)
