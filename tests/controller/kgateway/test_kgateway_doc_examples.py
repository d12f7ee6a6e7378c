"""kgateway's own transformation examples (its e2e test data and the answers its suite expects), compiled
by kgw and run on both engines; errors of the template form point into the template; the newer fields
(`body.parseAs: None`, `dynamicMetadata`)."""
import json

import pytest
import yaml

import kgw_rules
from kgw_controller.models.kgateway import TransformationPolicy
from kgw_controller.translate.policies.routepolicy import _compile_transformation
from kgw_rules.engines import get_engine
from kgw_rules.exchange import Request, Response

# kgateway test/e2e/features/transformation/testdata/transform-for-headers.yaml (spec.transformation)
HEADERS = r'''
request:
  set:
    - name: x-foo-bar
      value: "foolen_{{header(\"content-length\")}}"
    - name: x-foo-bar2
      value: "foolen_{{request_header(\"content-length\")}}"
    - name: ":method"
      value: "pseudo-not-rejected!"
    - name: "x-space-test"
      value: " foobar "
    - name: x-client
      value: '{% if substring(request_header("User-Agent"), 0, 4) == "curl" %}text{% endif %}'
  remove:
    - "x-remove-me"
  add:
    - name: "cookie"
      value: "test=123"
response:
  set:
    - name: x-foo-response
      value: "{%- if request_header(\"x-aDd-bar\") != \"\" -%}supersuper{{request_header(\"x-add-baR\")}}\
        {% else %}notsuper{% endif %}"
    - name: x-foo-response-status
      value: "{{header(\":StaTus\")}}"
    - name: "x-space-test"
      value: " foobar "
  remove:
    - "access-control-allow-credentials"
  add:
    - name: "access-control-allow-origin"
      value: "foo.com"
'''

# kgateway test/e2e/features/transformation/testdata/transform-for-body-json.yaml (spec.transformation)
BODY_JSON = r'''
request:
  set:
    - name: "x-transformed-incoming"
      value: "level_{%- if mykey != \"\" -%}{{mykey.myinnerkey}}{% else %}unknown{% endif %}"
  body:
    parseAs: "AsJson"
response:
  set:
    - name: "x-how-great"
      value: "level_{%- if headers != \"\" -%}{{headers.X-Incoming-Stuff.0}}{% else %}unknown{% endif %}"
    - name: "from-incoming"
      value: "key_{%- if headers != \"\" -%}{{headers.X-Transformed-Incoming.0}}{% else %}unknown{% endif %}"
  body:
    parseAs: "AsJson"
    value: "{{headers}}"
'''


def compiled(doc):
    blob, error = _compile_transformation(TransformationPolicy.model_validate(yaml.safe_load(doc)))
    assert error == "" and blob is not None
    return blob


def first(headers, name):
    return next((v.decode() for k, v in headers if k == name.encode()), None)


@pytest.fixture(scope="module", params=["ref", "both"])
def engine(request):
    return get_engine(request.param)


def test_headers_example_as_kgateway_answers_it(engine):
    blob = compiled(HEADERS)
    request = Request(method=b"POST", headers=[(b"user-agent", b"curl/8.5.0"), (b"x-remove-me", b"1"),
                                               (b"content-length", b"5")], body=b"hello")
    upstream = Response(200, [(b"access-control-allow-credentials", b"true")])
    out = engine([blob], request, upstream)
    sent = out.request
    assert first(sent.headers, "x-foo-bar") == "foolen_5" and first(sent.headers, "x-foo-bar2") == "foolen_5"
    assert sent.method == b"pseudo-not-rejected!"
    assert first(sent.headers, "x-space-test") == " foobar " and first(sent.headers, "x-client") == "text"
    assert first(sent.headers, "x-remove-me") is None and first(sent.headers, "cookie") == "test=123"
    got = out.response
    assert first(got.headers, "x-foo-response") == "notsuper"
    assert first(got.headers, "x-foo-response-status") == "200"
    assert first(got.headers, "access-control-allow-credentials") is None
    assert first(got.headers, "access-control-allow-origin") == "foo.com"

    request.headers.append((b"x-add-bar", b"super"))
    assert first(engine([blob], request, upstream).response.headers, "x-foo-response") == "supersupersuper"


def test_body_json_example_as_kgateway_answers_it(engine):
    blob = compiled(BODY_JSON)
    body = b'{"mykey": {"myinnerkey": "myinnervalue"}}'
    request = Request(method=b"POST", headers=[(b"x-incoming-stuff", b"super"),
                                               (b"content-length", str(len(body)).encode())], body=body)
    # the echo upstream answers with the request's headers, as kgateway's test backend does
    echoed = json.dumps({"headers": {"X-Incoming-Stuff": ["super"],
                                     "X-Transformed-Incoming": ["level_myinnervalue"]}}).encode()
    out = engine([blob], request, Response(200, [(b"content-length", str(len(echoed)).encode())], echoed))
    assert first(out.request.headers, "x-transformed-incoming") == "level_myinnervalue"
    assert first(out.response.headers, "x-how-great") == "level_super"
    assert first(out.response.headers, "from-incoming") == "key_level_myinnervalue"
    assert json.loads(out.response.body) == {"X-Incoming-Stuff": ["super"],
                                             "X-Transformed-Incoming": ["level_myinnervalue"]}


