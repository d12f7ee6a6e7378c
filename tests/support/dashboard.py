"""The Grafana dashboard's PromQL, parsed (promql-parser), checked against real scrapes: every metric it
selects must be exposed, and every label it groups by must be on that metric's samples (or be one of the
target labels Prometheus adds). A selector by a `__name__` regex (the rule counters: one query for the wasm
and the native data plane, whose names differ by Envoy's prefix) must match some exposed name."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import promql_parser
from prometheus_client.parser import text_string_to_metric_families

from tests.support.kubehelp import REPO

DASHBOARD = REPO / "charts" / "kgw" / "dashboards" / "kgw.json"
# what Prometheus' Kubernetes discovery (PodMonitor, ServiceMonitor, annotations) adds to every series
TARGET_LABELS = {"namespace", "pod", "container", "job", "instance", "service", "endpoint"}
# Grafana's variables, as it substitutes them before sending the query
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}
_TYPE = re.compile(r"# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)")
_SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="')
_SUFFIXES = {"counter": ("",), "histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count"),
             "gauge": ("",), "untyped": ("",), "info": ("_info",), "stateset": ("",), "gaugehistogram": ("_bucket",)}


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, expression) of every target of every panel."""
    doc = json.loads(DASHBOARD.read_text())
    panels = [p for top in doc["panels"] for p in [top, *top.get("panels", [])]]
    return [(p["title"], t["expr"]) for p in panels for t in p.get("targets", ())]


@dataclass
class Query:
    metrics: set[str] = field(default_factory=set)
    name_patterns: set[str] = field(default_factory=set)  # {__name__=~"..."} selectors
    grouping: set[str] = field(default_factory=set)  # labels of `by (...)` clauses


def analyse(expr: str) -> Query:
    for var, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(var, value)
    out = Query()
    stack = [promql_parser.parse(expr)]
    while stack:
        node = stack.pop()
        kind = type(node).__name__
        if kind == "VectorSelector":
            if node.name:
                out.metrics.add(node.name)
            out.name_patterns.update(m.value for m in node.matchers.matchers
                                     if m.name == "__name__" and str(m.op) == "MatchOp.Re")
        elif kind == "MatrixSelector":
            stack.append(node.vector_selector)
        elif kind == "AggregateExpr":
            if node.modifier is not None and str(node.modifier).startswith("by"):
                out.grouping.update(node.modifier.labels)
            stack.append(node.expr)
            if node.param is not None:
                stack.append(node.param)
        elif kind == "Call":
            stack.extend(node.args)
        elif kind == "BinaryExpr":
            stack.extend([node.lhs, node.rhs])
        elif kind in ("ParenExpr", "UnaryExpr", "SubqueryExpr"):
            stack.append(node.expr)
    return out


def selects(q: Query, name: str) -> bool:
    """Whether the query reads the metric `name`, by its name or by a `__name__` regex."""
    return name in q.metrics or any(re.fullmatch(p, name) for p in q.name_patterns)


@dataclass
class Scrape:
    """Sample names and the labels seen on each, over several Prometheus text scrapes."""

    labels: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, *texts: str) -> Scrape:
        """Names as Prometheus ingests them from the text format: as written (a client library's parser
        would add `_total` to every counter sample, which Prometheus does not)."""
        out = cls()
        for text in texts:
            text_string_to_metric_families(text)  # well-formed, or this raises
            for line in text.splitlines():
                declared = _TYPE.match(line)
                if declared:  # a family with no samples yet (a labelled counter before its first event)
                    for suffix in _SUFFIXES.get(declared.group(2), ("",)):
                        out.labels.setdefault(declared.group(1) + suffix, set())
                sample = _SAMPLE.match(line)
                if sample:
                    out.labels.setdefault(sample.group(1), set()).update(_LABEL.findall(sample.group(2) or ""))
        return out

    def problems(self, query: tuple[str, str]) -> list[str]:
        title, expr = query
        q = analyse(expr)
        out = [f"{title}: {name} is not exposed by the controller or the proxy" for name in sorted(q.metrics)
               if name not in self.labels]
        selected = set(q.metrics)
        for pattern in sorted(q.name_patterns):  # Prometheus anchors the regex at both ends
            matched = {n for n in self.labels if re.fullmatch(pattern, n)}
            if not matched:
                out.append(f"{title}: no metric matching {pattern} is exposed by the controller or the proxy")
            selected |= matched
        seen = set().union(*(self.labels.get(n, set()) for n in selected)) | TARGET_LABELS
        if selected and all(self.labels.get(n) for n in selected):  # once samples show which labels there are
            out += [f"{title}: no metric of `{expr}` has the label {label}" for label in sorted(q.grouping - seen)]
        return out
