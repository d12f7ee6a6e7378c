"""Hostile input at request time never traps and stays linear; memory does not grow across requests."""
from __future__ import annotations

import time

import kgw_rules
from kgw_rules.exchange import Request, Response
from kgw_rules.harness import FilterVM, test_bundle
from kgw_rules.harness.engine import PhaseStats

from .corpus import FIRST_PROGRAM

FIRST = kgw_rules.compile(FIRST_PROGRAM, "api.kgw").to_bytes(strip=True)
REGEX_BODY = kgw_rules.compile(r'''
on request {
  if body ~ r"(a|aa)*c" { set header "x-m" = "1" }
  if body ~ r"(?P<x>(a+)+b)" { set header "x-x" = x }
  replace body r"(a*)*b" with "-"
  set header "x-n" = str(len(replace(header("x-long"), r"(x+x+)+y", "z")))
}
''', "regex.kgw").to_bytes(strip=True)

# Quadratic without the replace-all work budget: every search's \w*b thread scans to the end of the
# body before the one-byte match of `a` is confirmed (n^2/2 = 5.5e11 bytes for 1 MiB).
QUADRATIC_BODY = kgw_rules.compile(r'''
on request {
  replace body r"\w*b|a" with "-"
  set header x-after = "ran"
}
''', "quadratic.kgw").to_bytes(strip=True)


def _vm(blob: bytes) -> FilterVM:
    return FilterVM(test_bundle([blob], b"ns/r/0"))


def _timed(vm: FilterVM, req: Request, resp: Response | None = None):
    """(outcome, seconds, fuel of every callback of the exchange). The fuel is summed over the
    callbacks: host.last_fuel alone is the last callback's (proxy_on_delete), not the body's."""
    stats = PhaseStats()
    t = time.perf_counter()
    out = vm.exchange(req, resp, stats=stats)
    return out, time.perf_counter() - t, stats.fuel


def test_100k_headers():
    headers = [(b"x-h%d" % i, b"v") for i in range(100_000)] + [(b"authorization", b"t"), (b"x-user-id", b"Bob")]
    out, seconds, _ = _timed(_vm(FIRST), Request(url=b"/v1/a", headers=headers), Response(headers=headers[:1000]))
    assert (b"x-user", b"bob") in out.request.headers
    assert len(out.request.headers) == 100_003
    assert seconds < 30


def test_one_megabyte_header_values():
    big = b" " + b"A" * (1 << 20) + b" "
    request = Request(url=b"/v1/" + b"p" * 100_000, headers=[(b"authorization", b"t"), (b"x-user-id", big)])
    out, seconds, _ = _timed(_vm(FIRST), request, Response())
    assert dict(out.request.headers)[b"x-user"] == b"a" * (1 << 20)
    assert out.response.headers == [(b"x-served-for", b"a" * (1 << 20))]
    assert seconds < 30


def test_pathological_regexes_on_a_megabyte_body_are_linear():
    vm = _vm(REGEX_BODY)
    fuel = {}
    for size in (1 << 18, 1 << 19, 1 << 20):
        req = Request(method=b"POST", url=b"/", headers=[(b"x-long", b"x" * (size // 4))], body=b"a" * size)
        out, seconds, fuel[size] = _timed(vm, req)
        assert out.request.body == b"a" * size  # no b: nothing replaced
        assert dict(out.request.headers)[b"x-n"] == str(size // 4).encode()
        assert seconds < 60
    # linear: doubling the input at most a little more than doubles the work of the body callback
    assert fuel[1 << 19] < 2.3 * fuel[1 << 18]
    assert fuel[1 << 20] < 2.3 * fuel[1 << 19]


def test_matches_still_found_in_a_megabyte_body():
    vm = _vm(REGEX_BODY)
    body = b"a" * (1 << 20) + b"bc"
    request = Request(method=b"POST", url=b"/", body=body, headers=[(b"content-length", b"%d" % len(body))])
    out = vm.exchange(request, None)
    headers = dict(out.request.headers)
    assert headers[b"x-x"] == b"a" * (1 << 20) + b"b"
    assert out.request.body == b"-c"
    assert headers[b"content-length"] == b"2"


def test_no_memory_growth_across_1000_requests():
    vm = _vm(FIRST)
    body_vm = _vm(REGEX_BODY)
    req = Request(url=b"/v1/users?debug=1",
                  headers=[(b"authorization", b"t"), (b"x-user-id", b"Alice"), (b"cookie", b"a=1")])
    body_req = Request(method=b"POST", url=b"/", body=b"xaab" * 2000)
    for _ in range(50):  # warm up: the scratch arena reaches its steady size
        vm.exchange(req, Response())
        body_vm.exchange(body_req, Response(body=b"r"))
    sizes = (vm.host.memory_size(), body_vm.host.memory_size())
    for _ in range(1000):
        vm.exchange(req, Response(status=503))
        body_vm.exchange(body_req, Response(body=b"r"))
    assert (vm.host.memory_size(), body_vm.host.memory_size()) == sizes


def test_quadratic_replace_body_gives_up_within_a_linear_budget():
    vm = _vm(QUADRATIC_BODY)
    fuel = {}
    for size in (1 << 18, 1 << 19, 1 << 20):
        req = Request(method=b"POST", url=b"/", body=b"a" * size, headers=[(b"content-length", b"%d" % size)])
        out, seconds, fuel[size] = _timed(vm, req)
        # over budget (4 * size + 65536 bytes stepped): the body is left as it was, the skip counted,
        # and the rules after it still run
        assert out.request.body == b"a" * size
        assert out.skipped == ["regex_budget"]
        assert dict(out.request.headers)[b"x-after"] == b"ran"
        assert seconds < 60
    # linear: the work stops at the budget, which grows with the body
    assert fuel[1 << 19] < 2.3 * fuel[1 << 18]
    assert fuel[1 << 20] < 2.3 * fuel[1 << 19]