def _error(transformation):
    blob, error = _compile_transformation(TransformationPolicy.model_validate(transformation))
    assert blob is None
    return error


@pytest.mark.parametrize("transformation, expected", [
    ({"request": {"set": [{"name": "x-s", "value": 'code {{ header(":status") }}'}]}},
     "spec.transformation.request.set[0].value:1:9: `status` is only available in `on response`"),
    ({"request": {"set": [{"name": "x-a", "value": "ok"}, {"name": "content-length", "value": "3"}]}},
     "spec.transformation.request.set[1].name:1:1: `content-length` can be read but not written by rules"),
    ({"response": {"add": [{"name": "x-h", "value": 'line one\n  {{ header("host") }}'}]}},
     "spec.transformation.response.add[0].value:2:13: `host` is not a header name in rules"),
    ({"request": {"remove": ["transfer-encoding"]}},
     "spec.transformation.request.remove[0]:1:1: `transfer-encoding` can be read but not written by rules"),
])
def test_errors_point_into_the_template_never_into_generated_rules(transformation, expected):
    error = _error(transformation)
    assert error == f"bad template: {expected}"
    assert "on request" not in error and "set header" not in error


def test_parse_as_none_neither_buffers_nor_transforms_the_body():
    blob = compiled('request:\n  set: [{name: x-a, value: "1"}]\n  body: {parseAs: None, value: "ignored"}\n')
    program = kgw_rules.Program.from_bytes(blob)
    assert not program.needs_request_body
    out = get_engine("ref")([blob], Request(method=b"POST", body=b"keep"), None)
    assert out.request.body == b"keep" and first(out.request.headers, "x-a") == "1"
    error = _error({"request": {"set": [{"name": "x", "value": "{{ a.b }}"}], "body": {"parseAs": "None"}}})
    assert error == "bad template: spec.transformation.request.set[0].value:1:4: the JSON field 'a.b' needs " \
                    "body.parseAs: AsJson"


def test_dynamic_metadata_becomes_a_log_field():
    """proxy-wasm cannot write Envoy dynamic metadata: each entry sets the log field NAMESPACE.KEY (filter
    state, which access-log formats read; telemetry.py maps %DYNAMIC_METADATA(NAMESPACE:KEY)% to it)."""
    blob = compiled('request:\n  dynamicMetadata:\n  - {namespace: kgateway, key: user, value: {stringValue: '
                    '"u-{{ header(\\"x-user\\") }}"}}\nresponse:\n  dynamicMetadata:\n  - {namespace: io.solo, '
                    'key: code, value: {stringValue: "{{ header(\\":status\\") }}"}}\n')
    assert kgw_rules.Program.from_bytes(blob).log_field_names() == ["io.solo.code", "kgateway.user"]
    out = get_engine("both")([blob], Request(headers=[(b"x-user", b"ann")]), Response(status=404))
    assert out.log_fields == {b"kgateway.user": b"u-ann", b"io.solo.code": b"404"}
    error = _error({"request": {"dynamicMetadata": [
        {"namespace": "envoy:lb", "key": "user", "value": {"stringValue": "x"}}]}})
    assert error.startswith("bad template: spec.transformation.request.dynamicMetadata[0]:1:1: namespace.key "
                            "`envoy:lb.user` cannot be a log field")
    error = _error({"request": {"dynamicMetadata": [
        {"namespace": "ns", "key": "k", "value": {"stringValue": "{{ lowr(header(\"a\")) }}"}}]}})
    assert error.startswith("bad template: spec.transformation.request.dynamicMetadata[0].value.stringValue:1:4:")


def test_a_last_good_program_in_an_older_bytecode_format_is_not_served():
    from golden_kgw import TESTDATA

    from kgw_controller.sources.files import parse_files
    from kgw_controller.translate import TranslateOptions, translate

    text = (TESTDATA / "routepolicy-last-good.in.yaml").read_text()
    resources, _ = parse_files({"case.yaml": text})
    old = b"KGWB\x01\x00" + bytes(14)  # a version-1 blob (its magic was KGWB), as an older kgw stored it
    result = translate(resources, TranslateOptions(last_good_programs={"RoutePolicy/default/broken": old}))
    assert "RoutePolicy/default/broken" not in result.programs
    message = json.dumps([s for s in result.statuses if s.get("name") == "broken"])
    assert "targeted routes answer 500 until it compiles" in message
