"""File source, pure half: text of manifest files -> (Resources, errors). The watcher lives elsewhere.

Each YAML document is parsed on its own (the text is split at `---` lines first), so a syntax error in
one document never hides the others in the same file. Schema errors carry the file, line, kind/name
and the field path, e.g. `routes.yaml:12:15: HTTPRoute default/web: spec.rules[0].backendRefs[1].port:
Input should be less than or equal to 65535`.

Every document's result depends only on its path, position and text, so `FileCache` keeps results per
document and a reload re-validates only what changed. Documents are decoded with libyaml when PyYAML has
it; the one known difference from the pure loader is that libyaml (like kubectl's go-yaml) accepts `?`
inside plain scalars in flow collections, e.g. `{path: /a?b=1}`.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from ..resources import Resources, ResourcesBuilder, SourceError, Validated, validate_object

SUFFIXES = (".yaml", ".yml", ".json")
_DOC_START = re.compile(r"^---(?:[ \t].*)?$")
_DOC_END = re.compile(r"^\.\.\.[ \t]*$")


def split_documents(text: str) -> list[tuple[int, str]]:
    """Split a multi-document YAML stream into (first line index, text) chunks at column-0 `---` markers."""
    chunks: list[tuple[int, str]] = []
    start = 0
    current: list[str] = []
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


# libyaml (C) composes documents about 8x faster than PyYAML's pure-Python loader; fall back to the
# latter where PyYAML was built without libyaml. Error *messages* always come from the pure loader (see
# _yaml_error), because libyaml words them differently and users and tests read them.
FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _lazy_lookup(chunk: str, offset: int):
    """loc -> (line, col), composing the node tree only when the first error asks for a position: valid
    documents (nearly all of them) never pay for it."""
    tree: list = []

    def lookup(loc: tuple) -> tuple[int, int] | None:
        if not tree:
            tree.append(_node_lookup(yaml.compose(chunk, Loader=FastLoader), offset))
        return tree[0](loc)

    return lookup


def _yaml_error(path: str, chunk: str, offset: int, doc_index: int, exc: yaml.YAMLError) -> SourceError:
    # Re-parse with the pure loader for its wording and marks (the loaders disagree on both). Errors are rare,
    # so the slow parse costs nothing in practice; if the pure loader accepts the text, libyaml's error stands.
    try:
        yaml.compose(chunk, Loader=yaml.SafeLoader)
    except yaml.YAMLError as pure:
        exc = pure
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return SourceError(file=path, message=message, doc_index=doc_index,
                       line=mark.line + 1 + offset if mark else None, column=mark.column + 1 if mark else None)


# Everything a document's result depends on besides its file's path: its index in the file (errors carry
# it), its first line (errors carry line numbers) and its text.
DocKey = tuple[int, int, str]
ParsedFile = dict[DocKey, tuple[Validated, ...]]  # in document order


def parse_document(path: str, doc_index: int, offset: int, chunk: str) -> tuple[Validated, ...]:
    try:
        data = yaml.load(chunk, Loader=FastLoader)
    except yaml.YAMLError as exc:
        return (Validated((_yaml_error(path, chunk, offset, doc_index, exc),)),)
    return tuple(validate_object(data, file=path, doc_index=doc_index, lines=_lazy_lookup(chunk, offset)))


def parse_file(path: str, text: str, known: ParsedFile | None = None) -> ParsedFile:
    """One file's documents, each decoded and validated on its own. Documents found unchanged in `known`
    (this path's previous result) are reused: editing one route in a file of 100 re-validates one."""
    known = known or {}
    out: ParsedFile = {}
    for doc_index, (offset, chunk) in enumerate(split_documents(text)):
        key = (doc_index, offset, chunk)
        out[key] = known[key] if key in known else parse_document(path, doc_index, offset, chunk)
    return out


class FileCache:
    """parse_files with memory: a document whose file, position and text are unchanged since the last call
    is neither decoded nor validated again (pydantic models are frozen, so sharing them between snapshots is
    safe). Only the cheap, order-dependent part (duplicates, building the snapshot) runs over every file."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[str, ParsedFile]] = {}
        self.parsed = 0  # documents decoded+validated by the last call (tests and logs read it)

    def parse(self, files: Mapping[str, str]) -> tuple[Resources, list[SourceError]]:
        builder = ResourcesBuilder()
        errors: list[SourceError] = []
        kept: dict[str, tuple[str, ParsedFile]] = {}
        self.parsed = 0
        for path in sorted(files):  # sorted, so duplicates resolve deterministically
            text = files[path]
            hit = self._files.get(path)
            if hit is None or hit[0] != text:  # compare the text itself: exact, and cheaper than hashing it
                docs = parse_file(path, text, hit[1] if hit else None)
                self.parsed += sum(1 for k in docs if hit is None or k not in hit[1])
                hit = (text, docs)
            kept[path] = hit
            for outcomes in hit[1].values():
                for v in outcomes:
                    errors.extend(builder.accept(v, path))
        self._files = kept  # forget deleted files
        return builder.build(), errors


def parse_files(files: Mapping[str, str]) -> tuple[Resources, list[SourceError]]:
    """Parse path -> text; files are read in sorted path order so duplicates resolve deterministically."""
    return FileCache().parse(files)


def manifest_paths(root: str | os.PathLike[str]) -> list[Path]:
    """Every *.yaml/*.yml/*.json file under root (recursive, hidden entries skipped), sorted."""
    root = Path(root)
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or path.suffix not in SUFFIXES or not path.is_file():
            continue
        out.append(path)
    return out


def collect_files(root: str | os.PathLike[str]) -> dict[str, str]:
    """Every manifest under root -> text, keyed by path."""
    return {str(p): p.read_text(encoding="utf-8", errors="replace") for p in manifest_paths(root)}


def load_directory(path: str | os.PathLike[str]) -> tuple[Resources, list[SourceError]]:
    """The directory is the desired state: everything in it, nothing else."""
    return parse_files(collect_files(path))
