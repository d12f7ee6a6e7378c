"""The pytest plugin's kgw_rules_filter fixture, used as a team would use it."""
from __future__ import annotations

from .corpus import FIRST_PROGRAM

pytest_plugins = ["pytester"]


def test_fixture_runs_a_source_through_the_wasm_filter(kgw_rules_filter):
    f = kgw_rules_filter(FIRST_PROGRAM)
    r = f.request("GET", "/v1/x?debug=1", headers={"Authorization": "Bearer t", "X-User-Id": " Alice "},
                  response={"status": 503, "headers": {"server": "envoy"}})
    assert r.request.headers["x-user"] == "alice"
    assert r.request.headers["X-USER"] == "alice"  # case-insensitive view
    assert r.request.url == "/v2/x?lang=en" and r.request.path == "/v2/x"
    assert r.response.status == 503 and r.response.headers["retry-after"] == "5"
    assert "server" not in r.response.headers
    assert r.local_response is None


def test_fixture_local_response_and_engines(kgw_rules_filter):
    for engine in ("wasm", "ref", "both"):
        r = kgw_rules_filter(FIRST_PROGRAM, engine=engine).request("GET", "/v1/x")
        assert r.local_response.status == 401
        assert r.local_response.text == "missing credentials"
        assert r.request is None


def test_fixture_reads_a_file_relative_to_the_test(kgw_rules_filter, tmp_path):
    rules = tmp_path / "api.kgw"
    rules.write_text('on request { set header "x-b" = json("a") }')
    r = kgw_rules_filter(str(rules)).request("POST", "/", json={"a": "b"})
    assert r.request.headers.getall("x-b") == ["b"]


def test_descriptors_the_rules_set(kgw_rules_filter):
    f = kgw_rules_filter('on request { set descriptor "tenant" = split_part(path, "/", 1) }')
    r = f.request("GET", "/acme/x", headers={"x-kgw-descriptor-plan": "gold", "x-other": "1"})
    # what a client sent is not removed by the rules (the Gateway removes it before they run: docs/language.md)
    assert r.request.descriptors == {"tenant": "acme", "plan": "gold"}
    assert f.request("GET", "/").request.descriptors == {}


def test_plugin_is_registered_through_the_entry_point(pytester):
    pytester.makefile(".kgw", api='on request { set header "x-user" = lower(header("x-user-id")) }')
    pytester.makepyfile('''
def test_it(kgw_rules_filter):
    f = kgw_rules_filter("api.kgw")
    r = f.request("GET", "/v1/x", headers={"x-user-id": "ALICE"})
    assert r.request.headers["x-user"] == "alice"
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
