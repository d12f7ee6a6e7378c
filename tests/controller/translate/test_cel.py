"""controller/cel.py: CEL text -> the parsed AST Envoy's RBAC filter evaluates (the e2e tests run it in Envoy:
tests/controller/kgateway/test_rbac_cel_e2e.py); errors name the column."""
import pytest
from google.protobuf import json_format

from kgw_controller import cel


def _shape(e) -> object:
    """The AST without ids, compact: ("call", fn, target, args), ("sel", operand, field), ..."""
    kind = e.WhichOneof("expr_kind")
    if kind == "const_expr":
        return json_format.MessageToDict(e.const_expr)
    if kind == "ident_expr":
        return e.ident_expr.name
    if kind == "select_expr":
        s = e.select_expr
        return ("has" if s.test_only else "sel", _shape(s.operand), s.field)
    if kind == "call_expr":
        c = e.call_expr
        target = _shape(c.target) if c.HasField("target") else None
        return ("call", c.function, target, [_shape(a) for a in c.args])
    if kind == "list_expr":
        return [_shape(a) for a in e.list_expr.elements]
    return ("map", [(_shape(en.map_key), _shape(en.value)) for en in e.struct_expr.entries])


@pytest.mark.parametrize("text, shape", [
    ('request.path.startsWith("/a")',
     ("call", "startsWith", ("sel", "request", "path"), [{"stringValue": "/a"}])),
    ('request.headers["x-role"] == "admin"',
     ("call", "_==_", None, [("call", "_[_]", None, [("sel", "request", "headers"), {"stringValue": "x-role"}]),
                             {"stringValue": "admin"}])),
    ('has(request.headers.x) || !(1 < -2)',
     ("call", "_||_", None, [("has", ("sel", "request", "headers"), "x"),
                             ("call", "!_", None, [("call", "_<_", None, [{"int64Value": "1"},
                                                                          {"int64Value": "-2"}])])])),
    ('request.method in ["GET", "HEAD"]',
     ("call", "@in", None, [("sel", "request", "method"),
                            [{"stringValue": "GET"}, {"stringValue": "HEAD"}]])),
    ('{"a": 0x10u}["a"] > 2u ? 1.5 : 2', ("call", "_?_:_", None, [
        ("call", "_>_", None, [("call", "_[_]", None, [("map", [({"stringValue": "a"}, {"uint64Value": "16"})]),
                                                      {"stringValue": "a"}]), {"uint64Value": "2"}]),
        {"doubleValue": 1.5}, {"int64Value": "2"}])),
    (r'"a\tb" + r"a\tb" == b"\x41"', ("call", "_==_", None, [
        ("call", "_+_", None, [{"stringValue": "a\tb"}, {"stringValue": "a\\tb"}]), {"bytesValue": "QQ=="}])),
])
def test_cel_text_becomes_envoys_ast(text, shape):
    assert _shape(cel.parse(text)) == shape


def test_ids_are_unique_in_an_expression_and_across_joined_ones():
    joined = cel.any_of([cel.parse('request.path == "/a"'), cel.parse('request.path == "/b" && true')])
    ids = [int(v) for k, v in _walk(json_format.MessageToDict(joined)) if k == "id"]
    assert len(ids) == len(set(ids)) == 11 and joined.call_expr.function == "_||_"


def _walk(d):
    if isinstance(d, dict):
        for k, v in d.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(d, list):
        for v in d:
            yield from _walk(v)


@pytest.mark.parametrize("text, message", [
    ('request.path ==', "column 16: syntax error: the expression ends too early"),
    ('request.path @ "x"', "column 14: syntax error: unexpected '@'"),
    ('request.path == "a" &&\n  )', "column 3: syntax error (line 2): unexpected ')'"),
    ('req.path == "/"', "column 1: unknown name 'req'"),
    ('[1].exists(x, x > 0)', "column 5: exists() is a comprehension"),
    ('has(request)', "has() takes a field selection"),
])
def test_problems_name_the_column(text, message):
    assert message in (cel.problem(text) or "")


def test_long_chains_are_balanced_and_deep_nesting_is_refused():
    chain = cel.parse(" || ".join(f'request.path == "/p{i}"' for i in range(256)))
    assert cel._depth(chain) <= 2 * 9 + 5  # log2(256) levels of `||`, then the comparison
    assert "nests too deeply for Envoy" in cel.problem("!" * 30 + "request.path == '/'")
    assert cel.problem("(" * 5000 + "request.path" + ")" * 5000) == "column 1: the expression nests too deeply"


@pytest.mark.e2e
def test_envoy_loads_a_long_balanced_chain_and_the_deepest_nesting_allowed(tmp_path):
    """The limit (MAX_DEPTH) is below what Envoy 1.40 loads, measured in a static bootstrap."""
    import json
    import subprocess

    from kgw_controller.envoy import find_envoy

    deepest = "!" * ((cel.MAX_DEPTH - 5) // 2) + 'request.path.startsWith("/x")'
    for text in (" || ".join(f'request.path == "/p{i}"' for i in range(256)), deepest):
        condition = json_format.MessageToDict(cel.parse(text))
        rbac = {"@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC", "rules": {
            "action": "DENY", "policies": {"p": {"permissions": [{"any": True}], "principals": [{"any": True}],
                                                 "condition": condition}}}}
        hcm = {"@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3."
                        "HttpConnectionManager", "stat_prefix": "x",
               "route_config": {"virtual_hosts": [{"name": "v", "domains": ["*"], "routes": [
                   {"match": {"prefix": "/"}, "direct_response": {"status": 200}}]}]},
               "http_filters": [{"name": "rbac", "typed_config": rbac}, {"name": "router", "typed_config": {
                   "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}]}
        config = {"static_resources": {"listeners": [{"name": "l", "address": {"socket_address": {
            "address": "127.0.0.1", "port_value": 1}}, "filter_chains": [{"filters": [
                {"name": "hcm", "typed_config": hcm}]}]}]}}
        path = tmp_path / "bootstrap.json"
        path.write_text(json.dumps(config))
        proc = subprocess.run([find_envoy(), "--mode", "validate", "-c", str(path), "-l", "error"],
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr[-500:]
