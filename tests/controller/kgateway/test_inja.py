"""Inja templates -> rules source: what compiles, what is a precise error, and equal behaviour in the VM."""
import pytest

import kgw_rules
from kgw_controller.models.kgateway import TransformationPolicy
from kgw_controller.translate.policies.inja import InjaError
from kgw_controller.translate.policies.transform import transformation_source


def _source(request=None, response=None):
    return transformation_source(TransformationPolicy.model_validate(
        {k: v for k, v in (("request", request), ("response", response)) if v is not None}))[0]


def test_conditionals_become_branches_holding_the_whole_value():
    src = _source({"set": [{"name": "x", "value": 'a{% if header("u") == "1" %}b{% else %}c{% endif %}d'}]})
    assert 'set header "x" = "abd"' in src and 'set header "x" = "acd"' in src
    kgw_rules.compile(src)


def test_literal_braces_and_quotes_survive():
    src = _source({"set": [{"name": "x", "value": 'json {"k": "v"} {{ trim(" a ") }}'}]})
    program = kgw_rules.compile(src)
    assert program.to_bytes()


@pytest.mark.parametrize("value, where, message", [
    ('{{ env(header("x")) }}', (1, 4), "env() takes a variable name in quotes"),
    ('ok\n {{ replace_with_random("a", header("x")) }}', (2, 5), "takes the text to replace in quotes"),
    ('{{ replace_with_random("a") }}', (1, 4), "takes 2 argument(s), got 1"),
    ('{{ nosuch(1) }}', (1, 4), "unknown or unsupported template function nosuch()"),
    ('{% for x in y %}{% endfor %}', (1, 4), "unsupported template statement"),
    ('{% if true %}a', (1, 15), "missing {% endif %}"),
    ('{{ a.b }}', (1, 4), "needs body.parseAs: AsJson"),
    ('{{ substring("abc") }}', (1, 4), "takes 2 to 3 argument(s), got 1"),
])
def test_unsupported_templates_are_precise_errors(value, where, message):
    with pytest.raises(InjaError) as e:
        _source({"set": [{"name": "x-a", "value": value}]})
    assert (e.value.line, e.value.col) == where and message in e.value.message
    assert e.value.where == "spec.transformation.request.set[0].value"


def test_env_and_replace_with_random_run_on_the_host_context():
    from kgw_rules.exchange import HostContext, Request
    from kgw_rules.vm import run_exchange

    src = _source({"set": [{"name": "x-a", "value": '{{ env("POD") }}/{{ env("NOPE") }}'},
                           {"name": "x-b", "value": '{{ replace_with_random(header("x-t"), "a.{b}\\"") }}'},
                           {"name": "x-c", "value": '{{ replace_with_random("keep", "") }}'}]})
    program = kgw_rules.compile(src)
    assert program.environment_names() == ["NOPE", "POD"]  # what the controller lists in host_env_keys
    request = Request(headers=[(b"x-t", b'1a.{b}"2axb}"3a.{b}"')])  # the literal text only, not a regex
    host = HostContext({b"POD": b"p1"}, lambda n: b"\0" * n)
    out = dict(run_exchange([program], request, None, host).request.headers)
    assert out[b"x-a"] == b"p1/"  # an unset variable reads as "", as in kgateway
    rid = b"A" * 22  # 16 zero bytes; one id for every occurrence
    assert out[b"x-b"] == b"1" + rid + b'2axb}"3' + rid and out[b"x-c"] == b"keep"


def test_pseudo_headers_map_to_fields_and_phase_is_checked():
    src = _source({"set": [{"name": ":path", "value": "/v2"}, {"name": ":method", "value": "POST"},
                           {"name": ":authority", "value": "h"}]}, {"set": [{"name": ":status", "value": "201"}]})
    for stmt in ('set path = "/v2"', 'set method = "POST"', 'set host = "h"', 'set status = default(int("201"), 0)'):
        assert stmt in src
    with pytest.raises(InjaError, match="only be set in the response phase"):
        _source({"set": [{"name": ":status", "value": "201"}]})
    with pytest.raises(InjaError, match="cannot be removed"):
        _source({"remove": [":path"]})
