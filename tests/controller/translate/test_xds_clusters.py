"""Cluster EDS names: a cluster whose settings change asks Envoy's EDS for a new name
(controller/xdsgen/clusters.py)."""
from kgw_controller.ir import ClusterIR, EndpointIR, GatewayIR, SubjectAltNameIR, UpstreamTLSIR
from kgw_controller.xdsgen import CLUSTER, ENDPOINT, to_xds


def _xds(**settings):
    ir = GatewayIR("default", "gw", "127.0.0.1", clusters=[
        ClusterIR("default/web/80", "default", "web", 80, [EndpointIR("10.0.0.1", 8080)], **settings)])
    return to_xds(ir)


def _eds_name(xds) -> str:
    return xds[CLUSTER]["default/web/80"].eds_cluster_config.service_name


def test_default_settings_keep_the_cluster_name():
    assert _eds_name(_xds()) == "default/web/80"


def test_changed_settings_change_the_eds_name_and_its_assignment_follows():
    tls = UpstreamTLSIR("abc.example.com", ca_secret="backend-ca:default/p",
                        subject_alt_names=[SubjectAltNameIR("DNS", "abc.example.com")])
    names = {_eds_name(_xds()), _eds_name(_xds(http2=True)), _eds_name(_xds(upstream_tls=tls)),
             _eds_name(_xds(http2=True, upstream_tls=tls))}
    assert len(names) == 4 and all(n.startswith("default/web/80") for n in names)
    xds = _xds(http2=True)
    (name, cla), = xds[ENDPOINT].items()
    assert name == cla.cluster_name == _eds_name(xds) and cla.endpoints[0].lb_endpoints
    assert _eds_name(_xds(http2=True)) == _eds_name(xds)  # stable: the same settings, the same name
