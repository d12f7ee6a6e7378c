"""The Grafana dashboard in the chart: every expression parses and covers what the issue asks for (proxy
traffic, rule errors per policy, xDS push-to-ACK and reconcile latency); the checker that the e2e test runs
against real scrapes (tests/controller/e2e/test_observability_e2e.py) finds a wrong name and a wrong label."""
from __future__ import annotations

from tests.support.dashboard import Scrape, analyse, dashboard_queries

CONTROLLER = """\
# HELP kgw_xds_ack_seconds Time from sending an xDS response to its ACK
# TYPE kgw_xds_ack_seconds histogram
kgw_xds_ack_seconds_bucket{gateway="default/gw",le="0.1",type="RDS"} 1.0
# TYPE kgw_xds_nacks_total counter
"""
ENVOY = """\
# TYPE kgw_rules_programs_run counter
kgw_rules_programs_run{policy_kind="TrafficPolicy",policy="default/who",route="default/web/0"} 2
"""


def test_every_expression_parses_and_the_required_views_are_there():
    queries = dashboard_queries()
    assert len(queries) >= 10
    metrics = set().union(*(analyse(expr).metrics for _, expr in queries))
    assert {"kgw_rules_programs_run", "kgw_rules_runtime_errors", "kgw_rules_skipped_writes",
            "kgw_xds_ack_seconds_bucket", "kgw_translation_seconds_bucket", "envoy_http_downstream_rq_total"} <= metrics
    per_policy = [analyse(e) for _, e in queries if "kgw_rules_runtime_errors" in e]
    assert per_policy and all({"policy_kind", "policy"} <= q.grouping for q in per_policy)


def test_the_checker_finds_unknown_metrics_and_labels():
    scrape = Scrape.of(CONTROLLER, ENVOY)
    assert scrape.problems(("ok", "sum by (policy, route) (rate(kgw_rules_programs_run[$__rate_interval]))")) == []
    assert scrape.problems(("ok", "sum by (gateway) (rate(kgw_xds_nacks_total[5m]))")) == []  # declared, no samples
    assert scrape.problems(("p", "rate(kgw_rules_program_run[5m])")) == [
        "p: kgw_rules_program_run is not exposed by the controller or the proxy"]
    assert scrape.problems(("p", "sum by (polcy) (rate(kgw_rules_programs_run[5m]))")) == [
        "p: no metric of `sum by (polcy) (rate(kgw_rules_programs_run[5m]))` has the label polcy"]
    hq = "histogram_quantile(0.99, sum by (le, type) (rate(kgw_xds_ack_seconds_bucket[$__rate_interval])))"
    assert analyse(hq).metrics == {"kgw_xds_ack_seconds_bucket"} and scrape.problems(("ok", hq)) == []
