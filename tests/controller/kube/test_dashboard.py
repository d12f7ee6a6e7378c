"""The Grafana dashboard in the chart: every expression parses and covers what the issue asks for (proxy
traffic, rule errors per policy, xDS push-to-ACK and reconcile latency); the checker that the e2e test runs
against real scrapes (tests/controller/e2e/test_observability_e2e.py) finds a wrong name and a wrong label."""
from __future__ import annotations

from tests.support.dashboard import Scrape, analyse, dashboard_queries, selects

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
ENVOY_NATIVE = """\
# TYPE envoy_dynamicmodulescustom_kgw_rules_runtime_errors counter
envoy_dynamicmodulescustom_kgw_rules_runtime_errors{policy_kind="TrafficPolicy",policy="default/who",route="r"} 0
"""
RULE_COUNTERS = ["kgw_rules_programs_run", "kgw_rules_runtime_errors", "kgw_rules_skipped_writes",
                 "kgw_rules_local_responses", "kgw_verifier_refusals"]


def test_every_expression_parses_and_the_required_views_are_there():
    queries = [analyse(expr) for _, expr in dashboard_queries()]
    assert len(queries) >= 10
    for name in ["kgw_xds_ack_seconds_bucket", "kgw_translation_seconds_bucket", "envoy_http_downstream_rq_total",
                 *RULE_COUNTERS, *("envoy_dynamicmodulescustom_" + n for n in RULE_COUNTERS)]:
        assert any(selects(q, name) for q in queries), name  # rule counters: either data plane's name
    per_policy = [q for q in queries if selects(q, "kgw_rules_runtime_errors")]
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


def test_the_checker_matches_name_regexes_against_what_is_scraped():
    either = '{__name__=~"(envoy_dynamicmodulescustom_)?kgw_rules_runtime_errors"}'
    native = Scrape.of(CONTROLLER, ENVOY_NATIVE)
    assert native.problems(("ok", f"sum by (policy) (rate({either}[5m]))")) == []
    assert native.problems(("p", f"sum by (pol) (rate({either}[5m]))")) == [
        f"p: no metric of `sum by (pol) (rate({either}[5m]))` has the label pol"]
    # the wasm scrape has no runtime-errors counter at all: nothing matches
    assert Scrape.of(CONTROLLER, ENVOY).problems(("p", f"rate({either}[5m])")) == [
        "p: no metric matching (envoy_dynamicmodulescustom_)?kgw_rules_runtime_errors is exposed by the "
        "controller or the proxy"]
    # anchored as Prometheus does: a prefix of a name does not match
    assert native.problems(("p", 'rate({__name__=~"kgw_rules_runtime"}[5m])')) != []
