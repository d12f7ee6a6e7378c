"""The round structure the Envoy benchmarks share: every round measures every variant once, in an order
rotated by one each round, so drift in machine load hits all variants alike; results are compared per round
(a variant against the baseline of the same round) and the median over rounds is reported."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
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


def wrk_arguments(ap: argparse.ArgumentParser, rounds: int, quick_rounds: int, quick_help: str) -> None:
    """The options of the wrk benchmarks: rounds, the window per variant, warm-up, the fixed concurrency."""
    ap.add_argument("--quick", action="store_true", help=f"{quick_rounds} rounds ({quick_help})")
    ap.add_argument("--rounds", type=int, default=rounds)
    # many short windows rather than a few long ones: on a shared machine the load changes within seconds,
    # and the per-round ratio only cancels what the baseline and the variant both saw
    ap.add_argument("--duration", type=int, default=2, help="seconds per variant per round")
    ap.add_argument("--warmup", type=int, default=1, help="seconds per variant before the rounds")
    ap.add_argument("--connections", type=int, default=8, help="wrk connections (the fixed concurrency)")
    ap.set_defaults(quick_rounds=quick_rounds)


def wrk_settings(args: argparse.Namespace) -> str:
    if args.quick:
        args.rounds = args.quick_rounds
    return (f"{os.cpu_count()} cores; {args.rounds} rounds x {args.duration:g} s per variant, "
            f"wrk -t1 -c{args.connections}")


def run_reported(what: str, problem: str | None, settings: str, body: Callable[[], list[str]]) -> int:
    """Say why the benchmark cannot run (exit 2, no traceback), or run `body` between two load-average
    lines (the machine's load is part of every result) and print the lines it returns last."""
    if problem:
        print(f"{what} cannot run: {problem}", file=sys.stderr)
        return 2
    print(f"load average before: {os.getloadavg()[0]:.2f}; {settings}", flush=True)
    t0 = time.time()
    lines = body()
    print(f"load average after: {os.getloadavg()[0]:.2f}; wall {time.time() - t0:.0f} s")
    print("\n".join(lines))
    return 0
