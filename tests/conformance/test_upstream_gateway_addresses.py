"""Upstream v1.6.1 `GatewayStaticAddresses`, `GatewayOptionalAddressValue`, `GatewayInfrastructure` and
`GatewayHTTPListenerIsolation`: requested addresses (an unsupported type, an address kgw cannot use, one it
can; no value at all), the infrastructure labels and annotations on the objects made for a Gateway's proxy,
and four listeners on one port each seeing only its own routes."""
import conf_upstream_addresses as m
import pytest
from conf_assert import HTTPROUTE, assert_conditions, assert_latest, exact_listeners
from conf_infra import INFRA
from conf_upstream import UPSTREAM_ADDRESSES

from tests.support.kubehelp import kind_of

pytestmark = pytest.mark.e2e
NAME = "gateway-static-addresses"


def status(gw, name=NAME):
    out = gw.status_of("Gateway", INFRA, name)
    assert_latest(out, gw.generation_of("Gateway", INFRA, name), name)  # GatewayMustHaveLatestConditions
    return out


def test_GatewayStaticAddresses(gw):
    with gw.applied("address-holder.yaml", m.ADDRESS_HOLDER), gw.applied(f"{NAME}.yaml", m.STATIC_ADDRESSES[0]):
        assert_conditions(status(gw)["conditions"], [("Accepted", "False", "UnsupportedAddress")], "invalid type")
        gw.apply(f"{NAME}.yaml", m.STATIC_ADDRESSES[1])  # the invalid address removed
        now = status(gw)
        assert_conditions(now["conditions"], [("Accepted", "True", "Accepted"),
                                              ("Programmed", "False", "AddressNotUsable")], "unusable address")
        assert m.UNUSABLE not in [a["value"] for a in now.get("addresses", [])]
        # the Gateway holding that address:port keeps it
        assert gw.request("x", "/", port=8080, address=m.UNUSABLE).status == 404
        assert gw.status_of("Gateway", INFRA, "address-holder")["listeners"][0]["attachedRoutes"] == 0
        gw.apply(f"{NAME}.yaml", m.STATIC_ADDRESSES[2])  # the unusable address removed
        now = status(gw)
        assert_conditions(now["conditions"], [("Accepted", "True", "Accepted"), ("Programmed", "True", "Programmed")],
                          "usable address")
        exact_listeners(now, [("http", HTTPROUTE, [("Accepted", "True", None), ("ResolvedRefs", "True", None)], 0)],
                        NAME)
        assert now["addresses"] == [{"type": "IPAddress", "value": m.USABLE}]
        assert gw.request("x", "/", port=8080, address=m.USABLE).status == 404  # bound: no route, so 404


def test_GatewayOptionalAddressValue(gw):
    name = "gateway-without-address-value"
    with gw.applied(f"{name}.yaml", m.OPTIONAL_ADDRESS_VALUE):
        now = status(gw, name)
        assert_conditions(now["conditions"], [("Accepted", "True", None), ("Programmed", "True", None)], name)
        (address,) = now["addresses"]  # WaitForGatewayAddress: an address was assigned
        assert address["type"] == "IPAddress" and address["value"]
        assert gw.request("x", "/", port=8080, address="127.0.0.1").status == 404  # and it is bound


def test_GatewayInfrastructure(gw):
    if gw.mode.name != "cluster":
        pytest.skip("kgw up makes no Kubernetes objects for a proxy (it runs Envoy itself): cluster mode only")
    name = "gateway-with-infrastructure-metadata"
    with gw.applied(f"{name}.yaml", m.INFRASTRUCTURE):
        assert_conditions(status(gw, name)["conditions"], [("Accepted", "True", None)], name)
        selector = f"gateway.networking.k8s.io/gateway-name={name}"
        found = 0
        for api_version, kind in (("v1", "ServiceAccount"), ("v1", "Service"), ("apps/v1", "Deployment")):
            k = kind_of({"apiVersion": api_version, "kind": kind})
            for obj in gw.mode.api.get(k.path(INFRA), labelSelector=selector).get("items", []):
                found += 1
                meta = obj["metadata"]
                assert meta["labels"].get("key2") == "value2", (kind, meta["labels"])
                assert meta.get("annotations", {}).get("key1") == "value1", (kind, meta.get("annotations"))
                if kind == "Deployment":  # and so on its pods
                    template = obj["spec"]["template"]["metadata"]
                    assert template["labels"]["key2"] == "value2" and template["annotations"]["key1"] == "value1"
        assert found == 3


@pytest.mark.parametrize("name", ["http-listener-isolation", "http-listener-isolation-with-hostname-intersection"])
def test_GatewayHTTPListenerIsolation(gw, name):
    """A request goes to the most specific listener for its Host and sees only that listener's routes."""
    hosts = {"empty-hostname": "bar.com", "wildcard-example-com": "bar.example.com",
             "wildcard-foo-example-com": "bar.foo.example.com", "abc-foo-example-com": "abc.foo.example.com"}
    with gw.applied("gateway-http-listener-isolation.yaml", m.HTTP_LISTENER_ISOLATION):
        for listener, _ in m.ISOLATION_LISTENERS:
            suffix = "" if name == "http-listener-isolation" else "-with-hostname-intersection"
            route = gw.status_of("HTTPRoute", INFRA, f"attaches-to-{listener}{suffix}")["parents"]
            assert_conditions(route[0]["conditions"], [("Accepted", "True", "Accepted"),
                                                       ("ResolvedRefs", "True", None)], listener)
        for owner, host in hosts.items():
            for listener, _ in m.ISOLATION_LISTENERS:
                resp = gw.request(host, f"/{listener}", address=UPSTREAM_ADDRESSES[name])
                if listener == owner:
                    assert resp.status == 200 and resp.echoed()["service"] == "infra-backend-v1", (host, listener)
                else:
                    assert resp.status == 404, (host, listener, resp.status)
