"""File source, pure half: text of manifest files -> (Resources, errors). The watcher lives elsewhere.

Each YAML document is parsed on its own (the text is split at `---` lines first), so a syntax error in
one document never hides the others in the same file. Schema errors carry the file, line, kind/name
and the field path, e.g. `routes.yaml:12:15: HTTPRoute default/web: spec.rules[0].backendRefs[1].port:
Input should be less than or equal to 65535`.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from ..resources import Resources, ResourcesBuilder, SourceError

SUFFIXES = (".yaml", ".yml", ".json")
_DOC_START = re.compile(r"^---(?:[ \t].*)?$")
_DOC_END = re.compile(r"^\.\.\.[ \t]*$")


def split_documents(text: str) -> list[tuple[int, str]]:
    """Split a multi-document YAML stream into (first line index, text) chunks at column-0 `---` markers."""
    chunks: list[tuple[int, str]] = []
    start, current = 0, []
    for i, line in enumerate(text.splitlines(keepends=True)):
        bare = line.rstrip("\r\n")
        if _DOC_START.match(bare) or _DOC_END.match(bare):
            chunks.append((start, "".join(current)))
            # `--- {a: 1}` keeps content after the marker on the same line: blank the marker out.
            current = [" " * 3 + line[3:]] if _DOC_START.match(bare) and bare[3:].strip() else []
            start = i if current else i + 1
            continue
        current.append(line)
    chunks.append((start, "".join(current)))
    return [(s, c) for s, c in chunks if c.strip() and not all(_is_comment(x) for x in c.splitlines())]


def _is_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _node_lookup(node: yaml.Node | None, offset: int):
    """Return loc -> (line, col) for the deepest YAML node along a pydantic error location."""

    def lookup(loc: tuple) -> tuple[int, int] | None:
        current = node
        for part in loc:
            nxt = None
            if isinstance(current, yaml.MappingNode) and isinstance(part, str):
                for key, value in current.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == part:
                        nxt = value
                        break
            elif isinstance(current, yaml.SequenceNode) and isinstance(part, int) and part < len(current.value):
                nxt = current.value[part]
            if nxt is None:
                break  # a missing field: point at its parent
            current = nxt
        if current is None:
            return None
        mark = current.start_mark
        return mark.line + 1 + offset, mark.column + 1

    return lookup


def parse_files(files: Mapping[str, str]) -> tuple[Resources, list[SourceError]]:
    """Parse path -> text; files are read in sorted path order so duplicates resolve deterministically."""
    builder = ResourcesBuilder()
    errors: list[SourceError] = []
    for path in sorted(files):
        for doc_index, (offset, chunk) in enumerate(split_documents(files[path])):
            try:
                node = yaml.compose(chunk, Loader=yaml.SafeLoader)
                data = yaml.SafeLoader(chunk).construct_document(node) if node is not None else None
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
                problem = getattr(exc, "problem", None) or str(exc)
                context = getattr(exc, "context", None)
                message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
                errors.append(SourceError(
                    file=path, message=message, doc_index=doc_index,
                    line=mark.line + 1 + offset if mark else None, column=mark.column + 1 if mark else None,
                ))
                continue
            errors.extend(builder.add(data, file=path, doc_index=doc_index, lines=_node_lookup(node, offset)))
    return builder.build(), errors


def collect_files(root: str | os.PathLike[str]) -> dict[str, str]:
    """Every *.yaml/*.yml/*.json under root (recursive, hidden entries skipped) -> text, keyed by path."""
    root = Path(root)
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or path.suffix not in SUFFIXES or not path.is_file():
            continue
        out[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    return out


def load_directory(path: str | os.PathLike[str]) -> tuple[Resources, list[SourceError]]:
    """The directory is the desired state: everything in it, nothing else."""
    return parse_files(collect_files(path))
