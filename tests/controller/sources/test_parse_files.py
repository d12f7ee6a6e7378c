"""parse_files / load_directory: exact error messages with file, line, kind/name and field path."""
from __future__ import annotations

import textwrap

from kgw_controller.resources import Resources
from kgw_controller.sources.files import load_directory, parse_files, split_documents

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs:
    - name: a
      port: 80
    - name: b
      port: 70000
"""


def messages(files):
    _, errors = parse_files(files)
    return [str(e) for e in errors]


def test_schema_error_names_file_line_kind_and_field_path():
    assert messages({"routes.yaml": ROUTE}) == [
        "routes.yaml:12:13: HTTPRoute default/web: spec.rules[0].backendRefs[1].port: "
        "Input should be less than or equal to 65535"
    ]


def test_yaml_error_in_one_document_leaves_the_others():
    text = ("apiVersion: v1\nkind: Service\nmetadata: {name: ok}\n---\nkey: [unclosed\n---\n"
            + ROUTE.replace("70000", "81"))
    resources, errors = parse_files({"m.yaml": text})
    assert [str(e) for e in errors] == [
        "m.yaml:6:1: invalid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)"
    ]
    assert ("default", "ok") in resources.services
    assert ("default", "web") in resources.http_routes


def test_wrong_type_enum_and_missing_required_field():
    text = textwrap.dedent("""\
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: edge}
        spec:
          listeners:
          - {name: http, port: "80", protocol: HTTP}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: r}
        spec:
          rules:
          - matches: [{path: {type: Glob, value: /x}}]
        """)
    assert messages({"f.yaml": text}) == [
        "f.yaml:5:3: Gateway edge/gw: spec.gatewayClassName: Field required",
        "f.yaml:6:24: Gateway edge/gw: spec.listeners[0].port: Input should be a valid integer",
        "f.yaml:13:29: HTTPRoute default/r: spec.rules[0].matches[0].path.type: "
        "Input should be 'Exact', 'PathPrefix' or 'RegularExpression'",
    ]


def test_cel_equivalent_rule_is_reported_on_its_object():
    text = ROUTE.replace("  - backendRefs:",
                         "  - matches: [{path: {type: PathPrefix, value: 'no-slash'}}]\n    backendRefs:")
    text = text.replace("70000", "8080")
    assert messages({"r.yaml": text}) == [
        "r.yaml:8:22: HTTPRoute default/web: spec.rules[0].matches[0].path: "
        "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']"
    ]


def test_invalid_object_is_recorded_for_status():
    resources, _ = parse_files({"routes.yaml": ROUTE})
    [inv] = resources.invalid
    assert (inv.kind, inv.namespace, inv.name, inv.file) == ("HTTPRoute", "default", "web", "routes.yaml")
    assert inv.errors[0].field == "spec.rules[0].backendRefs[1].port"
    assert not resources.http_routes


def test_unknown_kinds_and_fields_are_ignored_but_unknown_versions_of_our_kinds_are_not():
    text = textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: s}
        spec: {ports: [{port: 80}], somethingNew: true}
        ---
        apiVersion: gateway.networking.k8s.io/v1alpha9
        kind: HTTPRoute
        metadata: {name: r}
        """)
    resources, errors = parse_files({"x.yaml": text})
    assert list(resources.services) == [("default", "s")]
    assert [str(e) for e in errors] == [
        "x.yaml:10:13: HTTPRoute: apiVersion: "
        "apiVersion gateway.networking.k8s.io/v1alpha9 is not supported for HTTPRoute"
    ]


def test_endpointslice_without_endpoints_and_secret_with_data_are_accepted():
    text = textwrap.dedent("""\
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: e, labels: {kubernetes.io/service-name: s}}
        addressType: IPv4
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: s}
        data: {a: aGk=}
        stringData: {b: plain}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: bad}
        data: {a: "not base64!"}
        """)
    resources, errors = parse_files({"k.yaml": text})
    assert ("default", "e") in resources.endpoint_slices and ("default", "s") in resources.secrets
    assert [str(e) for e in errors] == ["k.yaml:15:7: Secret default/bad: data: data[a]: illegal base64 data"]


def test_duplicate_object_keeps_the_first_file_in_path_order():
    svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: %d}]}\n"
    resources, errors = parse_files({"b.yaml": svc % 2, "a.yaml": svc % 1})
    assert resources.services[("default", "s")].spec.ports[0].port == 1
    assert [str(e) for e in errors] == [
        "b.yaml:3:18: Service default/s: metadata.name: duplicate Service (first defined in a.yaml); ignored"
    ]


def test_non_mapping_document_and_missing_kind():
    assert messages({"l.yaml": "- just\n- a list\n---\napiVersion: v1\nmetadata: {name: x}\n"}) == [
        "l.yaml:1:1: expected a Kubernetes object (a mapping), got list",
        "l.yaml:4:1: kind: Field required",
    ]


def test_v1_list_items_are_expanded():
    text = ("apiVersion: v1\nkind: List\nitems:\n"
            "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: n, labels: {a: b}}\n")
    resources, _ = parse_files({"list.yaml": text})
    assert resources.namespace_labels("n") == {"a": "b", "kubernetes.io/metadata.name": "n"}
    assert resources.namespace_labels("implicit") == {"kubernetes.io/metadata.name": "implicit"}


def test_split_documents_keeps_line_offsets():
    chunks = split_documents("---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n")
    assert chunks == [(1, "a: 1\n"), (5, "b: 2\n")]


def test_load_directory_is_recursive_and_skips_other_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "svc.yml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n")
    (tmp_path / "ns.json").write_text('{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}')
    (tmp_path / "notes.txt").write_text("kind: [broken")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.yaml").write_text("kind: [broken")
    resources, errors = load_directory(tmp_path)
    assert errors == []
    assert list(resources.services) == [("default", "a")] and list(resources.namespaces) == [("", "n")]


def test_from_objects_builds_the_same_snapshot_as_files():
    resources, errors = Resources.from_objects(
        [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "x"}, "spec": {}}],
        origin="k8s")
    assert errors == [] and ("x", "a") in resources.services
    assert resources.origins[("Service", "x", "a")] == "k8s"
