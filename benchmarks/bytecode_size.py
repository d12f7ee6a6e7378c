"""Stripped bytecode per source byte, over three corpora (docs/performance.md, "Bytecode size").

    python benchmarks/bytecode_size.py [--root CHECKOUT] [-v]

- typical: the example programs (examples/rules) and the programs the engine tests run (tests/rules/wasm/
  corpus.py), written as people write rules (comments, indentation);
- vectors: every program of the behaviour vectors (tests/vectors), mostly a few statements each, where the
  fixed cost of a program (magic, header, checksum) weighs most.
Prints the mean, median and total (sum of bytecode / sum of source) ratio of each; the target is a mean
of at most 0.50 for typical programs. `--root` measures another checkout (e.g. a worktree of the commit
before a change) with the same corpora, for before/after numbers from one run.
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parents[1]


def corpora(root: pathlib.Path) -> dict[str, dict[str, str]]:
    typical: dict[str, str] = {}
    for p in sorted((root / "examples" / "rules").glob("*.kgw")):
        typical[str(p.relative_to(root))] = p.read_text()
    namespace: dict[str, object] = {}
    corpus = root / "tests" / "rules" / "wasm" / "corpus.py"
    text = corpus.read_text().replace("from kgw_rules.exchange import Request, Response", "Request = Response = None")
    text = text.replace("pathlib.Path(__file__)", f"pathlib.Path({str(corpus)!r})")
    exec(compile(text, str(corpus), "exec"), namespace)  # noqa: S102 - the repository's own test corpus
    for name, value in namespace.items():
        if name.isupper() and isinstance(value, str) and ("on request" in value or "on response" in value):
            typical[f"corpus.{name}"] = str(value)
    vectors: dict[str, str] = {}
    for f in sorted((root / "tests" / "vectors").glob("*.yaml")):
        for vec in yaml.safe_load(f.read_text()):
            rules = vec["rules"] if isinstance(vec["rules"], list) else [vec["rules"]]
            for i, r in enumerate(rules):
                vectors[f"{f.name}:{vec['name']}:{i}"] = r
    return {"typical": typical, "vectors": vectors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=pathlib.Path, default=HERE)
    parser.add_argument("-v", action="store_true", help="one line per program")
    args = parser.parse_args()
    sys.path.insert(0, str(args.root))
    import kgw_rules

    groups = corpora(HERE)
    print(f"kgw_rules from {pathlib.Path(kgw_rules.__file__).parent}")
    for group, programs in groups.items():
        ratios, source_total, blob_total = [], 0, 0
        for name, source in programs.items():
            try:
                blob = kgw_rules.compile(source, name).to_bytes(strip=True)
            except kgw_rules.CompileError:
                continue  # a vector of a feature this checkout does not have
            size = len(source.encode())
            ratios.append(len(blob) / size)
            source_total += size
            blob_total += len(blob)
            if args.v:
                print(f"  {len(blob) / size:.2f}  {len(blob):5d} / {size:5d}  {name}")
        print(f"{group:<8} {len(ratios):4d} programs  mean {statistics.mean(ratios):.3f}  "
              f"median {statistics.median(ratios):.3f}  total {blob_total / source_total:.3f}")


if __name__ == "__main__":
    main()
