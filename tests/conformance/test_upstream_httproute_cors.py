"""Upstream v1.6.1 `HTTPRouteCORS` on Gateway `same-namespace`: preflights are answered by the Gateway (also for
origins the route does not allow: then without Access-Control-Allow-Origin, and never forwarded), simple
requests get the CORS response headers, wildcards in origins, methods and headers, credentials.

Header values are checked as upstream does: one of the accepted spellings, whitespace ignored."""
from dataclasses import dataclass, field

import pytest
from conf_upstream import CORS, UPSTREAM_ADDRESSES

pytestmark = pytest.mark.e2e
ADDR = UPSTREAM_ADDRESSES["same-namespace"]
FOO, BAR, FOOBAR = "https://www.foo.com", "https://www.bar.com", "https://foobar.com"
BOTH_ORDERS = lambda a, b: (f"{a}, {b}", f"{b}, {a}")  # noqa: E731


@dataclass
class Cors:
    name: str
    path: str
    method: str
    headers: dict[str, str]
    valid: dict[str, tuple[str, ...]] = field(default_factory=dict)  # header -> accepted values
    absent: tuple[str, ...] = ()
    statuses: tuple[int, ...] = (200, 204)

    def __str__(self):
        return self.name


def preflight(origin, method, request_headers=None):
    out = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers:
        out["Access-Control-Request-Headers"] = request_headers
    return out


ALL_CORS_1 = {
    "access-control-allow-methods": BOTH_ORDERS("GET", "OPTIONS"),
    "access-control-allow-headers": BOTH_ORDERS("x-header-1", "x-header-2"),
    "access-control-expose-headers": BOTH_ORDERS("x-header-3", "x-header-4"),
    "access-control-max-age": ("3600",), "access-control-allow-credentials": ("true",),
}
PREFLIGHTS = [
    Cors("preflight from an exact matching origin", "/cors-1", "OPTIONS",
         preflight(FOO, "GET", "x-header-1, x-header-2"), {"access-control-allow-origin": (FOO,), **ALL_CORS_1}),
    Cors("preflight from a wildcard matching origin", "/cors-1", "OPTIONS",
         preflight(BAR, "GET", "x-header-1, x-header-2"), {"access-control-allow-origin": (BAR,), **ALL_CORS_1}),
    Cors("preflight from a wildcard matching any number of labels", "/cors-1", "OPTIONS",
         preflight("https://xpto.www.bar.com", "GET", "x-header-1, x-header-2"),
         {"access-control-allow-origin": ("https://xpto.www.bar.com",), **ALL_CORS_1}),
    Cors("preflight from a non-matching origin", "/cors-1", "OPTIONS", preflight(FOOBAR, "GET"),
         absent=("access-control-allow-origin",), statuses=(200, 204, 403)),
    Cors("preflight with POST allowed by allowMethods *", "/cors-2", "OPTIONS", preflight(FOO, "POST"),
         {"access-control-allow-methods": ("POST", "*"), "access-control-allow-origin": (FOO,)},
         absent=("access-control-allow-credentials",)),
    Cors("preflight from a wildcard origin", "/cors-wildcard-origin", "OPTIONS", preflight(FOOBAR, "PUT"),
         {"access-control-allow-origin": (FOOBAR, "*"), "access-control-allow-methods": ("PUT",)},
         absent=("access-control-allow-credentials",)),
    Cors("preflight from a wildcard origin with a port", "/cors-wildcard-origin", "OPTIONS",
         preflight(FOOBAR + ":12345", "PUT"),
         {"access-control-allow-origin": (FOOBAR + ":12345", "*"), "access-control-allow-methods": ("PUT",)},
         absent=("access-control-allow-credentials",)),
    Cors("preflight with wildcard methods and headers echoes them with credentials", "/cors-wildcard-methods-headers",
         "OPTIONS", preflight("https://other.foo.com", "PUT", "x-header-1, x-header-2"),
         {"access-control-allow-origin": ("https://other.foo.com",), "access-control-allow-methods": ("PUT",),
          "access-control-allow-headers": BOTH_ORDERS("x-header-1", "x-header-2"),
          "access-control-allow-credentials": ("true",)}),
    Cors("preflight with wildcard methods and headers without credentials", "/cors-wildcard-methods-headers-unauth",
         "OPTIONS", preflight("https://other.foo.com", "PUT", "x-header-1, x-header-2"),
         {"access-control-allow-origin": ("https://other.foo.com", "*"), "access-control-allow-methods": ("PUT", "*"),
          "access-control-allow-headers": (*BOTH_ORDERS("x-header-1", "x-header-2"), "*")},
         absent=("access-control-allow-credentials",)),
]
SIMPLE = [
    Cors("simple request from an exact matching origin", "/cors-1", "GET",
         preflight(FOO, "GET", "x-header-1, x-header-2"), {"access-control-allow-origin": (FOO,)}, statuses=(200,)),
    Cors("simple request from a wildcard matching origin", "/cors-1", "GET",
         preflight(BAR, "GET", "x-header-1, x-header-2"), {"access-control-allow-origin": (BAR,)}, statuses=(200,)),
    Cors("simple request from a non-matching origin", "/cors-1", "GET", preflight(FOOBAR, "GET"),
         absent=("access-control-allow-origin",), statuses=(200,)),
    Cors("request from a wildcard origin with a port", "/cors-wildcard-origin", "PUT", {"Origin": FOOBAR + ":12345"},
         {"access-control-allow-origin": (FOOBAR + ":12345", "*")}, statuses=(200,)),
    Cors("simple request from a wildcard origin", "/cors-wildcard-origin", "PUT", {"Origin": FOOBAR},
         {"access-control-allow-origin": (FOOBAR, "*")}, absent=("access-control-allow-credentials",), statuses=(200,)),
    Cors("request with allowCredentials true", "/cors-wildcard-methods-headers", "GET",
         {"Origin": "https://other.foo.com"},
         {"access-control-allow-origin": ("https://other.foo.com",), "access-control-allow-credentials": ("true",)},
         statuses=(200,)),
    Cors("request without allowCredentials", "/cors-wildcard-methods-headers-unauth", "GET",
         {"Origin": "https://other.foo.com"}, {"access-control-allow-origin": ("https://other.foo.com", "*")},
         absent=("access-control-allow-credentials",), statuses=(200,)),
]


def _squash(value):
    return "".join(value.split())


@pytest.fixture(scope="module", autouse=True)
def _routes(gw):
    with gw.applied("upstream-httproute-cors.yaml", CORS):
        yield


@pytest.mark.parametrize("case", PREFLIGHTS + SIMPLE, ids=str)
def test_HTTPRouteCORS(gw, case):
    resp = gw.request(f"{ADDR}:{gw.port(80)}", case.path, case.method, case.headers, address=ADDR)
    assert resp.status in case.statuses, f"{case}: {resp.status} {resp.body[:200]!r}"
    for name, accepted in case.valid.items():
        assert _squash(resp.headers.get(name, "")) in {_squash(v) for v in accepted}, f"{case}: {name}: {resp.headers}"
    for name in case.absent:
        assert name not in resp.headers, f"{case}: {name} must be absent: {resp.headers}"
    if case in PREFLIGHTS:  # the Gateway answers every preflight: no backend ever sees one
        assert not resp.body, f"{case}: forwarded to a backend: {resp.body[:200]!r}"
    else:
        assert resp.echoed()["service"] == "infra-backend-v1" and resp.echoed()["method"] == case.method
