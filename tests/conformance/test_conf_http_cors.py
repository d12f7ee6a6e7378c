"""CORS filter: preflights answered by the Gateway (for allowed origins with the CORS headers, exact and wildcard;
for other origins without Access-Control-Allow-Origin), simple requests get Access-Control-Allow-Origin /
-Expose-Headers / -Allow-Credentials, other origins get no CORS headers."""
import pytest
from conf_cases import Case, check

pytestmark = pytest.mark.e2e
H = "cors.example.com"
PREFLIGHT = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-header-1"}


def preflight(origin):
    return {"Origin": origin, **PREFLIGHT}


CASES = [
    Case("preflight from an allowed origin", H, "/", method="OPTIONS", headers=preflight("https://www.foo.com"),
         backend=None, response_headers={
             "access-control-allow-origin": "https://www.foo.com", "access-control-allow-methods": "GET, OPTIONS",
             "access-control-allow-headers": "x-header-1, x-header-2", "access-control-max-age": "3600",
             "access-control-allow-credentials": "true"}),
    Case("preflight from a wildcard origin", H, "/", method="OPTIONS", headers=preflight("https://api.bar.com"),
         backend=None, response_headers={"access-control-allow-origin": "https://api.bar.com"}),
    # Answered by the Gateway (never forwarded) without Access-Control-Allow-Origin, so the browser refuses it.
    Case("preflight from another origin is answered without allowing it", H, "/", method="OPTIONS",
         headers=preflight("https://evil.com"), backend=None, absent_response_headers=["access-control-allow-origin"]),
    Case("simple request from an allowed origin", H, "/", headers={"Origin": "https://www.foo.com"},
         response_headers={"access-control-allow-origin": "https://www.foo.com",
                            "access-control-expose-headers": "x-header-3",
                            "access-control-allow-credentials": "true"}),
    Case("simple request from another origin", H, "/", headers={"Origin": "https://evil.com"},
         absent_response_headers=["access-control-allow-origin"]),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cors(gw, case):
    check(gw, case)
