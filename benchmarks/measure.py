"""The round structure the Envoy benchmarks share: every round measures every variant once, in an order
rotated by one each round, so drift in machine load hits all variants alike; results are compared per round
(a variant against the baseline of the same round) and the median over rounds is reported."""
from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence


def interleaved_rounds(variants: Sequence[str], rounds: int, measure: Callable[[str], dict],
                       after_round: Callable[[int, dict[str, list[dict]]], None] | None = None
                       ) -> dict[str, list[dict]]:
    """variant -> its `rounds` measurements (`measure(variant)`), in round order; `after_round(r, results)`
    is called once a round is complete (e.g. to print progress)."""
    results: dict[str, list[dict]] = {v: [] for v in variants}
    for r in range(rounds):
        shift = r % len(variants)
        for v in [*variants[shift:], *variants[:shift]]:
            results[v].append(measure(v))
        if after_round:
            after_round(r, results)
    return results


def per_round_ratios(results: dict[str, list[dict]], variant: str, baseline: str, key: str) -> list[float]:
    """`key` of `variant` over `key` of `baseline`, one ratio per round."""
    return [v[key] / b[key] for v, b in zip(results[variant], results[baseline], strict=True)]


def median_ratio(results: dict[str, list[dict]], variant: str, baseline: str, key: str) -> float:
    return statistics.median(per_round_ratios(results, variant, baseline, key))
