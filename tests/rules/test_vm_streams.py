"""Stream-level semantics of the reference VM: several programs on one route, phases, variables."""
import kgw_rules
from kgw_rules.exchange import Request, Response
from kgw_rules.vm import run_exchange


def prog(source: str):
    return kgw_rules.Program.from_bytes(kgw_rules.compile(source).to_bytes(strip=True))


GATEWAY = prog('on request { add header x-order = "gateway"\n stop\n }\n'
               'on response { add header x-order = "gateway" }')
ROUTE = prog('on request { add header x-order = "route" }\non response { add header x-order = "route"\n stop }')
RULE = prog('on request { add header x-order = "rule" }\non response { add header x-order = "rule" }')


def test_programs_run_in_order_and_stop_ends_only_its_own_phase():
    out = run_exchange([GATEWAY, ROUTE, RULE], Request(), Response())
    assert [v for k, v in out.request.headers if k == b"x-order"] == [b"gateway", b"route", b"rule"]
    assert [v for k, v in out.response.headers if k == b"x-order"] == [b"gateway", b"route", b"rule"]


def test_respond_ends_every_program_of_the_stream():
    deny = prog('on request { respond 403 "no" }\non response { set header x-late = "1" }')
    out = run_exchange([GATEWAY, deny, RULE], Request(), Response())
    assert out.request is None and out.response is None
    assert out.local_response.status == 403 and out.local_response.body == b"no"


def test_response_phase_respond_replaces_the_upstream_answer_but_the_request_went_upstream():
    swap = prog('on response { if status >= 500 { respond 503 "try later" } }')
    out = run_exchange([swap], Request(url=b"/x"), Response(502, [(b"server", b"up")], b"boom"))
    assert out.request.url == b"/x" and out.response is None
    assert out.local_response.phase == "response" and out.local_response.body == b"try later"


def test_variables_belong_to_their_program():
    a = prog('on request { let v = "a" }\non response { set header x-a = v }')
    b = prog('on request { let v = "b" }\non response { set header x-b = v }')
    out = run_exchange([a, b], Request(), Response())
    assert (b"x-a", b"a") in out.response.headers and (b"x-b", b"b") in out.response.headers


def test_unreached_let_is_absent_in_the_response_phase():
    p = prog('on request {\n if method == "GET" { stop }\n let v = "set"\n}\n'
             'on response { set header x-v = default(v, "absent") }')
    get = run_exchange([p], Request(method=b"GET"), Response())
    post = run_exchange([p], Request(method=b"POST"), Response())
    assert (b"x-v", b"absent") in get.response.headers and (b"x-v", b"set") in post.response.headers


def test_without_an_upstream_answer_only_the_request_phase_runs():
    out = run_exchange([RULE], Request(), None)
    assert out.response is None and out.local_response is None
    assert all(phase == "request" for phase, _ in out.trace) or not out.trace


def test_inputs_are_not_modified():
    request = Request(headers=[(b"a", b"1")])
    run_exchange([prog('on request { remove header a }')], request, None)
    assert request.headers == [(b"a", b"1")]


def test_captures_of_absent_groups_read_as_absent():
    p = prog('on request {\n if path ~ r"^/(?P<a>x)?(?P<b>y)?$" {\n'
             '  set header x-a = default(a, "none")\n  set header x-b = default(b, "none")\n }\n}')
    out = run_exchange([p], Request(url=b"/y"), None)
    assert (b"x-a", b"none") in out.request.headers and (b"x-b", b"y") in out.request.headers
