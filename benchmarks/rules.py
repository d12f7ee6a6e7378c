"""Rules SDK numbers for docs/performance.md: compile time, bytecode size, reference-VM time per request.

    python benchmarks/rules.py [--rounds 15]

Medians of several rounds, measured in one run; compare against the targets printed beside them.
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import kgw_rules  # noqa: E402
from benchmarks.rules_sources import statements_source  # noqa: E402
from kgw_rules.exchange import Request, Response  # noqa: E402
from kgw_rules.vm import run_exchange  # noqa: E402

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples" / "rules"


def median_seconds(fn, rounds: int) -> float:
    fn()  # warm caches (grammar, regexes) as a long-running controller would have them
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    source = statements_source(1000)
    t = median_seconds(lambda: kgw_rules.compile(source), max(3, args.rounds // 3))
    print(f"compile 1,000 statements ({len(source.splitlines())} lines): {t * 1000:.0f} ms  (target < 150 ms)")

    print("bytecode size, stripped, against source (target <= 0.50):")
    for path in sorted(EXAMPLES.glob("*.kgw")):
        text = path.read_bytes()
        blob = kgw_rules.compile(text.decode(), path.name).to_bytes(strip=True)
        print(f"  {path.name:<16} source {len(text):5d} B  bytecode {len(blob):5d} B  "
              f"ratio {len(blob) / len(text):.2f}")

    program = kgw_rules.Program.from_bytes(kgw_rules.compile((EXAMPLES / "api.kgw").read_text()).to_bytes(strip=True))
    request = Request(url=b"/v1/users?id=3&debug=1", headers=[(b"authorization", b"Bearer t"),
                                                               (b"x-user-id", b" Alice "), (b"cookie", b"a=1")])
    response = Response(200, [(b"server", b"envoy")])
    n = 200
    t = median_seconds(lambda: [run_exchange([program], request, response) for _ in range(n)], args.rounds)
    print(f"reference VM, spec program, request + response: {t / n * 1e6:.0f} us per exchange")


if __name__ == "__main__":
    main()
