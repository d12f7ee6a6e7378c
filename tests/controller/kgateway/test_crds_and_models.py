"""CRDs are generated from the models and committed current; both kgateway spellings are accepted."""
import pathlib

import pytest
import yaml

from kgw_controller import cli, crdgen
from kgw_controller.resources import Resources

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_committed_crds_are_current():
    # regenerate with `kgw crds --out crds`
    files = crdgen.files()
    assert set(files) == {p.name for p in (ROOT / "crds").glob("gateway.kgateway.dev_*.yaml")}
    for name, text in files.items():
        assert (ROOT / "crds" / name).read_text() == text, f"{name} is stale: run `kgw crds --out crds`"


def test_crds_are_structural_with_status_and_columns():
    for text in crdgen.files().values():
        crd = yaml.safe_load(text)
        version = crd["spec"]["versions"][0]
        assert version["subresources"] == {"status": {}}
        assert crd["spec"]["names"]["categories"] == ["kgateway"]
        assert any(c["name"] == "Age" for c in version["additionalPrinterColumns"])
        assert "$ref" not in text and "anyOf" not in text and "title:" not in text


def test_kgw_crds_prints_every_crd(capsys):
    assert cli.main(["crds"]) == 0
    docs = [d for d in yaml.safe_load_all(capsys.readouterr().out) if d]
    assert sorted(d["spec"]["names"]["kind"] for d in docs) == sorted(
        ["Backend", "DirectResponse", "GatewayParameters", "HTTPListenerPolicy", "ListenerPolicy", "RoutePolicy",
         "TrafficPolicy", "BackendConfigPolicy", "GatewayExtension"])


def _one(obj):
    res, errors = Resources.from_objects([obj])
    return res, [str(e) for e in errors]


@pytest.mark.parametrize("spelling", [{"type": "aws", "auth": {"type": "secret", "secret": {"name": "s"}}},
                                      {"type": "AWS", "auth": {"type": "Secret", "secretRef": {"name": "s"}}}])
def test_backend_accepts_beta1_and_v2_spellings(spelling):
    aws = {"accountId": "123456789012", "lambda": {"functionName": "f"}, "auth": spelling["auth"]}
    res, errors = _one({"apiVersion": "gateway.kgateway.dev/v1alpha1", "kind": "Backend", "metadata": {"name": "b"},
                        "spec": {"type": spelling["type"], "aws": aws}})
    assert errors == []
    spec = res.backends[("default", "b")].spec
    assert spec.type == "AWS" and spec.aws.auth.secret_ref.name == "s"


def test_route_policy_target_ref_forms():
    base = {"apiVersion": "gateway.kgateway.dev/v1alpha1", "kind": "RoutePolicy", "metadata": {"name": "p"}}
    ref = {"kind": "HTTPRoute", "name": "r"}
    res, errors = _one({**base, "spec": {"targetRef": ref}})
    assert errors == [] and res.route_policies[("default", "p")].spec.targets[0].name == "r"
    _, errors = _one({**base, "spec": {"targetRef": ref, "targetRefs": [ref]}})
    assert any("not both" in e for e in errors)
    _, errors = _one({**base, "spec": {}})
    assert any("targetRefs must name" in e for e in errors)
    _, errors = _one({**base, "spec": {"targetRef": ref, "transformation": {"rules": "on request {}", "request": {}}}})
    assert any("cannot be combined" in e for e in errors)


def test_what_the_models_accept_the_crds_accept():
    """The cluster reads objects the API server stored, so a spelling the models accept but the generated CRD
    refuses (kgateway beta1's `auth.secret`, found by the parity suite) would work only under `kgw up`."""
    import jsonschema

    schemas = {}
    for text in crdgen.files().values():
        crd = yaml.safe_load(text)
        schemas[crd["spec"]["names"]["kind"]] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    from kgw_manifests import INJA_POLICY, kinds_yaml  # the e2e manifests, beta1 spellings among them

    sources = {p.name: p.read_text() for p in [*ROOT.glob("examples/kgateway/*.yaml"),
                                               *ROOT.glob("tests/controller/*/testdata/*.in.yaml")]}
    sources["kgw_manifests"] = kinds_yaml(1, 2, "/tmp/log") + "---\n" + INJA_POLICY
    checked = 0
    for name, text in sources.items():
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue  # a syntax-error golden
        for doc in docs:
            if not isinstance(doc, dict) or doc.get("kind") not in schemas:
                continue
            res, errors = Resources.from_objects([doc])
            if errors or res.invalid:
                continue  # the models refuse it too (error goldens)
            problems = list(jsonschema.Draft7Validator(schemas[doc["kind"]]).iter_errors(doc))
            assert not problems, f"{name}: {doc['kind']} {doc['metadata']['name']}: {problems[0].message}"
            checked += 1
    assert checked > 30
