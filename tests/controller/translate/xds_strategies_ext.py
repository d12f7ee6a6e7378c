"""Hypothesis strategies for what xds_strategies.world adds beyond routes: ListenerSets attached to its Gateways
(allowed or not, clashing with the Gateway's listeners or not), BackendTLSPolicies on its Services (CA
ConfigMaps or Secrets present or not, SANs, the system bundle, conflicts), and Gateway `spec.tls` (client
certificate validation per port, the insecure fallback, a backend client certificate)."""
from __future__ import annotations

from hypothesis import strategies as st

GW_API = "gateway.networking.k8s.io/v1"
NS = "default"
LISTENER_SET_NAMES = ["ls1", "ls2"]
CA_REFS = [{"group": "", "kind": "ConfigMap", "name": "ca"}, {"group": "", "kind": "Secret", "name": "ca-secret"},
           {"group": "", "kind": "ConfigMap", "name": "not-pem"}, {"group": "", "kind": "ConfigMap", "name": "missing"},
           {"group": "", "kind": "Service", "name": "web"}]


def ca_objects(pem: str) -> list[dict]:
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ca", "namespace": NS}, "data": {"ca.crt": pem}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "not-pem", "namespace": NS},
         "data": {"ca.crt": "not a certificate"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ca-secret", "namespace": NS},
         "stringData": {"ca.crt": pem}},
    ]


def allowed_listeners():
    return st.sampled_from([None, "All", "Same", "None"]).map(
        lambda v: None if v is None else {"namespaces": {"from": v}})


@st.composite
def gateway_tls(draw) -> dict | None:
    out: dict = {}
    if draw(st.booleans()):
        def validation():
            refs = st.lists(st.sampled_from(CA_REFS), min_size=1, max_size=2, unique_by=lambda r: r["name"])
            mode = st.sampled_from(["AllowValidOnly", "AllowInsecureFallback"])
            return st.fixed_dictionaries({"caCertificateRefs": refs}, optional={"mode": mode})
        per_port = draw(st.lists(st.builds(lambda p, v: {"port": p, "tls": {"validation": v}},
                                           st.sampled_from([443, 8080]), validation()),
                                 max_size=2, unique_by=lambda p: p["port"]))
        out["frontend"] = {"default": {"validation": draw(validation())}, **({"perPort": per_port} if per_port else {})}
    if draw(st.booleans()):
        out["backend"] = {"clientCertificateRef": {"name": draw(st.sampled_from(["cert-a", "cert-missing"]))}}
    return out or None


@st.composite
def listener_set(draw, name: str, gateways: list[str], listener) -> dict:
    names = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True))
    return {"apiVersion": GW_API, "kind": "ListenerSet", "metadata": {"name": name, "namespace": NS},
            "spec": {"parentRef": {"name": draw(st.sampled_from(gateways))},
                     "listeners": [draw(listener(n)) for n in names]}}


def listener_set_ref(names: list[str]):
    return st.builds(lambda n, s: {"group": "gateway.networking.k8s.io", "kind": "ListenerSet", "name": n,
                                   **({"sectionName": s} if s else {})},
                     st.sampled_from(names), st.sampled_from([None, "a", "b"]))


@st.composite
def backend_tls_policy(draw, name: str, services: dict[str, list[int]]) -> dict:
    svc = draw(st.sampled_from(sorted(services)))
    target = {"group": "", "kind": "Service", "name": svc}
    if draw(st.booleans()):
        target["sectionName"] = f"p{draw(st.sampled_from(services[svc]))}"
    validation: dict = {"hostname": draw(st.sampled_from(["abc.example.com", "web.default.svc"]))}
    if draw(st.integers(0, 4)) == 0:
        validation["wellKnownCACertificates"] = "System"
    else:
        validation["caCertificateRefs"] = draw(st.lists(st.sampled_from(CA_REFS), min_size=1, max_size=2,
                                                        unique_by=lambda r: r["name"]))
    sans = draw(st.lists(st.sampled_from([{"type": "Hostname", "hostname": "abc.example.com"},
                                          {"type": "Hostname", "hostname": "*.example.com"},
                                          {"type": "URI", "uri": "spiffe://abc.example.com/id"}]),
                         max_size=2, unique_by=str))
    if sans:
        validation["subjectAltNames"] = sans
    return {"apiVersion": GW_API, "kind": "BackendTLSPolicy", "metadata": {"name": name, "namespace": NS},
            "spec": {"targetRefs": [target], "validation": validation}}
