"""The conditions of computed statuses as rows, failing ones first: what `kgw translate` and `kgw status` show.

A condition fails when a positive one (Accepted, Programmed, ResolvedRefs, Attached, SupportedVersion) is
not True, or a negative one (Conflicted, PartiallyInvalid) is True.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

NEGATIVE = {"Conflicted", "PartiallyInvalid"}


@dataclass(frozen=True)
class ConditionRow:
    kind: str
    name: str  # "namespace/name", or "name" for cluster-scoped objects
    where: str  # "" for the object itself, "listener http", "parent Gateway ns/gw", "ancestor HTTPRoute ns/r"
    type: str
    status: str
    reason: str
    message: str

    @property
    def failing(self) -> bool:
        return (self.status == "True") == (self.type in NEGATIVE)


def _ref(ref: dict) -> str:
    name = f"{ref['namespace']}/{ref['name']}" if ref.get("namespace") else ref.get("name", "")
    section = f" {ref['sectionName']}" if ref.get("sectionName") else ""
    return f"{ref.get('kind', '')} {name}{section}".strip()


def _parts(status: dict) -> Iterator[tuple[str, list[dict]]]:
    yield "", status.get("conditions") or []
    for listener in status.get("listeners") or []:
        yield f"listener {listener.get('name', '')}", listener.get("conditions") or []
    for parent in status.get("parents") or []:
        yield f"parent {_ref(parent.get('parentRef') or {})}", parent.get("conditions") or []
    for ancestor in status.get("ancestors") or []:
        yield f"ancestor {_ref(ancestor.get('ancestorRef') or {})}", ancestor.get("conditions") or []


def rows(statuses: list[dict]) -> list[ConditionRow]:
    """Every condition of every object, failing ones first, then by kind and name (stable otherwise)."""
    out = []
    for obj in statuses:
        name = f"{obj['namespace']}/{obj['name']}" if obj.get("namespace") else obj["name"]
        for where, conditions in _parts(obj.get("status") or {}):
            out += [ConditionRow(obj["kind"], name, where, c.get("type", ""), c.get("status", ""),
                                 c.get("reason", ""), c.get("message", "")) for c in conditions]
    return sorted(out, key=lambda r: (not r.failing, r.kind, r.name))


def table(report: list[ConditionRow], width: int = 100) -> str:
    """Fixed columns; the message is cut to keep a row on one line of `width` characters."""
    header = ("KIND", "NAME", "WHERE", "CONDITION", "STATUS", "REASON", "MESSAGE")
    cells = [(r.kind, r.name, r.where or "-", r.type, r.status, r.reason, r.message) for r in report]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(header[:-1])]
    lines = []
    for row in [header, *cells]:
        head = "  ".join(v.ljust(w) for v, w in zip(row[:-1], widths, strict=True))
        room = max(width - len(head) - 2, 20)
        message = row[-1] if len(row[-1]) <= room else row[-1][:room - 1] + "…"
        lines.append(f"{head}  {message}".rstrip())
    return "\n".join(lines) + "\n"
