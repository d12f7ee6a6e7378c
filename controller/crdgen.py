"""CRDs for kgateway's extension kinds, generated from the pydantic models (`kgw crds`).

The models are the one source of truth: their JSON schema is rewritten into a structural OpenAPI v3
schema (no $ref, no anyOf-with-null, no titles), wrapped in a CustomResourceDefinition with printer
columns, a status subresource, short names and the `kgateway` category. Every object keeps fields the schema
does not know (`x-kubernetes-preserve-unknown-fields`): the API server would otherwise prune them silently,
and kgw reports them instead (a field kgw does not implement makes the object Accepted=False). `crds/` holds
the output and tests/controller/test_crdgen.py proves it is current (regenerate: `kgw crds --out crds`).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from .models import KGATEWAY_KINDS, KGW_GROUP, KubeObject

_PLURALS = {"GatewayParameters": "gatewayparameters", "RoutePolicy": "routepolicies",
            "TrafficPolicy": "trafficpolicies", "HTTPListenerPolicy": "httplistenerpolicies",
            "ListenerPolicy": "listenerpolicies", "BackendConfigPolicy": "backendconfigpolicies",
            "GatewayExtension": "gatewayextensions"}
_SHORT = {"DirectResponse": ["dr"], "Backend": ["be"], "GatewayParameters": ["gwp"], "TrafficPolicy": ["tp"],
          "RoutePolicy": ["rtp"], "BackendConfigPolicy": ["bcp"], "GatewayExtension": ["gwe"]}
_POLICY_COLUMNS = [
    {"name": "Accepted", "type": "string",
     "jsonPath": ".status.ancestors[*].conditions[?(@.type=='Accepted')].status"},
    {"name": "Attached", "type": "string",
     "jsonPath": ".status.ancestors[*].conditions[?(@.type=='Attached')].status"},
]
_AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
_COLUMNS = {
    "Backend": [{"name": "Type", "type": "string", "jsonPath": ".spec.type"},
                {"name": "Accepted", "type": "string", "jsonPath": ".status.conditions[?(@.type=='Accepted')].status"}],
    "DirectResponse": [{"name": "Status", "type": "integer", "jsonPath": ".spec.status"}],
    "GatewayParameters": [],
    "GatewayExtension": [{"name": "Type", "type": "string", "jsonPath": ".spec.type"},
                         {"name": "Accepted", "type": "string",
                          "jsonPath": ".status.conditions[?(@.type=='Accepted')].status"}],
}
_DROP = {"title"}


def plural(kind: str) -> str:
    """The resource name Kubernetes uses for a kind (the English plural of its lower-cased name)."""
    if kind in _PLURALS:
        return _PLURALS[kind]
    lower = kind.lower()
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + "es" if lower.endswith(("s", "x")) else lower + "s"


def _structural(node, defs: dict):
    """JSON schema (pydantic) -> structural OpenAPI v3 schema."""
    if isinstance(node, list):
        return [_structural(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[1]]
        extra = {k: v for k, v in node.items() if k != "$ref"}
        return _structural({**target, **extra}, defs)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if len(options) == 1:
            merged = _structural({**options[0], **rest}, defs)
            if merged.get("default", 0) is None:
                merged.pop("default")
            return merged
        types = {o.get("type") for o in options}
        if types == {"integer", "string"}:
            return {**_structural(rest, defs), "x-kubernetes-int-or-string": True}
        raise ValueError(f"cannot express anyOf {options} structurally")
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key == "$defs":
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "properties":
            out[key] = {name: _structural(v, defs) for name, v in value.items()}
        elif key == "additionalProperties" and value is False:
            continue  # the models refuse unknown fields; the API server must keep them for kgw to see
        elif key == "default":
            if value is not None and not isinstance(value, (dict, list)) or value == []:
                out[key] = value
        else:
            out[key] = _structural(value, defs)
    if "properties" in out:
        out.setdefault("type", "object")
        out["x-kubernetes-preserve-unknown-fields"] = True
    if out.get("x-kubernetes-preserve-unknown-fields") and out.get("additionalProperties") is True:
        del out["additionalProperties"]  # not structural: the preserve flag already says it
    return out


def schema_for(model: type[KubeObject]) -> dict:
    raw = model.model_json_schema(by_alias=True, mode="validation")
    spec = _structural(raw["properties"]["spec"], raw.get("$defs", {}))
    top = {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
            # written by kgw (conditions, or PolicyStatus ancestors); never validated on input
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    }
    if "spec" in raw.get("required", ()):
        top["required"] = ["spec"]
    return top


def crd(model: type[KubeObject]) -> dict:
    kind, name = model.KIND, plural(model.KIND)
    columns = _COLUMNS.get(kind, _POLICY_COLUMNS) + [_AGE]
    names = {"kind": kind, "listKind": kind + "List", "plural": name, "singular": kind.lower(),
             "categories": ["kgateway"]}
    if kind in _SHORT:
        names["shortNames"] = _SHORT[kind]
    labels = {"app": "kgateway", "app.kubernetes.io/name": "kgateway"}
    if kind.endswith("Policy"):
        labels["gateway.networking.k8s.io/policy"] = "Direct"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{name}.{KGW_GROUP}", "labels": labels},
        "spec": {
            "group": KGW_GROUP,
            "names": names,
            "scope": "Namespaced",
            "versions": [{
                "name": model.API_VERSIONS[0].rsplit("/", 1)[1],
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": columns,
                "schema": {"openAPIV3Schema": schema_for(model)},
            }],
        },
    }


def render(model: type[KubeObject]) -> str:
    header = "# Generated by `kgw crds` from controller/models; do not edit.\n"
    return header + yaml.safe_dump(crd(model), sort_keys=False, default_flow_style=False, width=120)


def files() -> dict[str, str]:
    """File name -> CRD YAML, for every kgateway kind."""
    return {f"{KGW_GROUP}_{plural(m.KIND)}.yaml": render(m) for m in KGATEWAY_KINDS}


def register(subparsers) -> None:
    p = subparsers.add_parser("crds", help="print the CRDs of kgateway's extension kinds (gateway.kgateway.dev)",
                              description="Print the CustomResourceDefinitions generated from kgw's models, "
                                          "as one multi-document YAML stream, or write one file per kind.")
    p.add_argument("--out", type=Path, metavar="DIR", help="write <group>_<plural>.yaml files into DIR instead")
    p.set_defaults(func=run)


def run(args) -> int:
    out = files()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, text in out.items():
            (args.out / name).write_text(text)
        return 0
    sys.stdout.write("---\n".join(out[n] for n in sorted(out)))
    return 0
